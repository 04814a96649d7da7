"""The audit table's row cache is a bounded LRU: scrolling far keeps it at its bound."""

from __future__ import annotations

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.pilot import Pilot

from coditect_tui.core.models import AuditEvent
from coditect_tui.ui.panes.audit_table import BLOCK, ROW_CACHE, AuditTable, RowCache, row_text

TOTAL = 50_000


def _event(seq: int) -> AuditEvent:
    return AuditEvent(
        seq=seq,
        ts=f"2026-01-{seq % 28 + 1:02d}T10:{seq % 60:02d}:00Z",
        actor=f"user{seq % 7}",
        role="owner",
        action="repos.update",
        resource_type="repos",
        resource_id=f"r{seq}",
        outcome="denied" if seq % 13 == 0 else "ok",
        details={},
        source="test",
        prev_hash="0" * 64,
        hash="1" * 64,
    )


class Holder(Vertical):
    """Stands in for the audit pane: the first page, then every block the table asks for.

    (A message drawn during the App's own refresh would not bubble from the Screen to the
    App, so the handler sits on a parent widget, as in the real pane.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[int] = []
        self.largest = 0

    def compose(self) -> ComposeResult:
        yield AuditTable(id="table")

    def on_mount(self) -> None:
        table = self.query_one(AuditTable)
        table.reset(total=TOTAL, positional=True)
        table.put(0, [_event(TOTAL - i) for i in range(BLOCK)])

    @on(AuditTable.NeedRows)
    def fetch_block(self, message: AuditTable.NeedRows) -> None:
        table = self.query_one(AuditTable)
        self.fetched.append(message.index)
        top = TOTAL - message.index
        table.put(message.index, [_event(top - i) for i in range(min(BLOCK, top))])
        self.largest = max(self.largest, len(table.rows))


class TableApp(App[None]):
    """A positional table of TOTAL events."""

    def compose(self) -> ComposeResult:
        yield Holder()


async def _visible(table: AuditTable, pilot: Pilot[None]) -> list[str]:
    """The drawn lines once every visible row arrived (drawing asks for missing blocks)."""
    for _ in range(20):
        lines = [table.render_line(y).text for y in range(table.size.height)]
        if not any(line.startswith("…") for line in lines):
            return lines
        await pilot.pause()
    raise AssertionError("rows never arrived")


def _expected(table: AuditTable) -> list[str]:
    top = table.scroll_offset.y
    width = table.scrollable_content_region.width
    return [row_text(_event(TOTAL - (top + y)), width) for y in range(table.size.height)]


async def test_scrolling_far_keeps_the_row_cache_bounded() -> None:
    app = TableApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(AuditTable)
        holder = app.query_one(Holder)
        table.focus()
        await pilot.pause()
        for step in range(80):  # about 2,300 rows down, a page at a time
            await pilot.press("pagedown")
            await pilot.pause()
            assert len(table.rows) <= ROW_CACHE
            if step % 4 == 3:
                assert await _visible(table, pilot) == _expected(table)
        assert table.cursor > 2 * ROW_CACHE
        assert len(holder.fetched) > ROW_CACHE // BLOCK  # more blocks read than the cache holds
        assert holder.largest == len(table.rows) == ROW_CACHE
        # back to the top: the evicted first rows are read again and drawn right
        fetched = len(holder.fetched)
        await pilot.press("home")
        await pilot.pause()
        assert table.scroll_offset.y == 0
        assert await _visible(table, pilot) == _expected(table)
        assert 0 in holder.fetched[fetched:]
        assert len(table.rows) <= ROW_CACHE


def test_row_cache_evicts_the_least_recently_used() -> None:
    cache = RowCache(3)
    for index in range(3):
        cache.put(index, _event(100 - index))
    assert cache.get(0) is not None  # 0 is now the most recently used
    cache.put(3, _event(97))
    assert 1 not in cache and len(cache) == 3
    assert [i for i, _ in cache.items()] == [2, 0, 3]
    unbounded = RowCache(None)
    for index in range(5 * ROW_CACHE):
        unbounded.put(index, _event(index + 1))
    assert len(unbounded) == 5 * ROW_CACHE
    with pytest.raises(ValueError):
        RowCache(0)
