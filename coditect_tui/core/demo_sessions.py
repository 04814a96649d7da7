"""The demo's git sessions, run by the real session engine, and the export one writes.

* ``service-billing``: a session started, committed, ended and merged into ``main``;
  its export (our writer's Markdown, from the engine's own end summary) goes into the
  repo's ``MEMORY-CONTEXT/sessions/`` and is committed and pushed, as a CODITECT project
  keeps its memory, so the repo stays clean and the Memory pane has an entry to index.
* ``service-auth``: a session still active: two commits, the first one pushed, so the
  Sessions pane has a live session and the repo is ahead of its upstream by one.

No backend is involved (``GitSessions(backend=None)``): the demo is built before any
store is open, so nothing is audited or recorded in a history here; the app indexes the
export when it opens the tenant.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from coditect_tui.core.demo_repos import (
    DEMO_AUTHOR,
    README,
    DemoError,
    commit_all,
    engine_ready,
    git,
)
from coditect_tui.core.demo_repos import published as published_repo

T = TypeVar("T")

ENDED_DESCRIPTION = "round invoice totals"
ACTIVE_DESCRIPTION = "refresh tokens"
#: The git-session facts an export carries, in the order the writer prints them.
_EXPORT_FACTS = ("duration", "commits", "pushes", "files_changed", "insertions", "deletions")


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even inside an event loop.

    Args:
        factory: makes the coroutine (called in the thread that runs it).

    Returns:
        Its result (its exception is raised here).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="coditect-demo")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_name(moment: datetime, description: str) -> str:
    """CODITECT's ``<ISO>Z-<desc>.md`` file name of an export written at ``moment``."""
    from coditect_tui.core.memory.writer import name_description

    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    return f"{stamp}-{name_description(description, fallback='session')}.md"


async def _ended(root: Path, final_root: Path, now: Callable[[], datetime]) -> None:
    from coditect_tui.core.git.history import recent_commits
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.sessions import GitSessions, read_session
    from coditect_tui.core.memory.writer import SessionExport, render_session_export

    repo = root / "service-billing"
    runner = GitRunner(concurrency=2)
    try:
        engine = GitSessions(repo, runner=runner, now=now)
        await engine.start(ENDED_DESCRIPTION)
        state = read_session(repo)
        if state is None:
            raise DemoError("building the demo failed: the session engine wrote no state file")
        (repo / "billing.py").write_text("def total(amount):\n    return round(amount, 2)\n")
        await engine.commit("billing: round invoice totals to cents")
        ended = await engine.end(merge=True, confirm_merge=True)
        summary: dict[str, Any] = ended.details["summary"]
        commits = await recent_commits(runner, repo, limit=10)
    finally:
        runner.close()
    facts: dict[str, Any] = {
        "session_key": summary["session_id"],
        "branch": summary["branch"],
        "started_at": _utc_text(state.started()),
    }
    facts.update({key: summary[key] for key in _EXPORT_FACTS if key in summary})
    facts["merged"] = summary.get("merged", False)
    moment = now().astimezone(UTC)
    name = export_name(moment, ENDED_DESCRIPTION)
    export = SessionExport(
        description=ENDED_DESCRIPTION,
        summary=ended.message,
        objectives=[ENDED_DESCRIPTION],
        repository=str(final_root / repo.name),
        participants=[DEMO_AUTHOR],
        recent_commits=[f"{c.short_sha} {c.subject}" for c in commits],
        git_session=facts,
        exported_at=moment,
    )
    target = repo / "MEMORY-CONTEXT" / "sessions" / name
    target.parent.mkdir(parents=True)
    target.write_text(render_session_export(export, file_name=name), encoding="utf-8")
    commit_all(repo, f"memory: session export {name}")
    git(repo, "push", "-q", "origin", "main")


async def _active(root: Path, now: Callable[[], datetime]) -> None:
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.sessions import GitSessions

    repo = root / "service-auth"
    runner = GitRunner(concurrency=2)
    try:
        engine = GitSessions(repo, runner=runner, now=now)
        await engine.start(ACTIVE_DESCRIPTION)
        (repo / "auth.py").write_text("REFRESH_BEFORE_EXPIRY = 60\n")
        await engine.commit("auth: refresh tokens a minute before expiry")
        await engine.push()
        (repo / "auth.py").write_text("REFRESH_BEFORE_EXPIRY = 120\n")
        await engine.commit("auth: refresh two minutes before expiry")
    finally:
        runner.close()


def run_sessions(root: Path, final_root: Path, now: Callable[[], datetime]) -> None:
    """Make ``service-billing`` (an ended session, exported) and ``service-auth`` (active).

    Args:
        root: the folder being built.
        final_root: where it will live (the export names the repo there).
        now: the local-time clock the engine uses.

    Raises:
        DemoError: plain git failed.
        CoditectError: the session engine failed (GitError, SessionError...).
    """

    for name, file in (("service-billing", "billing.py"), ("service-auth", "auth.py")):
        _, repo = published_repo(root, name, {"README.md": README, file: "\n"})
        engine_ready(repo)

    async def both() -> None:
        await asyncio.gather(_ended(root, final_root, now), _active(root, now))

    run_async(both)
