"""Panes count in English ("1 entry") and name a detached HEAD as git does."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.memory import MemoryPane
from tests.ui.conftest import repo_detail_of, settle

AppFactory = Callable[..., CoditectApp]


async def test_one_memory_entry_is_one_entry(make_app: AppFactory, workspace: Path) -> None:
    # the demo holds one memory entry: the session export its build wrote
    exports = list(workspace.glob("*/MEMORY-CONTEXT/**/*.md"))
    assert len(exports) == 1, exports
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        pane = app.query_one(MemoryPane)
        for _ in range(200):
            if pane.entries:
                break
            await pilot.pause(0.05)
        app.action_show_tab("memory")
        await settle(app, pilot)
        shown = str(app.query_one("#memory-filters", Static).render())
        assert shown.startswith("1 entry · "), shown


async def test_a_detached_head_is_named_as_git_names_it(
    make_app: AppFactory, workspace: Path
) -> None:
    repo = workspace / "experiment-ml"  # the demo leaves it on a detached HEAD
    sha = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        detail = await repo_detail_of(app, pilot, repo)
        assert f"Branch    HEAD detached at {sha}\n" in detail
        app.action_show_tab("sessions")
        await settle(app, pilot)
        sessions = "".join(str(s.render()) for s in app.query("#sessions-pane Static"))
        assert f"experiment-ml  on HEAD detached at {sha}\n" in sessions
        assert "(detached)" not in sessions
