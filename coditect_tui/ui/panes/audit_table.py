"""A virtual table of audit events: renders only the visible rows, pages the rest in.

Two ways of knowing where a row is (toolong's pattern: never load the whole log):

* **positional** (no filter): the chain's seqs are contiguous, so row ``i`` is the event
  ``seq = newest - i``. The scrollbar is exact, any row of a million is one keyset query
  away (``max_seq``), Home/End are instant.
* **windowed** (a filter is set): the matching rows are unknown until read, so the table
  holds a contiguous window of them and grows it at either end as the cursor nears it
  (``max_seq``/``min_seq`` keyset queries); Home and End restart the window at the newest
  or the oldest match.

Rows are fetched a block at a time by the pane's worker; a row not loaded yet draws as
``…`` and the table refreshes when its block arrives. In positional mode the loaded rows
are a bounded LRU cache (:class:`RowCache`, as toolong's line cache): scrolling through a
million rows keeps at most ``ROW_CACHE`` of them, and a row evicted then scrolled back to
is fetched again. A windowed view's rows are its window (the pane extends it and cannot
read back a row it dropped), so they are kept without a bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.models import AuditEvent

BLOCK = 100
#: Rows a positional table keeps loaded (ten blocks: several screens either side).
ROW_CACHE = 10 * BLOCK
OUTCOME = {"ok": "ok ", "denied": "DENY", "error": "ERR "}
OUTCOME_GLYPH = {"ok": " ", "denied": "✗", "error": "!"}
#: A resource id longer than this is shortened in a narrow table.
SHORT_ID = 8
#: Below this width the table drops seconds, narrows the actor and shows outcome glyphs.
NARROW = 90


def header_text(width: int) -> str:
    """The column titles for a table ``width`` wide."""
    if width < NARROW:
        return f"{'seq':>7} {'when (UTC)':<11}   {'actor':<9} action / resource"[:width]
    return (f"{'seq':>8} {'when (UTC)':<14} {'out':<4} {'actor':<14} {'action':<26} resource")[
        :width
    ]


def row_text(event: AuditEvent, width: int) -> str:
    """One event as a fixed-layout line (untrusted fields through safe_text)."""
    resource = safe_text(event.shown(event.resource_id))
    actor = event.shown(event.actor)
    if width < NARROW:
        if len(resource) > SHORT_ID:  # like a short commit id; the detail has it whole
            resource = resource[:SHORT_ID] + "…"
        line = (
            f"{event.seq:>7} {event.ts[5:10]} {event.ts[11:16]} "
            f"{OUTCOME_GLYPH.get(event.outcome, '?')} "
            f"{safe_text(actor, max_length=9):<9} "
            f"{safe_text(event.action)} {resource}"
        )
    else:
        line = (
            f"{event.seq:>8} {event.ts[5:10]} {event.ts[11:19]} "
            f"{OUTCOME.get(event.outcome, event.outcome):<4} "
            f"{safe_text(actor, max_length=14):<14} "
            f"{safe_text(event.action, max_length=26):<26} {resource}"
        )
    if len(line) > width > 1:  # cut where it shows: an id cut silently reads as whole
        return line[: width - 1] + "…"
    return line[:width].ljust(width)


class RowCache:
    """Loaded rows by index, least recently used evicted first beyond ``maxsize``.

    Args:
        maxsize: the most rows kept; None keeps every row (a windowed view's window).
    """

    def __init__(self, maxsize: int | None = ROW_CACHE) -> None:
        if maxsize is not None and maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._rows: OrderedDict[int, AuditEvent] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, index: object) -> bool:
        return index in self._rows

    def get(self, index: int) -> AuditEvent | None:
        """The row at ``index`` (now the most recently used), or None when not loaded."""
        event = self._rows.get(index)
        if event is not None:
            self._rows.move_to_end(index)
        return event

    def put(self, index: int, event: AuditEvent) -> None:
        """Keep ``event`` as row ``index``, evicting the least recently used beyond the bound."""
        self._rows[index] = event
        self._rows.move_to_end(index)
        if self.maxsize is not None:
            while len(self._rows) > self.maxsize:
                self._rows.popitem(last=False)

    def items(self) -> Iterator[tuple[int, AuditEvent]]:
        """(index, event) pairs, least recently used first."""
        return iter(list(self._rows.items()))

    def clear(self) -> None:
        """Forget every row."""
        self._rows.clear()


class AuditTable(ScrollView, can_focus=True):
    """The rows; the pane feeds it blocks and tells it which mode it is in."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="audit.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="audit.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="audit.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="audit.page_down"),
        Binding("home", "edge(0)", "Newest", show=False, id="audit.newest"),
        Binding("end", "edge(1)", "Oldest", show=False, id="audit.oldest"),
        Binding("enter", "open", "Detail", id="audit.detail"),
    ]
    DEFAULT_CSS = """
    AuditTable { height: 1fr; }
    """

    cursor: reactive[int] = reactive(0)

    class NeedRows(Message):
        """Rows around ``index`` are missing (the pane fetches their block)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    class Edge(Message):
        """The user asked for the newest (0) or oldest (1) end of a windowed view."""

        def __init__(self, which: int) -> None:
            super().__init__()
            self.which = which

    class CursorMoved(Message):
        """The cursor moved (windowed views grow near their ends)."""

    class Opened(Message):
        """Enter on a row."""

        def __init__(self, event: AuditEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = RowCache(ROW_CACHE)
        self.total = 0
        self.positional = True
        self.requested: set[int] = set()

    def reset(self, *, total: int, positional: bool) -> None:
        """Forget every row; ``total`` rows exist (positional) or are loaded (windowed)."""
        self.rows = RowCache(ROW_CACHE if positional else None)
        self.requested.clear()
        self.total = total
        self.positional = positional
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.virtual_size = Size(self.size.width, total)
        self.refresh()

    def put(self, start: int, events: list[AuditEvent], *, total: int | None = None) -> None:
        """Rows ``start..`` arrived (and, windowed, the row count may have changed)."""
        for offset, event in enumerate(events):
            self.rows.put(start + offset, event)
        if total is not None and total != self.total:
            self.total = total
            self.virtual_size = Size(self.size.width, total)
        self.requested.discard(start - start % BLOCK)
        self.refresh()

    def shift(self, count: int, events: list[AuditEvent]) -> None:
        """Windowed: ``events`` are newer than row 0; prepend them (the view stays put)."""
        moved = RowCache(self.rows.maxsize)
        for index, event in self.rows.items():
            moved.put(index + count, event)
        for index, event in enumerate(events):
            moved.put(index, event)
        self.rows = moved
        self.total += count
        self.virtual_size = Size(self.size.width, self.total)
        self.cursor += count
        self.scroll_to(y=self.scroll_offset.y + count, animate=False)
        self.refresh()

    def event_at(self, index: int) -> AuditEvent | None:
        """The loaded event of row ``index``."""
        return self.rows.get(index)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # not under the scrollbar
        base = self.rich_style  # never a bare None style: NO_COLOR's filter needs one
        if index >= self.total:
            return Strip.blank(width, base)
        event = self.rows.get(index)
        if event is None:
            self._need(index)
            return Strip([Segment("…".ljust(width), base + Style(dim=True))])
        style = base + (Style(reverse=True) if index == self.cursor and self.has_focus else Style())
        if event.outcome != "ok":
            style += Style(bold=True)
        return Strip([Segment(row_text(event, width), style)])

    def _need(self, index: int) -> None:
        block = index - index % BLOCK
        if block not in self.requested:
            self.requested.add(block)
            self.post_message(self.NeedRows(block))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.post_message(self.CursorMoved())
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)

    def action_move(self, step: int) -> None:
        if self.total:
            self.cursor = max(0, min(self.total - 1, self.cursor + step))

    def action_page(self, step: int) -> None:
        self.action_move(step * max(1, self.size.height - 1))

    def action_edge(self, which: int) -> None:
        if self.positional:
            self.cursor = 0 if which == 0 else max(0, self.total - 1)
        else:
            self.post_message(self.Edge(which))

    def action_open(self) -> None:
        event = self.rows.get(self.cursor)
        if event is not None:
            self.post_message(self.Opened(event))
