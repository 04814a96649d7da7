"""The Git sessions pane: the selected repo's active session, live, and its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant.events import (
    AuditAppended,
    ConnectionChanged,
    ReposRegistered,
    RepoStatusChanged,
    SessionEvent,
)
from coditect_tui.core.wording import head_label
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.tenant_link import TenantPane

if TYPE_CHECKING:
    from textual.timer import Timer

    from coditect_tui.core.git.sessions import SessionState
    from coditect_tui.core.models import GitSession
    from coditect_tui.core.tenant.session import TenantSession

MAX_LIVE_FILES = 12


def elapsed(since: datetime, now: datetime) -> str:
    """``1 h 05 min`` / ``12 min`` / ``under a minute``."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes == 0:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def render_active(repo: RepoView, state: SessionState | None, now: datetime) -> Text:
    """The active session block (or how to start one)."""
    status = repo.status
    out = Text()
    out.append(f"{safe_text(repo.name)}", style="bold")
    if status is not None:
        out.append(f"  on {safe_text(head_label(status))}", style="dim")
    out.append("\n\n")
    if state is None:
        out.append("No active session in this repo.\n")
        out.append(
            "Press s to start one (a session/YYYY-MM-DD-<description> branch, "
            "compatible with coditect-git-helper).\n",
            style="dim",
        )
        return out
    started = state.started()
    out.append("Active session: ", style="bold")
    out.append(safe_text(state.description) + "\n")
    out.append(f"  id {safe_text(state.session_id)}  branch {safe_text(state.branch)}\n")
    out.append(f"  started {started.strftime('%Y-%m-%d %H:%M')} ({elapsed(started, now)} ago)\n")
    out.append(f"  commits this session: {state.commit_count}   pushes: {state.push_count}\n")
    if status is not None and status.cached:
        status = None  # the last exit's counts, without the files: wait for git
    if status is not None and status.files:
        out.append(f"\nChanging now ({status.changed + status.untracked}):\n", style="bold")
        for entry in status.files[:MAX_LIVE_FILES]:
            out.append(f"  {entry.code} {safe_text(entry.path)}\n")
        if len(status.files) > MAX_LIVE_FILES:
            out.append(f"  … {len(status.files) - MAX_LIVE_FILES} more\n", style="dim")
    elif status is not None:
        out.append("\nNo uncommitted changes.\n", style="dim")
    out.append("\nc commit · p push · y sync · P pr · x end\n", style="dim")
    return out


def render_history(sessions: Sequence[GitSession] | str | None) -> Table | Text:
    """The project's session history, newest first (a string: why there is none)."""
    if sessions is None:
        return Text("History: loading…", style="dim")
    if isinstance(sessions, str):
        return Text(f"History: {safe_text(sessions)}", style="dim")
    if not sessions:
        return Text("History: no sessions recorded for this project yet.", style="dim")
    table = Table(
        title="History (this project)", title_justify="left", box=None, expand=True, pad_edge=False
    )
    table.add_column("Started", no_wrap=True)
    table.add_column("Description")
    table.add_column("Commits", justify="right")
    table.add_column("Pushes", justify="right")
    table.add_column("State", no_wrap=True)
    for session in sessions:
        table.add_row(
            session.started_at.astimezone().strftime("%m-%d %H:%M"),
            Text(safe_text(session.description, max_length=40)),
            str(session.commit_count),
            str(session.push_count),
            session.state,
        )
    return table


class GitSessionsPane(TenantPane, VerticalScroll):
    """The selected repo's session state and its project's history; runs the session
    verbs (the app's keys call :meth:`run_verb`)."""

    follows_tree = True
    DEFAULT_CSS = """
    GitSessionsPane { padding: 0 1; }
    GitSessionsPane #session-history { margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.repo: RepoView | None = None
        self.history: list[GitSession] | str | None = None
        self._ticker: Timer | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(self._placeholder(), id="session-active")
        yield Static("", id="session-history")

    @staticmethod
    def _placeholder() -> Text:
        return Text("Select a repo in the tree.", style="dim")

    def session_bound(self, session: TenantSession | None) -> None:
        """Forget the previous tenant's repo, state and history."""
        self.repo = None
        self.history = None
        self._tick(False)
        if self.is_mounted:
            self.query_one("#session-active", Static).update(self._placeholder())
            self.query_one("#session-history", Static).update("")

    def session_event(self, event: SessionEvent) -> None:
        """Redraw on the selected repo's changes; reload history when sessions change."""
        if self.repo is None or self.session is None:
            return
        if isinstance(event, RepoStatusChanged) and event.repo.path == self.repo.path:
            self.repo = event.repo
            self._redraw()
        elif isinstance(event, ReposRegistered | ConnectionChanged) or (
            isinstance(event, AuditAppended) and event.resource in (None, "sessions")
        ):
            self._load_history(self.repo.path)

    def select(self, repo: RepoView) -> None:
        """Show ``repo``'s session and load its project's history."""
        changed = self.repo is None or self.repo.path != repo.path
        self.repo = repo
        if changed:
            self.history = None
        self._redraw()
        if changed:
            self._load_history(repo.path)

    def _redraw(self) -> None:
        from coditect_tui.core.git.sessions import SessionFileError, read_session

        repo = self.repo
        if repo is None or self.session is None:
            return
        try:
            state = read_session(Path(repo.path)) if repo.initialised else None
        except SessionFileError as exc:
            self.app.notify(safe_text(exc), severity="warning")
            state = None
        self.show(repo, state, self.history, datetime.now().astimezone())
        self._tick(state is not None)

    def _tick(self, active: bool) -> None:
        """An active session's elapsed time is redrawn once a minute; nothing else ticks."""
        if active and self._ticker is None:
            self._ticker = self.set_interval(60, self._redraw)
        elif not active and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    @work(exclusive=True, group="session-history")
    async def _load_history(self, path: str) -> None:
        session = self.session
        if session is None:
            return
        if not session.has("git_sessions"):
            history: list[GitSession] | str | None = (
                f"git sessions are not included in this tenant's tier ({session.tier})."
            )
        elif session.backend is None:
            history = (
                f"the tenant's store is not open ({session.backend_error})."
                if session.backend_error
                else None
            )
        else:
            try:
                history = await session.history(path)
            except CoditectError as exc:
                history = f"cannot be read ({exc})."
            if history is None:
                history = (
                    "this repo is not registered in the tenant (read-only: nothing is "
                    "recorded for it)."
                    if session.read_only
                    else "this repo is not registered in the tenant yet."
                )
        if session is self.session and self.repo is not None and self.repo.path == path:
            self.history = history
            self._redraw()

    def show(
        self,
        repo: RepoView,
        state: SessionState | None,
        history: Sequence[GitSession] | str | None,
        now: datetime,
    ) -> None:
        """Render the selected repo's session state and its project's history."""
        self.query_one("#session-active", Static).update(render_active(repo, state, now))
        self.query_one("#session-history", Static).update(render_history(history))

    @work(group="session", exclusive=True)
    async def run_verb(self, verb: str) -> None:
        """Run a session verb (start, commit, push, sync, pr, end) on the selected repo."""
        from coditect_tui.ui.session_actions import SessionActions

        if self.session is None or verb not in SessionActions.VERBS:
            return
        actions = SessionActions(self.app, self.session, lambda: self.repo)  # type: ignore[arg-type]
        await getattr(actions, verb)()
