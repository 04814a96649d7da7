"""One owner per tenant: refresh and tenant switch close the old session; nothing leaks
(threads, descriptors, inotify instances, store connections), nothing of the other
tenant stays on screen, and the panes follow the session live."""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_tui.core.settings import load_settings
from coditect_tui.core.tenant import events as ev
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.audit_table import AuditTable
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.panes.sessions import GitSessionsPane
from tests.support.workspaces import build_workspace
from tests.ui.conftest import opened, screen_text, settle, write_config

AppFactory = Callable[..., CoditectApp]


def _targets() -> list[str]:
    """What each open descriptor of this process points at.

    Collects garbage first: the last objects of a closed watcher can sit in a reference
    cycle (an ended task's exception and its frames) until the collector runs; what the
    collector frees was released, not leaked.
    """
    gc.collect()
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return sorted(targets)


def _fds() -> dict[str, int]:
    """Open descriptors of this process by kind: inotify instances, the store's files."""
    counts = {"all": 0, "inotify": 0, "store": 0}
    for target in _targets():
        counts["all"] += 1
        counts["inotify"] += target == "anon_inode:inotify"
        counts["store"] += bool(re.search(r"store\.db(-wal|-shm|-journal)?$", target))
    return counts


def _threads() -> int:
    """Threads, leaving out two bounded pools no session owns, whose idle threads are
    reused or expire: the loop's default executor (asyncio.to_thread) and AnyIO's
    worker threads (watchfiles)."""
    pools = ("asyncio_", "AnyIO worker thread")
    return sum(not t.name.startswith(pools) for t in threading.enumerate())


def _no_growth(before: tuple[int, dict[str, int]], after: tuple[int, dict[str, int]]) -> None:
    """Every count is back at (or below: a pool may keep fewer idle connections) its
    count after the first load."""
    assert after[0] <= before[0], f"threads {before[0]} -> {after[0]}"
    for kind, count in before[1].items():
        assert after[1][kind] <= count, (
            f"{kind} descriptors {count} -> {after[1][kind]}: {_targets()}"
        )


async def _all_panes_text(app: CoditectApp, pilot: object) -> str:
    """What every pane draws (each tab shown in turn), with the tree."""
    shown = []
    for key in "12345":
        await pilot.press(key)  # type: ignore[attr-defined]
        await settle(app, pilot)
        shown.append(screen_text(app))
    await pilot.press("t")  # type: ignore[attr-defined]
    return "\n".join(shown)


