"""The Repos pane: every repo of the tenant in one sortable, filterable table.

A filter box (filter as you type: name, glob, group or category, branch), a status line
(how many repos are shown, how many are marked, the sort) and the virtual table
(:mod:`coditect_tui.ui.panes.repos_table`). The pane loads its repos from the session it
is bound to and follows their status changes; whether a repo has an active git session
is read from its working tree in a worker thread.

The marks are the app's selection (``CoditectApp.selection``), shared with the tree; the
app clears it when the tenant changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from coditect_tui.core.repo_rows import COLUMNS, RepoRows
from coditect_tui.core.selection import Selection
from coditect_tui.core.tenant.events import (
    RepoStatusChanged,
    SessionEvent,
    StatusesLive,
    TreeDiscovered,
)
from coditect_tui.core.wording import plural
from coditect_tui.ui.panes.repos_table import ReposTable
from coditect_tui.ui.tenant_link import JumpTo, TenantPane, unreachable

if TYPE_CHECKING:
    from coditect_tui.core.tenant.session import TenantSession
    from coditect_tui.core.workspace_view import RepoView, WorkspaceView

TITLES = {c.id: c.title for c in COLUMNS}


class ReposPane(TenantPane, Vertical):
    """Filter box, status line and the repos table (see the module docstring)."""

    names_repos = True

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="repos.filter"),
        Binding("escape", "back", "Back", show=False, id="repos.back"),
        Binding("down", "focus_table", "Rows", show=False, id="repos.rows"),
    ]
    DEFAULT_CSS = """
    ReposPane #repos-filter { height: 1; border: none; padding: 0 1; }
    ReposPane #repos-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = RepoRows(sessions={})
        self._sessions: dict[str, bool | None] = {}
        self.rows.sessions = self._sessions
        #: The rows are behind the session's view: loaded when the pane is next shown.
        self._stale = True
        #: Repos whose status changed since the last redraw (redrawn together).
        self._changed: dict[str, RepoView] = {}
        self._flush_due = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ filter: name, glob*, group, branch", id="repos-filter")
        yield Static("", id="repos-status")
        yield ReposTable(self.rows, id="repos-table")

    def on_mount(self) -> None:
        selection = getattr(self.app, "selection", None)
        if isinstance(selection, Selection):
            self.table.selection = selection
        self._status()

    @property
    def table(self) -> ReposTable:
        """The table widget."""
        return self.query_one(ReposTable)

    def take_focus(self) -> None:
        """The table takes the keys (``/`` goes to the filter box)."""
        self.table.focus()

    # -- data -----------------------------------------------------------------------------

    def session_bound(self, session: TenantSession | None) -> None:
        """Forget the previous tenant's repos and filter; show the new one's."""
        self._sessions.clear()
        self._changed.clear()
        self.rows.load([])
        self.rows.filter = ""
        if self.is_mounted:
            self.table.progress.clear()
            self.query_one("#repos-filter", Input).value = ""
            self.table.reload()
        self._stale = True
        if self._displayed():
            self._load()
        self._status()

    def session_event(self, event: SessionEvent) -> None:
        """Follow discovery, the first status read and every status change.

        A hidden pane only notes that its rows are behind (it loads them when shown); a
        shown one redraws once per burst of events, not once per event.
        """
        if isinstance(event, TreeDiscovered | StatusesLive):
            self._stale = True
            self._changed.clear()
        elif isinstance(event, RepoStatusChanged):
            if self._stale:
                return  # the next load reads the view, where this status already is
            if not self._displayed():
                self._stale = True
                self._changed.clear()
                return
            self._changed[event.repo.path] = event.repo
        else:
            return
        if self._displayed() and not self._flush_due:
            self._flush_due = True
            self.call_later(self._flush)

    def on_show(self) -> None:
        """Shown (its tab chosen): load the rows if they are behind the session."""
        if self._stale:
            self._load()

    def _displayed(self) -> bool:
        """Whether the pane is on screen (its tab is the active one)."""
        if not self.is_mounted:
            return False
        node: object = self
        while isinstance(node, Widget):
            if not node.display:
                return False
            node = node.parent
        return True

    def _flush(self) -> None:
        self._flush_due = False
        if self._stale:
            self._load()
        elif self._changed:
            from coditect_tui.core.repo_rows import active_sessions

            changed, self._changed = self._changed, {}
            # one small file per changed repo, as the Git sessions pane reads it
            self._sessions.update(active_sessions(changed))
            self._replace(changed)

    def _load(self) -> None:
        self._stale = False
        session = self.session
        if session is not None and session.view is not None:
            self.show(session.view)

    def show(self, view: WorkspaceView) -> None:
        """Show every repo of ``view`` (the filter and the sort are kept)."""
        self.rows.load(view.repos())
        if self.is_mounted:
            self.table.reload()
            self._status()
        self._read_sessions([r.path for r in self.rows.all if r.path not in self._sessions])

    def _replace(self, changed: dict[str, RepoView]) -> None:
        for rows in (self.rows.all, self.rows.rows):
            for index, old in enumerate(rows):
                new = changed.get(old.path)
                if new is not None:
                    rows[index] = new
        if self.is_mounted:
            self.table.refresh()
            self._status()

    @work(thread=True, group="repos-sessions")
    def _read_sessions(self, paths: list[str]) -> None:
        from coditect_tui.core.repo_rows import active_sessions

        session = self.session
        if not paths or session is None:
            return
        found = active_sessions(paths)
        self.app.call_from_thread(self._sessions_read, session, found)

    def _sessions_read(self, session: TenantSession, found: dict[str, bool | None]) -> None:
        if session is not self.session:
            return  # another tenant's repos by now
        self._sessions.update(found)
        if self.is_mounted:
            self.table.refresh()

    # -- the status line ------------------------------------------------------------------

    def _status(self) -> None:
        if not self.is_mounted:
            return
        rows = self.rows
        shown, total = len(rows.rows), len(rows.all)
        why = unreachable(self.session)
        if why is not None and not total:
            line = Text(why)
        elif not total:
            line = Text("No repos yet." if self.session is not None else "")
        else:
            count = (
                plural(total, "repo", grouped=True)
                if shown == total
                else f"{shown:,} of {plural(total, 'repo', grouped=True)}"
            )
            if rows.uninitialised:  # the dashboard and the tree count them: say where
                count += f" (+{rows.uninitialised:,} uninitialised)"
            marked = len(self.table.selection)
            arrow = "▼" if rows.reverse else "▲"
            line = Text(f"{count} · {marked:,} marked · by {TITLES[rows.sort]} {arrow}")
        self.query_one("#repos-status", Static).update(line)

    @on(ReposTable.Sorted)
    @on(ReposTable.Marked)
    def _table_changed(self) -> None:
        self._status()

    def bulk_progress(self, path: str | None, state: str) -> None:
        """A bulk action's state in the repo at ``path`` (None: forget every state)."""
        progress = self.table.progress
        if path is None:
            progress.clear()
        else:
            progress[path] = state
        self.table.refresh()

    def selection_changed(self) -> None:
        """The app's selection changed elsewhere (the tree, a filter, cleared)."""
        if self.is_mounted:
            self.table.refresh()
            self._status()

    # -- keys -----------------------------------------------------------------------------

    @on(Input.Changed, "#repos-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.rows.set_filter(event.value)
        self.table.reload()
        self._status()

    @on(Input.Submitted, "#repos-filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#repos-filter", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """escape and ↓ belong to the filter box only: in the rows, escape goes on to the
        app (it clears the selection) and ↓ moves the cursor."""
        if action in ("back", "focus_table"):
            return self.is_mounted and self.query_one("#repos-filter", Input).has_focus
        return True

    def action_back(self) -> None:
        """escape in the filter box: back to the rows."""
        self.table.focus()

    def action_focus_table(self) -> None:
        """↓ in the filter box: into the rows."""
        self.table.focus()

    @on(ReposTable.Opened)
    def _opened(self, message: ReposTable.Opened) -> None:
        self.post_message(JumpTo(message.repo.path, "repo"))
