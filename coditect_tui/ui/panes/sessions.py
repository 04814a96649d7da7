"""The Git sessions pane: the selected repo's active session, live, and its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.workspace_view import RepoView

if TYPE_CHECKING:
    from coditect_tui.core.git.sessions import SessionState
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.models import GitSession

MAX_LIVE_FILES = 12


def elapsed(since: datetime, now: datetime) -> str:
    """``1 h 05 min`` / ``12 min`` / ``under a minute``."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes == 0:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def render_active(
    repo: RepoView, status: RepoStatus | None, state: SessionState | None, now: datetime
) -> Text:
    """The active session block (or how to start one)."""
    out = Text()
    out.append(f"{safe_text(repo.name)}", style="bold")
    out.append(f"  on {safe_text(repo.branch or '(detached)')}\n\n", style="dim")
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


def render_history(sessions: Sequence[GitSession] | None) -> Table | Text:
    """The project's session history, newest first."""
    if sessions is None:
        return Text("History: loading…", style="dim")
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


class GitSessionsPane(VerticalScroll):
    """Shows what the app hands it; the app keeps it live from watcher events."""

    DEFAULT_CSS = """
    GitSessionsPane { padding: 0 1; }
    GitSessionsPane #session-history { margin-top: 1; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text("Select a repo in the tree.", style="dim"), id="session-active")
        yield Static("", id="session-history")

    def show(
        self,
        repo: RepoView,
        status: RepoStatus | None,
        state: SessionState | None,
        history: Sequence[GitSession] | None,
        now: datetime,
    ) -> None:
        """Render the selected repo's session state and its project's history."""
        self.query_one("#session-active", Static).update(render_active(repo, status, state, now))
        self.query_one("#session-history", Static).update(render_history(history))
