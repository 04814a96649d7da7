"""Every app-level action in one table: its key, binding id, label, and whether it changes
anything (read-only mode neither shows nor offers those, and the backend refuses them)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class AppAction:
    """One action of the app."""

    action: str
    key: str
    description: str
    binding_id: str
    mutating: bool = False
    show: bool = True
    palette: bool = True

    @property
    def name(self) -> str:
        """The action's method name (without arguments)."""
        return self.action.split("(", 1)[0]

    def binding(self) -> Binding:
        """The Textual binding (its id is what users remap in ui.keymap)."""
        return Binding(self.key, self.action, self.description, show=self.show, id=self.binding_id)


ACTIONS: tuple[AppAction, ...] = (
    AppAction("help", "question_mark", "Help", "app.help"),
    AppAction("switch_tenant", "ctrl+t", "Tenant", "app.switch_tenant"),
    AppAction("refresh", "r", "Refresh", "app.refresh", show=False),
    AppAction("session_start", "s", "Start", "session.start", mutating=True),
    AppAction("session_commit", "c", "Commit", "session.commit", mutating=True),
    AppAction("session_push", "p", "Push", "session.push", mutating=True),
    AppAction("session_sync", "y", "Sync", "session.sync", mutating=True, show=False),
    AppAction("session_pr", "P", "Pull request", "session.pr", mutating=True, show=False),
    AppAction("session_end", "x", "End", "session.end", mutating=True),
    AppAction("fetch", "f", "Fetch", "repo.fetch", mutating=True, show=False),
    AppAction("session_memory", "m", "Session memory", "session.memory", show=False),
    AppAction("open_editor", "e", "Editor", "repo.editor", mutating=True, show=False),
    AppAction("open_shell", "o", "Shell", "repo.shell", mutating=True, show=False),
    AppAction("show_tab('repo')", "1", "Repo", "pane.repo", show=False),
    AppAction("show_tab('dashboard')", "2", "Dashboard", "pane.dashboard", show=False),
    AppAction("show_tab('sessions')", "3", "Git sessions", "pane.sessions", show=False),
    AppAction("show_tab('memory')", "4", "Memory", "pane.memory", show=False),
    AppAction("show_tab('audit')", "5", "Audit", "pane.audit", show=False),
    AppAction("focus_tree", "t", "Tree", "app.focus_tree", show=False),
    AppAction("search_memory", "slash", "Search memory", "app.search_memory", show=False),
    AppAction("quit", "q", "Quit", "app.quit"),
)

MUTATING_ACTIONS = frozenset(a.name for a in ACTIONS if a.mutating)
