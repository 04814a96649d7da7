"""Every app-level action in one table (its key, binding id, label), and every key of the
app, its panes and dialogs that asks for a change, with the backend operation it needs.

A change the open tenant's principal may not make (``core/tenant/refusal.py`` decides with
the backends' policy) is left out of the footer and the palette; its key says why at once,
before any dialog opens. The backend refuses it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from coditect_tui.core.models import Action, Resource
from coditect_tui.core.policy import EVIDENCE_PACKS
from coditect_tui.core.tenant.refusal import Change

_SESSIONS = Resource.SESSIONS
#: The keys that ask for a change, by binding id.
CHANGES: dict[str, Change] = {
    "session.start": Change("start git sessions", _SESSIONS, Action.CREATE),
    "session.commit": Change("commit in git sessions", _SESSIONS),
    "session.push": Change("push git sessions", _SESSIONS),
    "session.sync": Change("sync git sessions", _SESSIONS),
    "session.pr": Change("open pull requests", _SESSIONS),
    "session.end": Change("end git sessions", _SESSIONS),
    "repo.fetch": Change("fetch repos", Resource.REPOS),
    "repo.editor": Change("open an editor in repos"),
    "repo.shell": Change("open a shell in repos"),
    "memory.note": Change("write memory notes", Resource.MEMORY, Action.CREATE),
    "memory.export": Change("write session exports", Resource.MEMORY, Action.CREATE),
    "audit.export": Change("export evidence packs", Resource.AUDIT, Action.EXPORT, EVIDENCE_PACKS),
}


@dataclass(frozen=True)
class AppAction:
    """One action of the app."""

    action: str
    key: str
    description: str
    binding_id: str
    show: bool = True
    palette: bool = True

    @property
    def name(self) -> str:
        """The action's method name (without arguments)."""
        return self.action.split("(", 1)[0]

    @property
    def mutating(self) -> bool:
        """Whether it asks for a change (``CHANGES``)."""
        return self.binding_id in CHANGES

    def binding(self) -> Binding:
        """The Textual binding (its id is what users remap in ui.keymap)."""
        return Binding(self.key, self.action, self.description, show=self.show, id=self.binding_id)


ACTIONS: tuple[AppAction, ...] = (
    AppAction("help", "question_mark", "Help", "app.help"),
    AppAction("switch_tenant", "ctrl+t", "Tenant", "app.switch_tenant"),
    AppAction("refresh", "r", "Refresh", "app.refresh", show=False),
    AppAction("session_start", "s", "Start", "session.start"),
    AppAction("session_commit", "c", "Commit", "session.commit"),
    AppAction("session_push", "p", "Push", "session.push"),
    AppAction("session_sync", "y", "Sync", "session.sync", show=False),
    AppAction("session_pr", "P", "Pull request", "session.pr", show=False),
    AppAction("session_end", "x", "End", "session.end"),
    AppAction("fetch", "f", "Fetch", "repo.fetch", show=False),
    AppAction("session_memory", "m", "Session memory", "session.memory", show=False),
    AppAction("open_editor", "e", "Editor", "repo.editor", show=False),
    AppAction("open_shell", "o", "Shell", "repo.shell", show=False),
    AppAction("show_tab('repo')", "1", "Repo", "pane.repo", show=False),
    AppAction("show_tab('dashboard')", "2", "Dashboard", "pane.dashboard", show=False),
    AppAction("show_tab('sessions')", "3", "Git sessions", "pane.sessions", show=False),
    AppAction("show_tab('memory')", "4", "Memory", "pane.memory", show=False),
    AppAction("show_tab('audit')", "5", "Audit", "pane.audit", show=False),
    AppAction("focus_tree", "t", "Tree", "app.focus_tree", show=False),
    AppAction("search_memory", "slash", "Search memory", "app.search_memory", show=False),
    AppAction("quit", "q", "Quit", "app.quit"),
)