async def test_twenty_refreshes_and_switches_leak_nothing(make_app: AppFactory) -> None:
    """Counted with no session open, so a store pool's size (which depends on how many
    reads overlapped) and SQLite's deferred closes do not blur the count: whatever 20
    refreshes or 20 switches left behind would still be open."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        assert _fds()["store"] >= 1 and _fds()["inotify"] >= 1
        await app.close_session()
        threads, fds = _threads(), _fds()
        assert fds["store"] == 0
        app.start_tenant(brief=False)
        await opened(app, pilot)
        for _ in range(20):
            old = app.session
            await pilot.press("r")
            await opened(app, pilot)
            assert app.session is not old and old is not None and old.closed
        await app.close_session()
        _no_growth((threads, fds), (_threads(), _fds()))
        for name in ["globex", "acme"] * 10:
            app.switch_to(name)
            await opened(app, pilot)
            assert app.session is not None and app.session.name == name
        await app.close_session()
        _no_growth((threads, fds), (_threads(), _fds()))


@pytest.fixture
def two_clients(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    """A config with two local tenants, each on its own workspace of real repos."""
    names = []
    roots = []
    for seed, tenant in ((1, "alpha"), (2, "beta")):
        ws = build_workspace(tmp_path / f"ws-{tenant}", 3, kinds=("clean", "modified"), seed=seed)
        projects = ws.root / "projects"
        for folder in projects.iterdir():  # names no other tenant could share
            folder.rename(projects / f"{tenant}-{folder.name}")
        names.append(sorted(p.name for p in projects.iterdir()))
        roots.append(projects)
    config = write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": tenant,
                "principal": "alice",
                "role": "owner",
                "backend": {"kind": "local", "path": str(tmp_path / f"{tenant}.db")},
                "workspace_roots": [str(root)],
            }
            for tenant, root in (("alpha", roots[0]), ("beta", roots[1]))
        ],
    )
    return config, names[0], names[1]


async def test_no_pane_shows_the_other_tenant(
    two_clients: tuple[Path, list[str], list[str]],
) -> None:
    config, alpha, beta = two_clients
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile("alpha"), config_path=config, cached_paint=False
    )
    async with app.run_test(size=(160, 50)) as pilot:
        await opened(app, pilot)
        app.jump_to(app.session.view.projects[0].path)  # type: ignore[union-attr]
        await settle(app, pilot)
        text = await _all_panes_text(app, pilot)
        assert any(name in text for name in alpha)
        for leave, enter, gone, there in (
            ("alpha", "beta", alpha, beta),
            ("beta", "alpha", beta, alpha),
        ):
            app.switch_to(enter)
            await opened(app, pilot)
            app.jump_to(app.session.view.projects[0].path)  # type: ignore[union-attr]
            await settle(app, pilot)
            text = await _all_panes_text(app, pilot)
            assert any(name in text for name in there), enter
            leaked = [name for name in gone if name in text]
            assert not leaked, f"{leave}'s repos shown in {enter}: {leaked}"


async def test_own_action_reaches_the_audit_pane_live(
    make_app: AppFactory, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        table = app.query_one(AuditTable)
        before = table.event_at(0)
        app.jump_to(str(workspace / "service-search"))
        await settle(app, pilot)
        await pilot.press("f")  # fetch: audited as repos.fetch (no remote: git says so)
        await settle(app, pilot)
        top = table.event_at(0)
        assert top is not None and top.action == "repos.fetch"
        assert before is None or top.seq > before.seq


async def test_memory_folder_created_while_running_is_indexed(
    make_app: AppFactory, workspace: Path, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        session = app.session
        assert session is not None
        changed = asyncio.Event()
        session.subscribe(lambda e: changed.set() if isinstance(e, ev.MemoryChanged) else None)
        staged = tmp_path / "staged" / "MEMORY-CONTEXT"
        (staged / "checkpoints").mkdir(parents=True)
        (staged / "checkpoints" / "2026-12-03T10-00-00Z-late-arrival.md").write_text(
            "# Late arrival\n\nA checkpoint written while the app ran.\n"
        )
        os.rename(staged, workspace / "MEMORY-CONTEXT")  # appears whole
        await asyncio.wait_for(changed.wait(), 30)
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        pane = app.query_one(MemoryPane)
        assert any("late-arrival" in entry.path for entry in pane.entries)


async def test_read_only_history_loads(make_app: AppFactory, workspace: Path) -> None:
    writer = make_app()  # registers the repos
    async with writer.run_test(size=(100, 30)) as pilot:
        await opened(writer, pilot)
    app = make_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(workspace / "service-search"))
        await pilot.press("3")
        await settle(app, pilot)
        pane = app.query_one(GitSessionsPane)
        assert pane.history is not None  # not "loading…" forever
        assert "History: loading" not in screen_text(app)
        app.jump_to(str(workspace))  # not a registered repo in a read-only store
        await settle(app, pilot)


async def test_other_process_between_refreshes_loses_no_write(
    make_app: AppFactory, workspace: Path, tmp_path: Path
) -> None:
    """The app holds the store open while `coditect audit verify` and `coditect memory
    search` run in other processes between refreshes; every write the app acknowledged
    is stored and the chain verifies."""
    app = make_app()
    config = tmp_path / "config.yaml"
    env = {**os.environ, "CODITECT_CONFIG": str(config)}
    cli = [sys.executable, "-m", "coditect_tui.cli", "--config", str(config)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=120)

    repo = workspace / "service-search"
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()  # the start worker waits on its dialog: no settle here
        assert type(app.screen).__name__ == "TextPrompt"
        await pilot.press(*"lock test", "enter")
        await settle(app, pilot)
        assert (repo / ".coditect-session.json").exists()
        for _ in range(3):
            assert run("audit", "verify").returncode == 0
            assert run("memory", "search", "anything").returncode in (0, 1)
            await pilot.press("r")
            await opened(app, pilot)
        backend = app.session.backend  # type: ignore[union-attr]
        sessions = (await backend.list_sessions()).items
        assert [s.description for s in sessions] == ["lock test"]
        actions = {e.action for e in (await backend.query_audit(limit=200)).items}
        assert "sessions.start" in actions or any(a.startswith("sessions.") for a in actions)
    result = run("audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr


async def test_refresh_keeps_the_selected_repo(make_app: AppFactory, workspace: Path) -> None:
    """After `r` the cursor and the Repo pane are back on the repo they showed; after a
    switch to another tenant and back, nothing of the first is remembered by the tree."""
    app = make_app()
    repo = str(workspace / "service-search")
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        app.jump_to(repo)
        await settle(app, pilot)
        assert app.selected is not None and app.selected.path == repo
        await pilot.press("r")
        await opened(app, pilot)
        assert app.selected is not None and app.selected.path == repo
        assert "service-search" in screen_text(app).split("Projects")[-1]
        app.switch_to("globex")
        await opened(app, pilot)
        assert app.selected is None
