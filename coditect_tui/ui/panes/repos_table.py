"""The repos view's table: a ScrollView that draws only the rows on screen.

Textual's DataTable renders and measures every row it holds; this table keeps the repos
as a list (:class:`~coditect_tui.core.repo_rows.RepoRows`) and builds a line only when
``render_line`` asks for it, so 5,000 repos cost what one screen of them does. Line 0 is
the header (the sort column carries ``▲``/``▼``; a click on a title sorts by it); the
rows scroll under it.

A marked row starts with ``✔`` and is bold: the mark reads without colour. The cursor
row is reverse video while the table has the focus.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from coditect_tui.core.repo_rows import COLUMNS, Column, ColumnId, RepoRows
from coditect_tui.core.selection import Selection
from coditect_tui.ui.fit import ELLIPSIS, fit_columns
from coditect_tui.ui.glyphs import MARK
from coditect_tui.ui.selection_actions import mark_range

if TYPE_CHECKING:
    from coditect_tui.core.workspace_view import RepoView

#: The mark column: ``✔`` (or a space) and a bulk action's state glyph (or a space).
MARK_WIDTH = 2
#: A bulk action's state of a row, by its glyph (they read without colour).
PROGRESS = {"queued": "·", "running": "⟳", "ok": "✓", "failed": "✗", "skipped": "-"}


def cell(text: str, width: int, *, right: bool = False) -> str:
    """``text`` in exactly ``width`` cells: cut with an ellipsis, padded on the side."""
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + ELLIPSIS if width else ""
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


@lru_cache(maxsize=8)
def layout(width: int) -> list[tuple[Column, int]]:
    """The columns that fit ``width`` cells after the mark, each with its width; the name
    takes the room the others leave (columns drop by priority, ``ui/fit.py``)."""
    room = max(0, width - MARK_WIDTH)
    kept = fit_columns([c.width for c in COLUMNS], [c.priority for c in COLUMNS], room)
    columns = [COLUMNS[i] for i in kept]
    used = sum(c.width for c in columns) + max(0, len(columns) - 1)
    extra = max(0, room - used)
    return [(c, c.width + (min(extra, 40) if c.id == "name" else 0)) for c in columns]


class ReposTable(ScrollView, can_focus=True):
    """The rows of the repos view (see the module docstring)."""

    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False, id="repos.up"),
        Binding("down,j", "move(1)", "Down", show=False, id="repos.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="repos.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="repos.page_down"),
        Binding("home", "edge(0)", "First", show=False, id="repos.first"),
        Binding("end", "edge(1)", "Last", show=False, id="repos.last"),
        Binding("space", "mark", "Mark", id="selection.mark"),
        Binding("shift+up", "extend(-1)", "Mark up", show=False, id="selection.range_up"),
        Binding("shift+down", "extend(1)", "Mark down", show=False, id="selection.range_down"),
        Binding("comma", "cycle_sort", "Sort", id="repos.sort"),
        Binding("full_stop", "reverse_sort", "Reverse", show=False, id="repos.reverse"),
        Binding("enter", "open", "Open", show=False, id="repos.open"),
    ]
    DEFAULT_CSS = """
    ReposTable { height: 1fr; scrollbar-size-vertical: 1; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor is on ``repo``."""

        def __init__(self, repo: RepoView) -> None:
            super().__init__()
            self.repo = repo

    class Opened(Message):
        """Enter on ``repo``."""

        def __init__(self, repo: RepoView) -> None:
            super().__init__()
            self.repo = repo

    class Marked(Message):
        """The marks changed (the app redraws the tree and the count)."""

    class Sorted(Message):
        """The sort changed (the pane redraws its status line)."""

    def __init__(self, rows: RepoRows, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self.selection = Selection()  # the app's, once mounted in it (ReposPane)
        self._anchor: str | None = None  # where a shift+arrow range started
        self._range: list[str] = []  # what that range marked (shrinking it unmarks them)
        #: Row indices drawn since the last :meth:`reset_drawn` (tests and the bench
        #: check that only the visible rows are ever built).
        self.drawn: set[int] = set()
        #: path -> the state of the running (or last) bulk action in that repo.
        self.progress: dict[str, str] = {}

    # -- data ------------------------------------------------------------------------------

    def reload(self) -> None:
        """The rows changed (loaded, filtered or sorted): keep the cursor's repo in view."""
        current = self.current
        self.virtual_size = Size(self.size.width, len(self.rows.rows) + 1)
        index = self.rows.index_of(current.path) if current is not None else None
        self.cursor = index if index is not None else min(self.cursor, self._last())
        self._anchor, self._range = None, []
        self.refresh()

    @property
    def current(self) -> RepoView | None:
        """The repo under the cursor."""
        rows = self.rows.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    def reset_drawn(self) -> None:
        """Forget which rows were drawn."""
        self.drawn.clear()

    def _last(self) -> int:
        return max(0, len(self.rows.rows) - 1)

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style  # never a bare None style: NO_COLOR's filter needs one
        if y == 0:
            return self._header(width, base)
        index = self.scroll_offset.y + y - 1
        rows = self.rows.rows
        if index >= len(rows):
            return Strip.blank(width, base)
        self.drawn.add(index)
        return self._row(rows[index], index, width, base)

    def _header(self, width: int, base: Style) -> Strip:
        rows = self.rows
        segments = [Segment(" " * MARK_WIDTH, base)]
        for position, (column, size) in enumerate(layout(width)):
            title = column.title
            if column.id == rows.sort:
                title += "▼" if rows.reverse else "▲"
            if position:
                segments.append(Segment(" ", base))
            style = base + Style(bold=True, underline=column.id == rows.sort)
            segments.append(Segment(cell(title, size, right=column.right), style))
        return Strip(segments).adjust_cell_length(width, base)

    def _row(self, repo: RepoView, index: int, width: int, base: Style) -> Strip:
        marked = repo.path in self.selection
        style = base
        if marked:
            style += Style(bold=True)
        if index == self.cursor and self.has_focus:
            style += Style(reverse=True)
        cells = self.rows.cells(repo)
        glyph = PROGRESS.get(self.progress.get(repo.path, ""), " ")
        segments = [Segment(f"{MARK if marked else ' '}{glyph}", style)]
        for position, (column, size) in enumerate(layout(width)):
            if position:
                segments.append(Segment(" ", style))
            text = cells[column.id]
            segments.append(Segment(cell(text, size, right=column.right), style))
        return Strip(segments).adjust_cell_length(width, style)

    # -- cursor and scrolling --------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        top = self.scroll_offset.y
        height = max(1, self.size.height - 1)  # the header takes a line
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False, immediate=True)
        repo = self.current
        if repo is not None and old != new:
            self.post_message(self.Highlighted(repo))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        self._anchor, self._range = None, []
        self._step(step)

    def _step(self, step: int) -> None:
        if self.rows.rows:
            self.cursor = max(0, min(self._last(), self.cursor + step))

    def action_page(self, step: int) -> None:
        self.action_move(step * max(1, self.size.height - 2))

    def action_edge(self, which: int) -> None:
        self.action_move(-len(self.rows.rows) if which == 0 else len(self.rows.rows))

    # -- marks -----------------------------------------------------------------------------

    def action_mark(self) -> None:
        """Mark or unmark the repo under the cursor, then move down (as lazygit)."""
        repo = self.current
        if repo is None:
            return
        self.selection.toggle(repo.path)
        self._anchor, self._range = None, []
        self._step(1)
        self._marked()

    def action_extend(self, step: int) -> None:
        """shift+↑/↓: mark every row from where the range started to the cursor.

        The range starts at the cursor's row on the first shift+arrow; moving back over
        it unmarks the rows this range marked (rows marked before stay marked).
        """
        repo = self.current
        if repo is None:
            return
        if self._anchor is None:
            self._anchor, self._range = repo.path, []
        self._step(step)
        paths = self.rows.paths()
        start = self.rows.index_of(self._anchor)
        if start is None:
            return
        low, high = sorted((start, self.cursor))
        self._range, _changed = mark_range(self.selection, paths[low : high + 1], self._range)
        self._marked()

    def _marked(self) -> None:
        self.refresh()
        self.post_message(self.Marked())

    # -- sorting ---------------------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        self.rows.cycle_sort()
        self._sorted()

    def action_reverse_sort(self) -> None:
        """Reverse the sort."""
        self.rows.sort_by(self.rows.sort)
        self._sorted()

    def sort_by(self, column: ColumnId) -> None:
        """Sort by ``column`` (again: reversed)."""
        self.rows.sort_by(column)
        self._sorted()

    def _sorted(self) -> None:
        self.reload()
        self.post_message(self.Sorted())

    def on_click(self, event: events.Click) -> None:
        """A click on a title sorts by it; on a row, moves the cursor there."""
        if event.y == 0:
            x = MARK_WIDTH
            for column, size in layout(self.scrollable_content_region.width):
                if x <= event.x < x + size + 1:
                    self.sort_by(column.id)
                    return
                x += size + 1
            return
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self.rows.rows):
            self.action_move(index - self.cursor)

    def action_open(self) -> None:
        repo = self.current
        if repo is not None:
            self.post_message(self.Opened(repo))
