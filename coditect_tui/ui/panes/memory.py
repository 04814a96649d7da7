"""The Memory pane: MEMORY-CONTEXT entries with filters, search as you type, previews.

The pane reads from the open tenant session's backend (it never opens one itself) and
reloads when the session says the index changed; it writes notes and finds a session
export's git session through the session too. Lists page from the backend (200 at a time,
the next page when the cursor nears the end); search results come from the full-text
index with highlighted snippets. The preview renders Markdown for ``.md`` files, keeps
transcripts as plain text (their ⏺/⎿ markers intact) in a text area that draws only the
visible lines, and shows export JSON as metadata, objectives, decisions and file changes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.memory.timing import disagrees
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant.events import (
    BackendOpened,
    ConnectionChanged,
    MemoryChanged,
    MemoryIndexing,
    SessionEvent,
)
from coditect_tui.core.wording import plural
from coditect_tui.ui.tenant_link import JumpTo, TenantPane, unreachable

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import MemoryEntry, MemoryFilter, SearchHit
    from coditect_tui.core.tenant.session import TenantSession
    from coditect_tui.core.workspace_view import RepoView

PAGE = 200
#: Bodies up to this size are rendered as Markdown; larger ones as plain text.
MARKDOWN_LIMIT = 50_000
KIND_CYCLE: tuple[str | None, ...] = (
    None,
    "checkpoint",
    "session",
    "session-template",
    "export-json",
    "transcript",
    "summary",
    "audit-log",
    "note",
    "other",
)
WINDOWS: tuple[tuple[str, int | None], ...] = (
    ("any time", None),
    ("last 7 days", 7),
    ("last 30 days", 30),
    ("last year", 365),
)
MARKDOWN_KINDS = {"checkpoint", "session", "session-template", "summary", "note"}
#: The kind column of the list: every kind whole but the two longest (``session-template``,
#: ``export-placeholder``), which are cut with an ellipsis, so a cut never reads as a kind.
KIND_WIDTH = 11


def entry_line(entry: MemoryEntry) -> Text:
    """``kind  YYYY-MM-DD HH:MM  title`` for the list (plain text, never markup)."""
    when = entry.timestamp.strftime("%Y-%m-%d %H:%M") if entry.timestamp else "undated"
    kind = entry.kind if len(entry.kind) <= KIND_WIDTH else entry.kind[: KIND_WIDTH - 1] + "…"
    line = Text(f"{kind:<{KIND_WIDTH}} ", style="dim", no_wrap=True, overflow="ellipsis")
    line.append(f"{when}  ", style="dim")
    line.append(safe_text(entry.title, max_length=120))
    return line


def hit_lines(hit: SearchHit) -> Text:
    """The entry line and its snippet, matches highlighted (by style and by brackets).

    The snippet is one line of plain words: its newlines and Markdown syntax are gone
    (``core/memory/markdown_text.py``), and it is built as styled ``Text``, never markup.
    """
    from coditect_tui.core.memory.markdown_text import snippet_runs

    text = entry_line(hit.entry)
    text.append("\n")
    snippet = Text("  ", no_wrap=True, overflow="ellipsis")
    for segment, matched in snippet_runs(hit.snippet):
        clean = safe_text(segment)
        if matched:
            snippet.append(f"«{clean}»", style="bold reverse")
        else:
            snippet.append(clean, style="dim")
    text.append_text(snippet)
    return text


def export_view(document: Any) -> Text:
    """A structured view of an export JSON (metadata, objectives, decisions, changes)."""
    out = Text()
    out.append("Export\n", style="bold underline")
    for label, value in (
        ("Timestamp", document.timestamp),
        ("Checkpoint", document.checkpoint_file),
        ("Repository", document.repository),
        ("Exported", document.export_time),
        ("Participants", ", ".join(document.participants)),
        ("Tags", ", ".join(document.tags)),
    ):
        if value:
            out.append(f"{label:<13}", style="bold")
            out.append(safe_text(value) + "\n")
    if document.objectives:
        out.append("\nObjectives\n", style="bold")
        out.append(safe_text(document.objectives, keep_newlines=True) + "\n")
    if document.decisions:
        out.append("\nDecisions\n", style="bold")
        for decision in document.decisions:
            out.append(f"• {safe_text(decision.decision, keep_newlines=True)}\n")
            if decision.context:
                out.append(f"  {safe_text(decision.context, max_length=300)}\n", style="dim")
    if any(document.file_changes.values()):
        out.append("\nFile changes\n", style="bold")
        for category, paths in document.file_changes.items():
            if paths:
                out.append(f"{category} ({len(paths)})\n", style="italic")
                for path in paths[:50]:
                    out.append(f"  {safe_text(path)}\n")
    if document.recent_commits:
        out.append("\nRecent commits\n", style="bold")
        for line in document.recent_commits[:20]:
            out.append(f"  {safe_text(line)}\n")
    for heading, text in document.sections:
        out.append(f"\n{safe_text(heading)}\n", style="bold")
        out.append(safe_text(text, keep_newlines=True) + "\n")
    for problem in document.problems:
        out.append(f"\n! {safe_text(problem)}\n", style="bold")
    return out


class MemoryPane(TenantPane, Vertical):
    """List + preview of the tenant's memory index (see the module docstring)."""

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="memory.search"),
        Binding("k", "cycle_kind", "Kind", id="memory.kind"),
        Binding("w", "cycle_window", "When", id="memory.window"),
        Binding("a", "toggle_project", "Project", id="memory.project"),
        Binding("escape", "back", "Back", id="memory.back", show=False),
        Binding("down", "focus_list", "Results", id="memory.results", show=False),
        Binding("n", "new_note", "Note", id="memory.note"),
        Binding("g", "to_session", "Git session", id="memory.git_session", show=False),
    ]
    DEFAULT_CSS = """
    MemoryPane #memory-search { height: 1; border: none; padding: 0 1; }
    MemoryPane #memory-filters { height: 1; padding: 0 1; color: $text-muted; }
    MemoryPane #memory-empty { height: auto; padding: 1 1; color: $text-muted;
                               display: none; }
    MemoryPane.empty #memory-empty { display: block; }
    MemoryPane #memory-list { height: 1fr; border: none; text-wrap: nowrap;
                              text-overflow: ellipsis; }
    MemoryPane #memory-preview { height: 1fr; display: none; padding: 0 1; }
    MemoryPane.previewing #memory-list { display: none; }
    MemoryPane.previewing #memory-preview { display: block; }
    """

    #: Seconds the typing must pause before the search runs (no query per key).
    SEARCH_PAUSE = 0.15

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend: Backend | None = None
        self.kind_index = 0
        self.window_index = 0
        self.entries: list[MemoryEntry] = []
        self.hits: list[SearchHit] = []
        self.hit_total: tuple[int, bool] = (0, True)  # (total, exact) of the search
        self.entry_total: tuple[int, bool] | None = None  # (total, exact) of the list
        self.next_cursor: str | None = None
        self.only_ids: list[str] | None = None
        self.project: tuple[str, str] | None = None  # (id, name) when scoped to one
        self.previewing: MemoryEntry | None = None
        self.repo: RepoView | None = None  # the repo selected in the tree
        self.indexing: tuple[int, int] | None = None  # (done, total) while files are indexed
        self._search_timer: Any = None
        self._open_top = False  # enter in the search box: open the top hit once loaded
        #: Set once the list shows the answer to what the search box holds now (cleared
        #: by every key, set when that text's search or listing is shown): what a test
        #: or a caller awaits instead of a delay.
        self.results_ready = asyncio.Event()
        #: The search text whose answer the list shows (None before the first one).
        self.shown_for: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder='/ search: words "a phrase" prefix* OR -word', id="memory-search")
        yield Static("", id="memory-filters")
        yield Static("", id="memory-empty")
        yield OptionList(id="memory-list")
        yield VerticalScroll(id="memory-preview")

    def on_mount(self) -> None:
        self.reload()

    @property
    def query_text(self) -> str:
        """What the search box holds (its value is the only record of the search)."""
        return self.query_one("#memory-search", Input).value.strip()

    async def answered(self) -> str:
        """Wait until the list shows the answer to what the search box holds now.

        The readiness signal of the pane (tests and callers await it, never a delay): a
        change of the box not yet handled (its ``Changed`` message is on the way) does
        not count as answered.

        Returns:
            The search text answered ("" for the listing).
        """
        while True:
            await self.results_ready.wait()
            if self.shown_for == self.query_text:
                return self.shown_for
            self.results_ready.clear()  # the box changed: its Changed message follows

    def _shown(self, query: str) -> None:
        """The list now shows the answer to ``query``: ready if the box still says so."""
        self.shown_for = query
        if query == self.query_text and self._search_timer is None:
            self.results_ready.set()

    # -- data -----------------------------------------------------------------------------

    def session_bound(self, session: TenantSession | None) -> None:
        """Forget the previous tenant's entries, scope and preview; list the new one's."""
        self.backend = session.backend if session is not None else None
        self.repo = None
        self.indexing = None
        self.project = None
        self.only_ids = None
        if self.is_mounted:
            self.previewing = None
            self.remove_class("previewing")
            self.query_one("#memory-preview", VerticalScroll).remove_children()
            self.reload()

    def session_event(self, event: SessionEvent) -> None:
        """Load once the backend is open; reload the listing when the index changed."""
        if isinstance(event, BackendOpened) and self.session is not None:
            self.backend = self.session.backend
            self.reload()
        elif isinstance(event, MemoryChanged) and self.only_ids is None and not self.previewing:
            self.reload()
        elif isinstance(event, MemoryIndexing):
            self.indexing = (event.done, event.total) if event.done < event.total else None
            if self.is_mounted:
                self._show_filters()
        elif isinstance(event, ConnectionChanged) and self.backend is None:
            self._show_filters()  # the store did not open: say why (and no "0 entries")

    def select(self, repo: RepoView) -> None:
        """The repo selected in the tree (notes go into its project's MEMORY-CONTEXT)."""
        self.repo = repo

    def current_filter(self) -> MemoryFilter:
        """The kind and time window chosen with k and w."""
        from coditect_tui.core.models import MemoryFilter

        kind = KIND_CYCLE[self.kind_index]
        days = WINDOWS[self.window_index][1]
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        return MemoryFilter(
            kinds=[kind] if kind else None,  # type: ignore[list-item]
            since=since,
            project_id=self.project[0] if self.project else None,
        )

    def _show_filters(self) -> None:
        from coditect_tui.core.memory.search import count_text

        kind = KIND_CYCLE[self.kind_index] or "all kinds"
        when = WINDOWS[self.window_index][0]
        if self.project:
            when += f" · {safe_text(self.project[1], max_length=20)}"
        scope = " · linked to the git session" if self.only_ids is not None else ""
        progress = ""  # next to the count: at 80 columns the line's end is cut
        if self.indexing is not None:
            done, total = self.indexing
            progress = f" · indexing {done:,} of {plural(total, 'file', grouped=True)}"
        if self.backend is None and unreachable(self.session):
            count = "index not open"  # not "0 entries": the index could not be read
        elif self.query_text:
            count = count_text(len(self.hits), self.hit_total[0], exact=self.hit_total[1])
        elif self.next_cursor and self.entry_total is not None:
            total, exact = self.entry_total
            count = count_text(len(self.entries), total, exact=exact, noun="entry")
        elif self.next_cursor:
            count = plural(len(self.entries), "entry", grouped=True) + " loaded, counting…"
        else:
            count = plural(len(self.entries), "entry")
        self.query_one("#memory-filters", Static).update(
            Text(
                f"{count}{progress} · {kind} · {when}{scope}",  # the footer shows k, w, a, /
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        self._show_empty_state()

    def _show_empty_state(self) -> None:
        """Say why the list is empty and what fills it, instead of a blank pane."""
        empty = self.query_one(OptionList).option_count == 0
        self.set_class(empty, "empty")
        if not empty:
            return
        if self.backend is None:
            hint = unreachable(self.session) or "The memory index opens with the tenant's store."
        elif self.only_ids is not None:
            hint = "No memory entries are linked to this git session."
        elif self.query_text:
            hint = "Nothing matches this search."
        elif KIND_CYCLE[self.kind_index] or WINDOWS[self.window_index][1] or self.project:
            hint = "No entries with these filters (k kind, w when, a project)."
        else:
            hint = (
                "No memory entries yet. MEMORY-CONTEXT folders in this tenant's "
                "workspace roots and projects are indexed here as their files change; "
                "n writes a note."
            )
        self.query_one("#memory-empty", Static).update(Text(hint))

    def reload(self) -> None:
        """Re-run the current listing or search."""
        if self._search_timer is not None:  # this is the search the pause was waiting for
            self._search_timer.stop()
            self._search_timer = None
        self.results_ready.clear()
        self.entries, self.hits, self.next_cursor = [], [], None
        self.query_one(OptionList).clear_options()
        if self.backend is None:
            self._open_top = False
            self._show_filters()
            self._shown(self.query_text)
            return
        self._load(self.query_text, more=False)

    def show_only(self, entries: list[MemoryEntry]) -> None:
        """Show exactly ``entries`` (e.g. those of a git session)."""
        self.only_ids = [e.id for e in entries]
        self.query_one(Input).value = ""
        self.entries, self.hits, self.next_cursor = list(entries), [], None
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(entry_line(e), id=e.id) for e in entries])
        self._back_to_list()
        self._show_filters()

    @work(exclusive=True, group="memory-load")
    async def _load(self, query: str, *, more: bool) -> None:
        from coditect_tui.core.memory.search import search_result

        backend = self.backend
        if backend is None:
            return
        if self.session is not None and not self.session.has("memory"):
            self.query_one("#memory-filters", Static).update(
                Text(f"Memory is not included in this tenant's tier ({self.session.tier}).")
            )
            self._shown(query)
            return
        options = self.query_one(OptionList)
        try:
            if query:
                result = await search_result(backend, query, self.current_filter(), limit=PAGE)
                if query != self.query_text:
                    return  # typed on meanwhile: this answer is for an older text
                hits = self.hits = result.hits
                self.hit_total = (result.total, result.total_exact)
                options.clear_options()
                options.add_options([Option(hit_lines(h), id=h.entry.id) for h in hits])
            else:
                flt = self.current_filter()
                page = await backend.list_memory_entries(
                    flt, cursor=self.next_cursor if more else None, limit=PAGE
                )
                if self.query_text:
                    return  # a search was typed meanwhile: the listing is not its answer
                if not more:
                    # the exact total, when one page does not hold them all
                    self.entry_total = None
                    if page.next_cursor:
                        counted = await backend.count_memory_entries(flt)
                        self.entry_total = (counted.total, counted.total_exact)
                    options.clear_options()
                    self.entries = []
                self.entries += page.items
                self.next_cursor = page.next_cursor
                options.add_options([Option(entry_line(e), id=e.id) for e in page.items])
        except CoditectError as exc:
            if query == self.query_text:  # (a malformed query: the answer is why)
                self.query_one("#memory-filters", Static).update(
                    Text(f"! {safe_text(exc)}", style="bold")
                )
                self._shown(query)
            return
        if options.highlighted is None and options.option_count:
            options.highlighted = 0
        self._show_filters()
        if not more:
            self._shown(query)
        if self._open_top:
            self._open_top = False
            self._open_top_hit()

    # -- events ---------------------------------------------------------------------------

    @on(Input.Changed, "#memory-search")
    def _typed(self, event: Input.Changed) -> None:
        """Every key: the shown answer is stale, a search in flight is cancelled, and the
        search for the box's text starts once the typing pauses (no query per key)."""
        self.results_ready.clear()
        self.workers.cancel_group(self, "memory-load")
        self.only_ids = None
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(self.SEARCH_PAUSE, self.reload)

    @on(Input.Submitted, "#memory-search")
    def _submitted(self) -> None:
        """Enter opens the top hit of what is typed (searched now, not after the pause)."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._open_top = True
        self.reload()

    def _open_top_hit(self) -> None:
        options = self.query_one(OptionList)
        entry = self._entry(options.get_option_at_index(0).id) if options.option_count else None
        if entry is not None:
            options.highlighted = 0
            self.open_preview(entry)

    @on(OptionList.OptionHighlighted, "#memory-list")
    def _near_end(self, event: OptionList.OptionHighlighted) -> None:
        options = self.query_one(OptionList)
        if (
            self.next_cursor
            and not self.query_text
            and self.only_ids is None
            and event.option_index >= options.option_count - 20
        ):
            self._load("", more=True)

    @on(OptionList.OptionSelected, "#memory-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        entry = self._entry(event.option.id)
        if entry is not None:
            self.open_preview(entry)

    def _entry(self, entry_id: str | None) -> MemoryEntry | None:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        for hit in self.hits:
            if hit.entry.id == entry_id:
                return hit.entry
        return None

    # -- preview --------------------------------------------------------------------------

    @work(exclusive=True, group="memory-preview")
    async def open_preview(self, entry: MemoryEntry) -> None:
        """Show one entry (the indexed text, or the file itself for export JSON)."""
        from textual.widgets import Markdown, TextArea

        backend = self.backend
        if backend is None:
            return
        self.previewing = entry
        preview = self.query_one("#memory-preview", VerticalScroll)
        await preview.remove_children()
        header = Text()
        header.append(safe_text(entry.title), style="bold")
        header.append(
            f"\n{entry.kind} · {safe_text(entry.timestamp_raw or 'undated')}", style="dim"
        )
        if entry.timestamp and entry.timestamp_note:
            header.append(f"\ntime {entry.timestamp:%Y-%m-%d %H:%M:%S} UTC", style="dim")
        if disagrees(entry.timestamp_note):
            header.append("\n! name and body disagree on the time", style="bold yellow")
        if entry.timestamp_note:
            header.append(f"\n{safe_text(entry.timestamp_note)}", style="dim italic")
        header.append(f"\n{safe_text(entry.path)}\n", style="dim")
        await preview.mount(Static(header))
        document = None
        if entry.kind == "export-json":
            document = await _load_export(Path(entry.path))
        if document is not None:
            await preview.mount(Static(export_view(document)))
        else:
            try:
                body = await backend.get_memory_body(entry.id)
            except CoditectError as exc:
                await preview.mount(Static(Text(f"! {safe_text(exc)}", style="bold")))
                body = None
            if body is not None:
                clean = safe_text(body, keep_newlines=True)
                if entry.kind in MARKDOWN_KINDS and len(clean) <= MARKDOWN_LIMIT:
                    from coditect_tui.core.memory.markdown_text import keep_metadata_lines

                    await preview.mount(Markdown(keep_metadata_lines(clean), open_links=False))
                else:
                    area = TextArea(clean, read_only=True, soft_wrap=True, show_line_numbers=False)
                    area.cursor_blink = False
                    await preview.mount(area)
        self.add_class("previewing")
        preview.scroll_home(animate=False)
        preview.focus()

    def _back_to_list(self) -> None:
        self.previewing = None
        self.remove_class("previewing")
        self.focus_list()

    def action_back(self) -> None:
        """Close the preview (or leave the search box)."""
        if self.previewing is not None:
            self._back_to_list()
        else:
            self.query_one(OptionList).focus()

    def take_focus(self) -> None:
        """Focus the list (or the open preview)."""
        self.focus_list()

    def action_focus_list(self) -> None:
        """From the search box into the results (down arrow)."""
        self.focus_list()

    def focus_list(self) -> None:
        """Focus the list (or the open preview)."""
        if self.previewing is not None:
            self.query_one("#memory-preview").focus()
            return
        options = self.query_one(OptionList)
        if options.option_count and options.highlighted is None:
            options.highlighted = 0
        options.focus()

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        self._back_to_list()
        self.query_one(Input).focus()

    def action_cycle_kind(self) -> None:
        """Next kind filter."""
        self.kind_index = (self.kind_index + 1) % len(KIND_CYCLE)
        self.only_ids = None
        self.reload()

    def action_cycle_window(self) -> None:
        """Next time window."""
        self.window_index = (self.window_index + 1) % len(WINDOWS)
        self.only_ids = None
        self.reload()

    def action_toggle_project(self) -> None:
        """All projects, or only the project of the repo selected in the tree."""
        if self.project is not None:
            self.project = None
        else:
            session = self.session
            self.project = session.project_of(self.repo.path) if session and self.repo else None
            if self.project is None:
                self.app.notify(
                    "Select a registered repo in the tree to scope memory to its project.",
                    severity="warning",
                )
                return
        self.only_ids = None
        self.reload()

    @work(group="memory-write", exclusive=True)
    async def action_new_note(self) -> None:
        """Write a note into the selected repo's project's MEMORY-CONTEXT (audited)."""
        from coditect_tui.core.memory.writer import memory_dir_of, write_note
        from coditect_tui.ui.screens.dialogs import TextPrompt

        if self.app.refuse("memory.note"):  # type: ignore[attr-defined]
            return  # said before the dialog asks for a title
        session, repo = self.session, self.repo
        folder = session.project_folder(repo.path) if session and repo else None
        if session is None or session.backend is None or repo is None or folder is None:
            self.app.notify(
                "Note: select a repo first (the note goes into its project's MEMORY-CONTEXT).",
                severity="warning",
            )
            return
        title = await self.app.push_screen_wait(TextPrompt("New note", "Title"))
        if title is None:
            return
        text = await self.app.push_screen_wait(
            TextPrompt(
                "New note", "Text (one line; edit the file later for more)", allow_empty=True
            )
        )
        if text is None:
            return
        try:
            written = await write_note(
                session.backend,
                memory_dir_of(folder),
                title,
                text,
                project_id=await session.project_id(repo.path),
            )
        except CoditectError as exc:
            self.app.report(exc, "Note")  # type: ignore[attr-defined]
            return
        self.app.notify(f"Note written: {safe_text(written.path)}")
        session.memory_changed()

    async def _find_session(self, session: TenantSession, session_key: str, near: str) -> None:
        try:
            path = await session.repo_of_session(session_key, near)
        except CoditectError as exc:
            self.app.report(exc, "Git session")  # type: ignore[attr-defined]
            return
        if path is None:
            self.app.notify(
                f"No git session {safe_text(session_key)} in this tenant.", severity="warning"
            )
            return
        self.post_message(JumpTo(path, "sessions"))

    @work(group="memory-jump", exclusive=True)
    async def show_session_memory(self, repo: RepoView | None) -> None:
        """Show the memory entries written for ``repo``'s latest git session."""
        from coditect_tui.core.memory.links import entries_for_git_session

        session = self.session
        repo_id = session.repo_ids.get(repo.path) if session and repo else None
        if session is None or session.backend is None or repo_id is None:
            self.app.notify(
                "Memory of a session: select a registered repo first.", severity="warning"
            )
            return
        try:
            sessions = (await session.backend.list_sessions(repo_id=repo_id, limit=1)).items
            if not sessions:
                self.app.notify("This repo has no recorded git session yet.")
                return
            entries = await entries_for_git_session(session.backend, sessions[0])
        except CoditectError as exc:
            self.app.report(exc, "Memory of a session")  # type: ignore[attr-defined]
            return
        if session is not self.session:
            return
        self.show_only(entries)
        if not entries:
            self.app.notify(
                "No memory entry names this session yet (end it with a session "
                "export to write one)."
            )

    def action_to_session(self) -> None:
        """From a session export, jump to its git session (by the key it names)."""
        entry = self.previewing or self._highlighted()
        if entry is not None:
            self._to_session_of(entry)

    @work(group="memory-jump", exclusive=True)
    async def _to_session_of(self, entry: MemoryEntry) -> None:
        from coditect_tui.core.memory.lookup import git_session_key

        session = self.session
        if session is None or session.backend is None:
            return
        try:
            key = await git_session_key(session.backend, entry)
        except CoditectError as exc:
            self.app.report(exc, "Git session")  # type: ignore[attr-defined]
            return
        if session is not self.session:
            return
        if key is None:
            self.app.notify("This entry names no git session.", severity="warning")
            return
        await self._find_session(session, key, entry.path)

    def _highlighted(self) -> MemoryEntry | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return self._entry(options.get_option_at_index(options.highlighted).id)


async def _load_export(path: Path) -> Any:
    """The structured export when the file is on this machine, else None."""
    import orjson

    from coditect_tui.core.memory.documents import parse_export

    def read() -> Any:
        try:
            return parse_export(orjson.loads(path.read_bytes()))
        except (OSError, orjson.JSONDecodeError):
            return None

    return await asyncio.to_thread(read)
