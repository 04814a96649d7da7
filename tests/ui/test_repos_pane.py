"""The Repos pane (6) and the selection shared with the tree, on the demo's real repos:
sorting by key and by header click, filtering as you type, marking by key, by range and
by filter (menu and palette), the count in the header, clearing in one key, a tenant
switch clearing the marks, the advisor never seeing it, and an 80x24 NO_COLOR picture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repos import ReposPane
from coditect_tui.ui.panes.repos_table import ReposTable
from coditect_tui.ui.screens.dialogs import ChoiceDialog
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import opened, screen_lines, settle

AppFactory = Callable[..., CoditectApp]


async def _repos(app: CoditectApp, pilot: object) -> ReposTable:
    """Open the app, wait for the live statuses, show the Repos pane."""
    await opened(app, pilot)
    await pilot.press("6")  # type: ignore[attr-defined]
    await settle(app, pilot)
    table = app.query_one(ReposTable)
    assert table.has_focus
    return table


def _names(table: ReposTable) -> list[str]:
    return [r.name for r in table.rows.rows]


def _header(app: CoditectApp) -> str:
    return str(app.query_one(TenantHeader).render())


def _table_line(app: CoditectApp, name: str) -> str:
    """The repos table's line of ``name`` (right of the tree's border)."""
    for line in screen_lines(app):
        right = line.split("│", 2)[-1]
        if f" {name} " in right:
            return right
    raise AssertionError(f"{name} not on screen")


async def test_sort_by_key_and_by_header_click(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _repos(app, pilot)
        names = _names(table)
        assert len(names) == 11 and names == sorted(names, key=str.casefold)
        await pilot.press("full_stop")  # reverse
        assert _names(table) == names[::-1]
        await pilot.press("comma")  # the next column: Group
        assert table.rows.sort == "group" and not table.rows.reverse
        assert _names(table)[:3] == ["api", "coditect-core", "web"]  # category core first
        # a click on the "Chg" title sorts by changes; a second click reverses
        header = screen_lines(app)[4]
        x = header.index("Chg") - header.index("Repo") + 2  # the table's column 0 is the mark
        for reverse in (False, True):
            await pilot.click(ReposTable, offset=(x, 0))
            await settle(app, pilot)
            assert (table.rows.sort, table.rows.reverse) == ("changes", reverse)
        assert _names(table)[:2] == ["service-catalog", "service-search"]  # ✗1, then *2
        assert "Chg▼" in screen_lines(app)[4]


async def test_filter_as_you_type_and_back_to_the_rows(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _repos(app, pilot)
        await pilot.press("slash", *"serv")
        await settle(app, pilot)
        assert _names(table) == [n for n in _names(table) if n.startswith("service-")]
        assert len(_names(table)) == 5
        assert "5 of 11 repos" in "\n".join(screen_lines(app))
        await pilot.press("space", *"*-cat*")  # words; a glob on the whole name
        await settle(app, pilot)
        assert _names(table) == ["service-catalog"]
        await pilot.press("escape")  # leaves the box, keeps the filter
        await settle(app, pilot)
        assert table.has_focus and _names(table) == ["service-catalog"]
        await pilot.press("slash", "ctrl+u", "m", "a", "i", "n")  # the branch matches too
        await settle(app, pilot)
        assert "experiment-ml" not in _names(table) and "api" in _names(table)


async def test_marks_by_key_and_range_the_count_and_clear(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _repos(app, pilot)
        await pilot.press("space")  # api, and the cursor moves to cli
        await pilot.press("shift+down", "shift+down")  # cli .. experiment-ml
        await settle(app, pilot)
        first_four = ("api", "cli", "coditect-core", "experiment-ml")
        assert set(app.selection) == {r.path for r in table.rows.rows if r.name in first_four}
        assert "✔ 4 selected" in _header(app)
        assert "4 marked" in "\n".join(screen_lines(app))
        assert _table_line(app, "experiment-ml").startswith("✔ experiment-ml")
        assert "✔ experiment-ml" in "\n".join(screen_lines(app))  # the tree shows it too
        await pilot.press("shift+up")  # the range shrinks: experiment-ml unmarked
        await settle(app, pilot)
        assert len(app.selection) == 3 and "✔ experiment-ml" not in "\n".join(screen_lines(app))
        await pilot.press("escape")  # clears every mark
        await settle(app, pilot)
        assert len(app.selection) == 0 and "selected" not in _header(app)
        assert not any(line.split("│", 2)[-1].startswith("✔") for line in screen_lines(app))


async def test_the_tree_marks_the_same_selection(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        tree = app.query_one(ProjectTree)
        tree.focus()
        await pilot.press("down", "space")  # the first project, then the cursor moves on
        await settle(app, pilot)
        first = tree.get_node_at_line(1)
        assert first is not None and first.data is not None
        assert list(app.selection) == [first.data.path]  # type: ignore[union-attr]
        await pilot.press("6")
        await settle(app, pilot)
        assert "1 marked" in "\n".join(screen_lines(app))
        assert "✔ 1 selected" in _header(app)


async def test_select_by_filter_from_the_menu_and_the_palette(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _repos(app, pilot)
        truth = {r.path for r in table.rows.all if r.status is not None and r.status.dirty}
        assert len(truth) == 2
        await pilot.press("asterisk")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # the first choice: dirty
        await settle(app, pilot)
        assert set(app.selection) == truth
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Select: On a detached")
        for _ in range(100):
            await pilot.pause()
            if app.screen.query_one(CommandList).option_count:
                break
        await pilot.press("enter")
        await settle(app, pilot)
        detached = {r.path for r in table.rows.all if r.status is not None and r.status.detached}
        assert detached and set(app.selection) == truth | detached
        assert f"✔ {len(truth | detached)} selected" in _header(app)


async def test_a_tenant_switch_clears_the_selection(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _repos(app, pilot)
        await pilot.press("space", "space")
        await settle(app, pilot)
        assert len(app.selection) == 2
        app.switch_to("globex")
        await settle(app, pilot)
        assert app.tenant == "globex"
        assert len(app.selection) == 0 and "selected" not in _header(app)
        assert table.rows.all == [] and "api" not in "\n".join(screen_lines(app))
        app.switch_to("acme")  # back: nothing of the old marks comes back
        await opened(app, pilot)
        assert len(app.selection) == 0 and len(table.rows.all) == 11


async def test_a_refresh_keeps_the_marks_of_the_same_tenant(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _repos(app, pilot)
        await pilot.press("space")
        await settle(app, pilot)
        marked = list(app.selection)
        await pilot.press("r")
        await opened(app, pilot)
        assert list(app.selection) == marked and "✔ 1 selected" in _header(app)


async def test_the_pane_loads_when_first_shown_and_follows_changes(
    make_app: AppFactory, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        session = app.session
        assert session is not None and session.live.is_set()
        pane = app.query_one(ReposPane)
        assert pane.rows.all == []  # never shown: nothing read or sorted for it at start
        table = await _repos(app, pilot)
        assert len(_names(table)) == 11
        api = next(r for r in table.rows.all if r.name == "api")
        assert "*" not in _table_line(app, "api").split("api", 1)[1][:12]
        for n in range(3):  # a burst of changes while shown: the rows follow it
            (Path(api.path) / f"burst-{n}.txt").write_text("x\n")
            await session.reread(api.path)
        await settle(app, pilot)
        assert "*3" in _table_line(app, "api")
        await pilot.press("1")  # hidden: changes wait for the next showing
        (Path(api.path) / "burst-3.txt").write_text("x\n")
        await session.reread(api.path)
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        assert "*4" in _table_line(app, "api") and len(_names(table)) == 11


async def test_an_advisor_never_has_the_repos_pane(make_app: AppFactory) -> None:
    from coditect_tui.core.paths import config_dir, shipped_config_dir

    user = config_dir() / "views.yaml"  # the owner sees the advisor view only
    user.parent.mkdir(parents=True, exist_ok=True)
    shipped = (shipped_config_dir() / "views.yaml").read_text()
    user.write_text(shipped.replace("  owner: [team, advisor, portfolio]", "  owner: [advisor]"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        await app.session.live.wait()
        await settle(app, pilot)
        pane = app.query_one(ReposPane)
        assert app.aggregate_only and pane.session is None and pane.rows.all == []
        assert "Repos" not in screen_lines(app)[1]
        await pilot.press("asterisk")
        await settle(app, pilot)
        assert not isinstance(app.screen, ChoiceDialog) and len(app.selection) == 0


@pytest.mark.parametrize("size", [(80, 24)])
def test_repos_pane_80x24_without_colour(
    snap_compare: Callable[..., bool],
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    """Columns dropped by priority, marks as ``✔``, the count in the header, no colour."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()

    async def run_before(pilot: object) -> None:
        await _repos(app, pilot)
        await pilot.press("space", "down", "space")  # type: ignore[attr-defined]
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_clear_and_mark_are_rebindable(make_app: AppFactory) -> None:
    app = make_app(keymap={"selection.clear": "ctrl+u", "selection.mark": "x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await _repos(app, pilot)
        await pilot.press("x", "x")
        await settle(app, pilot)
        assert len(app.selection) == 2
        await pilot.press("escape")  # no longer bound to the clear
        await settle(app, pilot)
        assert len(app.selection) == 2
        await pilot.press("ctrl+u")
        await settle(app, pilot)
        assert len(app.selection) == 0 and "selected" not in _header(app)
