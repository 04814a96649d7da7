"""The demo's git sessions recorded in a real SQLite store, as `coditect session` records them.

Everything is compared with what git and the engine left behind (the state file of the
active session, the export of the ended one, the branches git merged), never with
figures written here.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import datetime
from pathlib import Path

from coditect_store.store import SqlStore
from coditect_tui.core.demo import build_demo, is_built
from coditect_tui.core.git.sessions import read_session
from coditect_tui.core.models import AuditFilter
from tests.memory.conftest import open_store

CLOCK = datetime(2026, 3, 2, 9, 30).astimezone()


def _descriptors_on(path: Path) -> list[str]:
    """This process's open descriptors on ``path`` (and its -wal/-shm files)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def _export_key(root: Path) -> str:
    (export,) = (root / "service-billing" / "MEMORY-CONTEXT" / "sessions").glob("*.md")
    match = re.search(r"^- \*\*Git Session:\*\* (\S+)$", export.read_text(), re.MULTILINE)
    assert match is not None
    return match.group(1)


async def test_the_sessions_are_recorded_with_their_audit_events(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    opened: list[SqlStore] = []

    async def record() -> SqlStore:
        store = await open_store(db)
        opened.append(store)
        return store

    threads = threading.active_count()
    root = build_demo(tmp_path / "ws", now=lambda: CLOCK, record=record)
    assert is_built(root) and len(opened) == 1
    assert _descriptors_on(db) == [] and threading.active_count() == threads  # closed

    store = await open_store(db)
    try:
        sessions = (await store.list_sessions(limit=10)).items
        projects = {p.id: p.path for p in (await store.list_projects(limit=100)).items}
        events = (await store.query_audit(AuditFilter(resource_type="sessions"), limit=100)).items
    finally:
        await store.close()
    # registered where they live, as `coditect session` registers a repo's project
    assert {projects[s.project_id] for s in sessions} == {
        str(root / "service-auth"),
        str(root / "service-billing"),
    }
    by_repo = {Path(str(projects[s.project_id])).name: s for s in sessions}

    active = read_session(root / "service-auth")
    assert active is not None
    auth = by_repo["service-auth"]
    assert (auth.session_key, auth.branch, auth.description) == (
        active.session_id,
        active.branch,
        active.description,
    )
    assert (auth.commit_count, auth.push_count) == (active.commit_count, active.push_count)
    assert auth.ended_at is None and auth.state == "active"

    billing = by_repo["service-billing"]
    assert billing.session_key == _export_key(root)
    assert billing.ended_at is not None and billing.state != "active"
    assert billing.commit_count == 1 and billing.push_count >= 1
    assert read_session(root / "service-billing") is None  # ended in git as in the store

    def actions(record_id: str) -> list[str]:
        return sorted(e.action for e in events if e.resource_id == record_id)

    assert all(e.outcome == "ok" for e in events)
    assert {"sessions.start", "sessions.commit", "sessions.end"} <= set(actions(billing.id))
    assert actions(auth.id).count("sessions.commit") == 2
    assert "sessions.push" in actions(auth.id) and "sessions.end" not in actions(auth.id)
    # the engine's events name the repos where they live, not a build folder
    assert {e.details["repo"] for e in events if "repo" in e.details} == {
        str(root / "service-auth"),
        str(root / "service-billing"),
    }


async def test_a_read_only_principal_records_nothing_and_the_demo_is_built(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"

    async def record() -> SqlStore:
        return await open_store(db, role="auditor")

    root = build_demo(tmp_path / "ws", now=lambda: CLOCK, record=record)
    assert is_built(root) and read_session(root / "service-auth") is not None
    assert _descriptors_on(db) == []
    store = await open_store(db)
    try:
        assert (await store.list_sessions(limit=10)).items == []
    finally:
        await store.close()


def test_a_built_demo_opens_no_backend(tmp_path: Path) -> None:
    root = build_demo(tmp_path / "ws", now=lambda: CLOCK)
    called: list[int] = []

    async def record() -> SqlStore:
        called.append(1)
        raise AssertionError("the recorder of a built demo was called")

    assert build_demo(root, record=record) == root and called == []


async def test_a_first_cli_run_records_the_demos_sessions_as_the_app_does() -> None:
    from coditect_tui.core.demo import demo_root
    from coditect_tui.core.factory import open_backend
    from coditect_tui.core.settings import load_settings
    from tests.git.helpers import run_cli

    result = run_cli("report", "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    active = read_session(demo_root() / "service-auth")
    assert active is not None
    backend = await open_backend(load_settings().settings.profile())
    try:
        sessions = (await backend.list_sessions(limit=10)).items
    finally:
        await backend.close()
    assert sorted(s.description for s in sessions) == ["refresh tokens", "round invoice totals"]
    assert active.session_id in {s.session_key for s in sessions}
    assert _export_key(demo_root()) in {s.session_key for s in sessions if s.ended_at}


async def test_sessions_sharing_a_key_are_told_apart_by_the_exports_repo(tmp_path: Path) -> None:
    """Both demo sessions start in the same second (one key, the engine names sessions by
    their start): a jump from the export goes to the export's repo, not the first match."""
    from coditect_tui.core.factory import open_backend
    from coditect_tui.core.memory.indexer import MemoryIndexer
    from coditect_tui.core.memory.lookup import git_session_key
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.tenant.session import TenantSession
    from tests.git.helpers import write_config

    root = tmp_path / "ws"
    profile = load_settings(write_config(tmp_path, [root])).settings.profile()
    build_demo(root, now=lambda: CLOCK, record=lambda: open_backend(profile))
    session = TenantSession(profile, watch=False)
    try:
        await session.open()
        assert session.backend is not None
        stored = (await session.backend.list_sessions(limit=10)).items
        assert len({s.session_key for s in stored}) == 1 and len(stored) == 2
        await (await MemoryIndexer.for_paths(session.backend, [root])).index()
        (entry,) = (await session.backend.list_memory_entries()).items
        key = await git_session_key(session.backend, entry)
        assert key == _export_key(root) == stored[0].session_key
        billing, auth = str(root / "service-billing"), str(root / "service-auth")
        assert await session.repo_of_session(key, entry.path) == billing
        assert await session.repo_of_session(key, str(root / "service-auth" / "x.md")) == auth
        assert await session.repo_of_session(key) in (billing, auth)
        assert await session.repo_of_session("20000101-000000", entry.path) is None
    finally:
        await session.close()


def test_a_store_that_cannot_be_opened_does_not_stop_the_demo(tmp_path: Path) -> None:
    from coditect_tui.core.errors import BackendUnavailable
    from coditect_tui.core.factory import open_backend
    from coditect_tui.core.settings import load_settings
    from tests.git.helpers import write_config

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be\n")
    config = write_config(tmp_path, [tmp_path / "ws"], db=blocker / "s.db")
    profile = load_settings(config).settings.profile()
    tried: list[str] = []

    async def record() -> SqlStore:
        try:
            return await open_backend(profile)  # type: ignore[return-value]
        except BackendUnavailable as exc:
            tried.append(str(exc))
            raise

    root = build_demo(tmp_path / "ws", now=lambda: CLOCK, record=record)
    assert is_built(root) and read_session(root / "service-auth") is not None
    assert len(tried) == 1
