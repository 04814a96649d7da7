"""The focus model (docs/user-guide.md, Focus): pane keys focus the pane's main widget,
`/` the search box, escape leaves it, digits are text only in a text box, and enter in
the memory search box opens the top hit."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from textual.widget import Widget
from textual.widgets import Input, OptionList

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.audit_table import AuditTable
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.widgets.pane_tabs import PaneTabs
from tests.ui.conftest import settle
from tests.ui.test_memory_pane import _indexed, with_memory  # noqa: F401  (fixture)

AppFactory = Callable[..., CoditectApp]


def _conflict(repo: Path) -> None:
    """Leave ``repo`` in a real merge conflict (the dashboard lists it as needing attention)."""

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("checkout", "-q", "-b", "other")
    (repo / "conflict.txt").write_text("theirs\n")
    git("add", "conflict.txt")
    git("commit", "-q", "-m", "theirs")
    git("checkout", "-q", "-")
    (repo / "conflict.txt").write_text("ours\n")
    git("add", "conflict.txt")
    git("commit", "-q", "-m", "ours")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True)


def _cursor(widget: Widget) -> int | None:
    """Where the main widget's cursor is (tree line, list row, table row)."""
    if isinstance(widget, ProjectTree):
        return widget.cursor_line
    if isinstance(widget, OptionList):
        return widget.highlighted
    assert isinstance(widget, AuditTable)
    return widget.cursor


async def test_each_pane_key_focuses_its_main_widget_and_the_arrows_move_it(
    make_app: AppFactory,
    with_memory: Path,  # noqa: F811
    workspace: Path,
) -> None:
    for repo in ("service-search", "service-billing"):
        _conflict(workspace / repo)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _indexed(app, pilot, 9)
        main = {
            "1": ("repo", app.query_one(ProjectTree)),
            "2": ("dashboard", app.query_one("#dash-attention", OptionList)),
            "3": ("sessions", app.query_one(ProjectTree)),
            "4": ("memory", app.query_one("#memory-list", OptionList)),
            "5": ("audit", app.query_one(AuditTable)),
        }
        for key in "3152431":  # from every pane to every other
            await pilot.press(key)
            await settle(app, pilot)
            tab, widget = main[key]
            assert app.query_one(PaneTabs).active == tab
            assert app.focused is widget, (key, app.focused)
            before = _cursor(widget)
            await pilot.press("down")
            await settle(app, pilot)
            assert _cursor(widget) == (before or 0) + 1, key
            await pilot.press("up")
            await settle(app, pilot)
        # the panes that follow the tree show the repo the arrows picked
        await pilot.press("1", "down")
        await settle(app, pilot)
        node = app.query_one(ProjectTree).cursor_node
        assert node is not None and app.selected is node.data
        await pilot.press("4", "t")
        assert app.focused is app.query_one(ProjectTree)


async def test_search_box_digits_escape_and_enter(
    make_app: AppFactory,
    with_memory: Path,  # noqa: F811
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _indexed(app, pilot, 9)
        search = pane.query_one("#memory-search", Input)
        results = pane.query_one("#memory-list", OptionList)
        await pilot.press("4")
        await settle(app, pilot)
        assert app.focused is results
        await pilot.press("slash", *"hooks 2")  # digits in a text box are text
        assert app.focused is search and search.value == "hooks 2"
        assert app.query_one(PaneTabs).active == "memory"
        await pilot.press("escape")  # back to the results, the query kept
        assert app.focused is results and search.value == "hooks 2"
        await pilot.press("2")  # from the list a digit switches panes
        await settle(app, pilot)
        assert app.query_one(PaneTabs).active == "dashboard"
        await pilot.press("slash", *["backspace"] * 2, "down")  # down: into the results
        await settle(app, pilot)
        assert app.focused is results and results.highlighted == 0
        await pilot.press("down")
        assert results.highlighted == 1
        # enter in the search box opens the top hit, without waiting for the typing pause
        await pilot.press("slash", "space", *"hooks", "enter")
        await settle(app, pilot)
        assert pane.hits and pane.previewing == pane.hits[0].entry
        await pilot.press("escape")
        assert pane.previewing is None and app.focused is results
        assert isinstance(app.query_one(MemoryPane), MemoryPane)
