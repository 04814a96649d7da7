"""The repos table draws only the rows on screen: 5,000 repos, paged through, never build
more lines than the screen shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from coditect_tui.core.repo_rows import RepoRows
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.panes.repos_table import ReposTable
from tests.support.many_repos import real_views, repeated

COUNT = 5_000


class TableApp(App[None]):
    def __init__(self, rows: RepoRows) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield ReposTable(self.rows)


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> list[RepoView]:
    return repeated(real_views(tmp_path_factory.mktemp("many") / "ws"), COUNT)


def _window(table: ReposTable) -> set[int]:
    top = table.scroll_offset.y
    return set(range(top, top + table.size.height - 1))  # line 0 is the header


async def test_only_visible_rows_are_drawn(views: list[RepoView]) -> None:
    rows = RepoRows(sessions={})
    rows.load(views)
    app = TableApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(ReposTable)
        table.reload()
        table.focus()
        await pilot.pause()
        assert len(rows.rows) == COUNT
        assert table.drawn and table.drawn <= _window(table) == set(range(29))
        for _ in range(6):
            table.reset_drawn()
            await pilot.press("pagedown")
            await pilot.pause()
            assert table.drawn and table.drawn <= _window(table), sorted(table.drawn)
        assert table.cursor == 6 * 28  # a page keeps one row of the last
        table.reset_drawn()
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == COUNT - 1 and table.scroll_offset.y == COUNT - 29
        assert table.drawn and table.drawn <= set(range(COUNT - 29, COUNT))
        table.reset_drawn()
        await pilot.press("comma")  # a sort of 5,000 rows redraws one screen too
        await pilot.pause()
        assert rows.sort == "group" and 0 < len(table.drawn) <= 29


def test_the_views_are_distinct_real_reads(views: list[RepoView], tmp_path: Path) -> None:
    assert len({v.path for v in views}) == COUNT
    assert all(v.status is not None and v.status.seconds > 0 for v in views[:20])
