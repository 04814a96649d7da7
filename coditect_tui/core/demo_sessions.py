"""The demo's git sessions, run by the real session engine, and the export one writes.

* ``service-billing``: a session started, committed, ended and merged into ``main``;
  its export (our writer's Markdown, from the engine's own end summary) goes into the
  repo's ``MEMORY-CONTEXT/sessions/`` and is committed and pushed, as a CODITECT project
  keeps its memory, so the repo stays clean and the Memory pane has an entry to index.
* ``service-auth``: a session still active: two commits, the first one pushed, so the
  Sessions pane has a live session and the repo is ahead of its upstream by one.

Given a backend to record in, the sessions are recorded as ``coditect session
start/commit/end`` records them: the repo's project registered, a history row per session
and every action audited. Without one (a read-only start, or a build for tests of the
repos alone) git alone is used.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from coditect_tui.core.demo_repos import (
    DEMO_AUTHOR,
    README,
    DemoError,
    commit_all,
    engine_ready,
    git,
)
from coditect_tui.core.demo_repos import published as published_repo

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend

T = TypeVar("T")
#: Opens the backend the demo's sessions are recorded in (the build closes it).
Recorder = Callable[[], Coroutine[Any, Any, "Backend"]]

ENDED_DESCRIPTION = "round invoice totals"
ACTIVE_DESCRIPTION = "refresh tokens"
#: The repos the engine works in, and the file each session edits.
_SESSION_REPOS = (("service-billing", "billing.py"), ("service-auth", "auth.py"))
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


async def _ended(
    root: Path, now: Callable[[], datetime], backend: Backend | None, repo_id: str | None
) -> None:
    from coditect_tui.core.git.history import recent_commits
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.sessions import GitSessions, read_session
    from coditect_tui.core.memory.writer import SessionExport, render_session_export

    repo = root / "service-billing"
    runner = GitRunner(concurrency=2)
    try:
        engine = GitSessions(repo, runner=runner, backend=backend, repo_id=repo_id, now=now)
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
        repository=str(repo),
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


async def _active(
    root: Path, now: Callable[[], datetime], backend: Backend | None, repo_id: str | None
) -> None:
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.sessions import GitSessions

    repo = root / "service-auth"
    runner = GitRunner(concurrency=2)
    try:
        engine = GitSessions(repo, runner=runner, backend=backend, repo_id=repo_id, now=now)
        await engine.start(ACTIVE_DESCRIPTION)
        (repo / "auth.py").write_text("REFRESH_BEFORE_EXPIRY = 60\n")
        await engine.commit("auth: refresh tokens a minute before expiry")
        await engine.push()
        (repo / "auth.py").write_text("REFRESH_BEFORE_EXPIRY = 120\n")
        await engine.commit("auth: refresh two minutes before expiry")
    finally:
        runner.close()


async def _recording(record: Recorder, root: Path) -> tuple[Backend, dict[str, str]] | None:
    """The backend to record in and the two repos' ids, or None when it records no
    session (it cannot be opened: the tenant session says why when it opens it; a
    read-only principal; a tier or role without git sessions)."""
    from coditect_tui.core.errors import CoditectError, PermissionDenied, ReadOnly
    from coditect_tui.core.git.sessions import GitSessions, resolve_repo_id

    try:
        backend = await record()
    except CoditectError:
        return None  # the demo is still built, its sessions in git alone
    try:
        if not (await backend.whoami()).read_only:
            await GitSessions(root / _SESSION_REPOS[0][0], backend=backend).preflight("start")
            ids = {}
            for name, _ in _SESSION_REPOS:  # one after the other: one connection
                ids[name] = await resolve_repo_id(backend, root / name, [root])
            return backend, ids
    except (ReadOnly, PermissionDenied):
        pass  # the backend audited the refusal; the demo's repos are still built
    except BaseException:
        await backend.close()
        raise
    await backend.close()
    return None


def run_sessions(root: Path, now: Callable[[], datetime], record: Recorder | None = None) -> None:
    """Run the engine in ``service-billing`` (ended, exported) and ``service-auth`` (active).

    Args:
        root: the workspace, where it will live (the export and the store name its repos).
        now: the local-time clock the engine uses.
        record: opens the backend to record the sessions in (None: git only).

    Raises:
        DemoError: plain git failed.
        CoditectError: the session engine or the backend failed (GitError,
            SessionError, BackendUnavailable...).
    """

    for name, file in _SESSION_REPOS:
        _, repo = published_repo(root, name, {"README.md": README, file: "\n"})
        engine_ready(repo)

    async def both() -> None:
        found = await _recording(record, root) if record is not None else None
        backend, ids = found if found is not None else (None, {})
        try:
            await asyncio.gather(
                _ended(root, now, backend, ids.get("service-billing")),
                _active(root, now, backend, ids.get("service-auth")),
            )
        finally:
            if backend is not None:
                await backend.close()

    run_async(both)
