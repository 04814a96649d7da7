"""Every app-level action in one table (its key, binding id, label), and every key of the
app, its panes and dialogs that asks for a change, with the backend operation it needs.

A change the open tenant's principal may not make (``core/tenant/refusal.py`` decides with
the backends' policy) is left out of the footer and the palette; its key says why at once,
before any dialog opens. The backend refuses it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from coditect_tui.core.custom_commands.keys import BUILTIN_KEYS
from coditect_tui.core.tenant.refusal import Change

#: The keys that ask for a change, by binding id ("memory.export": the session export
#: offered when a session ends), with the backend operation each needs.
CHANGES: dict[str, Change] = {
    "session.start": Change("start git sessions", "sessions", "create"),
    "session.commit": Change("commit in git sessions", "sessions"),
    "session.push": Change("push git sessions", "sessions"),
    "session.sync": Change("sync git sessions", "sessions"),
    "session.pr": Change("open pull requests", "sessions"),
    "session.end": Change("end git sessions", "sessions"),
    "repo.fetch": Change("fetch repos", "repos"),
    "repos.bulk": Change("run git on many repos", "repos"),
    "repo.editor": Change("open an editor in repos"),
    "repo.shell": Change("open a shell in repos"),
    "memory.note": Change("write memory notes", "memory", "create"),
    "memory.export": Change("write session exports", "memory", "create"),
    "audit.export": Change("export evidence packs", "audit", "export", "evidence_packs"),
    "group.add": Change("change groups"),
    "group.remove": Change("change groups"),
    "tenant.admin": Change("administer members and keys", "members", "update"),
}


@dataclass(frozen=True)
class AppAction:
    """One action of the app; its default key is ``BUILTIN_KEYS[binding_id]`` (core keeps
    that table so the config's validation can refuse a custom command's key that would
    shadow it)."""

    action: str
    description: str
    binding_id: str
    show: bool = True
    palette: bool = True

    @property
    def name(self) -> str:
        """The action's method name (without arguments)."""
        return self.action.split("(", 1)[0]

    @property
    def key(self) -> str:
        """The default key."""
        return BUILTIN_KEYS[self.binding_id]

    @property
    def mutating(self) -> bool:
        """Whether it asks for a change (``CHANGES``)."""
        return self.binding_id in CHANGES

    def binding(self) -> Binding:
        """The Textual binding (its id is what users remap in ui.keymap)."""
        return Binding(self.key, self.action, self.description, show=self.show, id=self.binding_id)


ACTIONS: tuple[AppAction, ...] = (
    AppAction("help", "Help", "app.help"),
    AppAction("switch_tenant", "Tenant", "app.switch_tenant"),
    AppAction("refresh", "Refresh", "app.refresh", show=False),
    AppAction("session_start", "Start", "session.start"),
    AppAction("session_commit", "Commit", "session.commit"),
    AppAction("session_push", "Push", "session.push"),
    AppAction("session_sync", "Sync", "session.sync", show=False),
    AppAction("session_pr", "Pull request", "session.pr", show=False),
    AppAction("session_end", "End", "session.end"),
    AppAction("fetch", "Fetch", "repo.fetch", show=False),
    AppAction("session_memory", "Session memory", "session.memory", show=False),
    AppAction("open_editor", "Editor", "repo.editor", show=False),
    AppAction("open_shell", "Shell", "repo.shell", show=False),
    AppAction("show_tab('repo')", "Repo", "pane.repo", show=False),
    AppAction("show_tab('dashboard')", "Dashboard", "pane.dashboard", show=False),
    AppAction("show_tab('sessions')", "Git sessions", "pane.sessions", show=False),
    AppAction("show_tab('memory')", "Memory", "pane.memory", show=False),
    AppAction("show_tab('audit')", "Audit", "pane.audit", show=False),
    AppAction("show_tab('repos')", "Repos", "pane.repos", show=False),
    AppAction("focus_tree", "Tree", "app.focus_tree", show=False),
    AppAction("search_memory", "Search memory", "app.search_memory", show=False),
    AppAction("group_filter", "Group filter", "group.filter", show=False),
    AppAction("group_add", "Add to group", "group.add", show=False),
    AppAction("group_remove", "Remove from group", "group.remove", show=False),
    AppAction("bulk", "Bulk git", "repos.bulk", show=False),
    AppAction("admin", "Administration", "tenant.admin", show=False),
    AppAction("select_by_filter", "Select by filter", "selection.by_filter", show=False),
    AppAction("clear_selection", "Clear selection", "selection.clear", show=False),
    AppAction("quit", "Quit", "app.quit"),
)
