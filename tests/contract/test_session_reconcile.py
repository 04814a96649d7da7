"""Stale sessions are reconciled alike on every backend (issue 15, item 3).

Real git repos in tmp dirs; the sessions are stored through the contract, then
``count_active_sessions`` (what the dashboard, ``report status`` and ``report
portfolio`` count) checks them against the repos.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from coditect_tui.core.backend import Backend
from coditect_tui.core.dashboard import count_active_sessions
from coditect_tui.core.git.sessions import SESSION_FILE, reconcile_sessions
from coditect_tui.core.models import AuditFilter, GitSessionSpec, ProjectSpec, RepoSpec
from tests.contract.harness import Harness
from tests.git.helpers import git

_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _git(cwd: Path, *args: str) -> None:
    git(cwd, "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args, env=_ENV)


def _repo_with_session(base: Path, name: str, key: str, branch: str) -> Path:
    repo = base / name
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "init")
    _git(repo, "switch", "-q", "-c", branch)
    state = {
        "session_id": key,
        "description": name,
        "branch": branch,
        "started_at": "2026-01-05T09:00:00",
        "last_commit": None,
        "last_push": None,
        "commit_count": 0,
        "push_count": 0,
    }
    (repo / SESSION_FILE).write_text(json.dumps(state, indent=2))
    return repo


async def _seed(backend: Backend, base: Path) -> dict[str, str]:
    """Five sessions: live, ended by the helper, repo deleted, branch deleted, elsewhere."""
    project = await backend.upsert_project(ProjectSpec(name="p"))
    ids: dict[str, str] = {}
    cases = ("live", "helper-ended", "deleted", "branchless", "elsewhere")
    for n, case in enumerate(cases):
        key = f"20260105-09000{n}"
        branch = f"session/2026-01-05-{case}"
        repo = _repo_with_session(base, case, key, branch)
        path = str(repo)
        if case == "helper-ended":
            (repo / SESSION_FILE).unlink()
        elif case == "deleted":
            shutil.rmtree(repo)
        elif case == "branchless":
            _git(repo, "switch", "-q", "main")
            _git(repo, "branch", "-q", "-D", branch)
        elif case == "elsewhere":  # another machine's path: nothing can be told here
            path = str(base / "not-on-this-machine" / "repo")
        stored = await backend.upsert_repo(RepoSpec(project_id=project.id, path=path, name=case))
        session = await backend.create_session(
            GitSessionSpec(
                repo_id=stored.id,
                session_key=key,
                description=case,
                branch=branch,
                started_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            )
        )
        ids[case] = session.id
    return ids


async def _states(backend: Backend) -> dict[str, tuple[str, object]]:
    items = (await backend.list_sessions()).items
    return {s.description: (s.state, s.summary.get("ended_by")) for s in items}


async def test_stale_sessions_are_ended_with_their_reason_and_not_counted(
    harness: Harness, owner: Backend, tmp_path: Path
) -> None:
    await _seed(owner, tmp_path)
    assert await count_active_sessions(owner) == 2  # was 5: every stored "active" row
    assert await _states(owner) == {
        "live": ("active", None),
        "elsewhere": ("active", None),
        "helper-ended": ("ended", "external"),
        "deleted": ("ended", "repo-missing"),
        "branchless": ("ended", "branch-missing"),
    }
    events = (await owner.query_audit(AuditFilter(action="sessions.reconcile"))).items
    assert sorted(e.details["ended_by"] for e in events) == [
        "branch-missing",
        "external",
        "repo-missing",
    ]
    before = harness.snapshot()
    again = await reconcile_sessions(owner)
    assert again.ended == [] and len(again.active) == 2
    assert harness.snapshot() == before  # nothing left to end: nothing written


async def test_a_read_only_principal_does_not_count_stale_sessions_and_writes_nothing(
    harness: Harness, owner: Backend, tmp_path: Path
) -> None:
    await _seed(owner, tmp_path)
    auditor = await harness.open("acme", "ada", "auditor")
    other = await harness.open("acme", "eve", "editor")
    try:
        before = harness.snapshot()["git_sessions"]
        assert await count_active_sessions(auditor) == 2
        result = await reconcile_sessions(other)  # not her sessions: left to their owner
        assert len(result.stale) == 3 and result.ended == []
        assert harness.snapshot()["git_sessions"] == before
        names = {e.action for e in (await owner.query_audit(AuditFilter())).items}
        assert "sessions.reconcile" not in names and "sessions.update" not in names
    finally:
        await auditor.close()
        await other.close()
