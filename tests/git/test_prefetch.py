"""The status prefetch: the first discovery and status read, in a child process, taken
over by the tenant's session when it read that tenant's roots; stopped, reaped and
joined otherwise. On the generated 30-repo workspace (real git repos)."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from coditect_tui.core.settings import load_settings
from coditect_tui.core.tenant import events as ev
from coditect_tui.core.tenant.prefetch import StatusPrefetch
from coditect_tui.core.tenant.session import TenantSession
from tests.git.helpers import write_config


def _facts(statuses: list[object]) -> list[tuple[object, ...]]:
    """What the app shows of each status (not timings)."""
    return [
        (s.path, s.branch, s.ahead, s.behind, s.uncommitted, s.untracked, s.error)  # type: ignore[attr-defined]
        for s in statuses
    ]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    """Threads of the prefetch and of git runners (not the loop's default executor, whose
    idle threads no one here owns)."""
    return sum(t.name.startswith("coditect-") for t in threading.enumerate())


async def test_the_prefetch_reads_what_the_session_would(workspace30: Path) -> None:
    prefetch = StatusPrefetch("t1", [workspace30]).start()
    try:
        tree = await prefetch.tree()
        statuses = await prefetch.statuses()
    finally:
        prefetch.close()
    assert tree is not None and statuses is not None
    direct = discover([workspace30], tenant="t1")
    runner = GitRunner()
    try:
        expected = await read_many(runner, direct.targets())
    finally:
        runner.close()
    assert [t.path for t in tree.targets()] == [t.path for t in direct.targets()]
    assert len(statuses) == len(expected) >= 30
    assert _facts(statuses) == _facts(expected)


async def test_a_session_takes_over_a_matching_prefetch(workspace30: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, [workspace30])
    profile = load_settings(config).settings.profile("t1")
    threads, fds = _threads(), _fds()
    prefetch = StatusPrefetch("t1", profile.roots()).start()
    session = TenantSession(profile, watch=False, prefetch=prefetch)
    try:
        await session.open()
        assert session.live.is_set() and session.runner is not None
        assert session.runner.spawned == 0  # not one git process of its own
        runner = GitRunner()
        try:
            expected = await read_many(runner, discover(profile.roots(), tenant="t1").targets())
        finally:
            runner.close()
        assert _facts(list(session.statuses.values())) == _facts(expected)
    finally:
        await session.close()
    assert prefetch._proc is not None and prefetch._proc.returncode == 0  # reaped
    assert _threads() <= threads and _fds() <= fds


async def test_another_tenants_prefetch_is_stopped_and_the_session_reads_itself(
    workspace30: Path, tmp_path: Path
) -> None:
    config = write_config(tmp_path, [workspace30])
    profile = load_settings(config).settings.profile("t1")
    other = tmp_path / "other"
    other.mkdir()
    prefetch = StatusPrefetch("t1", [other]).start()  # the same tenant, other roots
    session = TenantSession(profile, watch=False, prefetch=prefetch)
    try:
        await session.open()
        assert session.runner is not None and session.runner.spawned >= 30
        assert len(session.statuses) >= 30
    finally:
        await session.close()
    assert prefetch._proc is not None and prefetch._proc.poll() is not None  # reaped


async def test_a_failed_prefetch_leaves_the_report_to_the_session(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    config = write_config(tmp_path, [missing])
    profile = load_settings(config).settings.profile("t1")
    prefetch = StatusPrefetch("t1", profile.roots()).start()
    assert await prefetch.tree() is None  # discovery failed in the child
    notices: list[str] = []
    session = TenantSession(profile, watch=False, prefetch=prefetch)
    session.subscribe(lambda e: notices.append(e.message) if isinstance(e, ev.Notice) else None)
    try:
        await session.open()
    finally:
        await session.close()
    assert any(str(missing) in text for text in notices), notices
    assert prefetch._proc is not None and prefetch._proc.returncode == 1


@pytest.mark.parametrize("when", ["running", "never awaited"])
async def test_close_stops_the_child_and_releases_everything(workspace30: Path, when: str) -> None:
    threads, fds = _threads(), _fds()
    prefetch = StatusPrefetch("t1", [workspace30]).start()
    if when == "running":
        await prefetch.tree()  # the child is reading statuses now
    await asyncio.to_thread(prefetch.close)
    prefetch.close()  # idempotent
    proc = prefetch._proc
    assert proc is not None and proc.returncode is not None
    assert proc.stdout is not None and proc.stdout.closed
    assert _threads() <= threads and _fds() <= fds
    statuses = await prefetch.statuses()  # stopped (None), or done before the stop
    assert statuses is None or len(statuses) >= 30
