"""The CODITECT workspace app: the shell around one open tenant session.

It paints the tree cached at the last exit, then opens a
:class:`~coditect_tui.core.tenant.session.TenantSession`. It composes the panes, owns the
keys, relays the tree's selection and the session's events, and swaps sessions on refresh
and tenant switch: the old one is closed and every pane cleared before the new one opens.
Panes load their own data from the session they are bound to (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from coditect_tui.core.errors import CoditectError, ReadOnly
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant import events as ev
from coditect_tui.core.workspace_view import RepoView, WorkspaceView, load_cached, paint_key
from coditect_tui.ui.actions import ACTIONS, CHANGES
from coditect_tui.ui.commands import ActionsProvider, PanesProvider, ReposProvider, TenantsProvider
from coditect_tui.ui.custom_commands import CustomCommandsMixin, CustomCommandsProvider
from coditect_tui.ui.groups import GroupActions, GroupsProvider
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repo_detail import RepoDetail
from coditect_tui.ui.plugin_host import PluginHostMixin
from coditect_tui.ui.selection_actions import SelectionMixin, SelectionProvider
from coditect_tui.ui.startup import TABS, PaintFirstApp
from coditect_tui.ui.system_commands import SystemCommandsMixin
from coditect_tui.ui.tenant_link import JumpTo, TenantEvent, TenantPane
from coditect_tui.ui.widgets.pane_tabs import PaneTabs, TabBar

if TYPE_CHECKING:
    from textual.screen import ActiveBinding

    from coditect_tui.core.settings import TenantProfile
    from coditect_tui.core.tenant.refusal import Change
    from coditect_tui.core.tenant.session import TenantSession


def _verb(verb: str, doc: str) -> Callable[[CoditectApp], None]:
    """An app action that runs session verb ``verb`` in the Git sessions pane."""

    def action(app: CoditectApp) -> None:
        if app.refuse(f"session.{verb}"):
            return
        from coditect_tui.ui.panes.sessions import GitSessionsPane  # mounted after paint

        for pane in app.query(GitSessionsPane):
            pane.run_verb(verb)

    action.__doc__ = doc
    return action


class WorkspaceScreen(Screen[None]):
    """The workspace's screen: its footer leaves out the keys of changes the open
    tenant's principal may not make (those keys still say why when pressed)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Textual's active bindings without the refused changes."""
        app = self.app
        assert isinstance(app, CoditectApp)
        return {
            key: active
            for key, active in super().active_bindings.items()
            if not (active.binding.id in CHANGES and app.refusal(active.binding.id))
        }


class CoditectApp(
    CustomCommandsMixin,
    GroupActions,
    SelectionMixin,
    SystemCommandsMixin,
    PluginHostMixin,
    PaintFirstApp,
):
    """The full-screen workspace."""

    BINDINGS = [action.binding() for action in ACTIONS]
    COMMANDS = App.COMMANDS | {
        ReposProvider,
        PanesProvider,
        ActionsProvider,
        TenantsProvider,
        GroupsProvider,
        SelectionProvider,
        CustomCommandsProvider,
    }
    session: TenantSession | None = None
    selected: RepoView | None = None
    live_at: float | None = None  # when every status was live (``exit_after_live``)
    _read_only_from_backend = False  # read_only_flag was set by the backend's answer

    def get_default_screen(self) -> Screen[None]:
        return WorkspaceScreen(id="_default")

    @property
    def view(self) -> WorkspaceView | None:
        """The tree on screen: the session's, or the cached paint before it has one."""
        session = self.session
        return session.view if session is not None and session.view else self._cached_view

    # -- the tenant session ----------------------------------------------------------------

    def _panes(self) -> list[TenantPane]:
        return [w for w in self.query("*") if isinstance(w, TenantPane)]

    def start_tenant(self, *, brief: bool) -> None:
        """(Re)open the current profile's tenant: the old session closes first."""
        self._open_tenant(None, brief)

    @work(exclusive=True, group="tenant")
    async def _open_tenant(self, name: str | None, brief: bool) -> None:
        from coditect_tui.core.tenant.session import TenantSession

        if not await self._ensure_settings():
            return
        assert self.settings is not None and self.profile is not None
        self.bind_custom_commands()
        await self.start_plugins(self.settings.plugins)
        profile = self.profile
        if name is not None:
            try:
                profile = self.settings.profile(name)
            except CoditectError as exc:
                self.report(exc, "Switch tenant")
                return
        await self.close_session()
        self._follow_role(profile)
        if name is not None:
            self.selection.clear()  # one tenant's repos never stay selected in another
            self.selection_changed()
            self.profile = profile
            self._apply_profile(profile)
            self.refresh_bindings()
            self._cached_view = load_cached(paint_key(profile))
        else:
            self.reconcile_views(profile)
        if self.aggregate_only:
            self._cached_view = None  # an advisor's screen never shows a cached tree
        session = TenantSession(
            profile,
            read_only=self.read_only_flag,
            demo_allowed=self.demo_allowed,
            quiet_repos=self.aggregate_only,
            previous=self._cached_view,
            config_hint=safe_text(self.config_path or "the config file"),
            prefetch=self.take_prefetch(),
        )
        self.session = session
        session.subscribe(lambda event: self.post_message(TenantEvent(session, event)))
        for pane in self._panes():
            if not (self.aggregate_only and pane.names_repos):
                pane.bind(session)
        if self._cached_view is not None and not self.aggregate_only:
            self.query_one(ProjectTree).show(self._cached_view, profile.title)
        await session.open()
        if brief and session is self.session and not self.aggregate_only:
            await self._show_brief(session)

    def _follow_role(self, profile: TenantProfile) -> None:
        """Read-only in the tenant about to open: the user's word (flag, environment,
        config) everywhere, else the role there; the previous tenant's role (or backend's
        answer) does not carry over. The backend's answer may still add to it."""
        from coditect_tui.core.policy import shipped_policy

        self._read_only_from_backend = False
        self.read_only_flag = self.forced_read_only or shipped_policy().is_read_only(profile.role)
        self.refresh_bindings()

    async def close_session(self) -> None:
        """Close the open session, if any, and clear every pane of its data.

        The panes show nothing until a session is opened again (``start_tenant``).
        """
        session, self.session = self.session, None
        self.selected = None
        for pane in self._panes():
            pane.bind(None)
        if session is not None:
            await session.close()

    def on_tenant_event(self, message: TenantEvent) -> None:
        """The app's share of a session's events: notices, read-only, benchmark exits."""
        event = message.event
        if message.session is not self.session:
            return
        if isinstance(event, ev.Notice):
            message = safe_text(event.message)
            if any(  # still on screen (a refresh retried and failed alike): say it once
                (n.message, n.title, n.severity) == (message, event.title, event.severity)
                for n in self._notifications
            ):
                return
            self.notify(message, title=event.title, severity=event.severity, timeout=event.timeout)
        elif isinstance(event, ev.BackendOpened) and event.read_only and not self.read_only_flag:
            self.read_only_flag = True  # the backend's word: a read-only key or role
            self._read_only_from_backend = True
            self.refresh_bindings()
        elif isinstance(event, ev.TenantLifecycle):
            self.refresh_bindings()  # a suspended or offboarded tenant takes no change
        elif isinstance(event, ev.TreeDiscovered) and self.exit_after_paint and not self._painted:
            self._painted = True
            self.call_after_refresh(self.exit)
        if isinstance(event, ev.TreeDiscovered):
            self._keep_discovered(event.view)
        elif isinstance(event, ev.StatusesLive) and self.exit_after_live:
            self.live_at = time.time()  # bench_live.py: the moment, not the teardown after it
            self.call_after_refresh(self.exit)

    async def _show_brief(self, session: TenantSession) -> None:
        """ "Since you were last here", as a notification: it arrives once the backend has
        answered, seconds into the user's work, so it must not take the keys (a dialog did)."""
        try:
            brief = await session.brief()
        except CoditectError as exc:
            self.report(exc, "Brief")
            return
        if brief is not None and session is self.session:
            title, lines = brief
            if not lines:  # one short line, gone soon: there is nothing to read
                self.notify("Nothing changed.", title=safe_text(title), timeout=5)
                return
            body = "\n".join(f"• {safe_text(line)}" for line in lines)
            self.notify(body, title=safe_text(title), timeout=20)

    # -- selection, jumps and tabs ---------------------------------------------------------

    def on_project_tree_repo_highlighted(self, event: ProjectTree.RepoHighlighted) -> None:
        self.selected = event.repo
        for pane in self._panes():
            select = getattr(pane, "select", None)
            if select is not None and not isinstance(pane, ProjectTree):
                select(event.repo)

    def on_jump_to(self, message: JumpTo) -> None:
        self.jump_to(message.path)
        self.action_show_tab(message.tab)

    def jump_to(self, path: str) -> None:
        """Select a repo in the tree (palette, dashboard, memory)."""
        self.query_one(ProjectTree).select_path(path)

    def action_show_tab(self, tab: str) -> None:
        """Show one of the right-hand panes and focus its main widget: its list or table,
        or the tree for a pane that shows the tree's repo (docs/user-guide.md, Focus)."""
        if tab in TABS:
            self.query_one(PaneTabs).active = tab
            self.call_after_refresh(self._focus_tab, tab)

    def on_tab_bar_chosen(self, message: TabBar.Chosen) -> None:
        message.stop()
        self.action_show_tab(message.tab)

    def _focus_tab(self, tab: str) -> None:
        tree = self.query_one(ProjectTree)
        for pane in self.query_one(f"#{tab}").query("*"):
            if isinstance(pane, TenantPane):
                if pane.follows_tree and tree.display:
                    tree.focus()
                else:
                    pane.take_focus()
                return

    def action_search_memory(self) -> None:
        """Show the Memory pane with the cursor in its search box."""
        from coditect_tui.ui.panes.memory import MemoryPane  # mounted after the first paint

        self.query_one(PaneTabs).active = "memory"
        self.call_after_refresh(lambda: [p.action_focus_search() for p in self.query(MemoryPane)])

    def action_focus_tree(self) -> None:
        """Put the focus back on the project tree."""
        self.query_one(ProjectTree).focus()

    def action_help(self) -> None:
        """Every binding and the glyph legend."""
        from coditect_tui.ui.screens.help import HelpScreen, binding_rows, declared_bindings

        groups = {"app": [a.binding() for a in ACTIONS], **declared_bindings()}
        rows = binding_rows(
            groups,
            self.boot.keymap,
            lambda key: self.get_key_display(Binding(key, "")),  # type: ignore[arg-type]
        )
        refused = {row[2] for row in rows if self.refusal(row[2])}
        self.push_screen(HelpScreen(rows, refused))

    def action_admin(self) -> None:
        """Members, API keys, usage and feature flags (owners and admins)."""
        from coditect_tui.ui.screens.admin import AdminScreen

        if self.refuse("tenant.admin"):
            return
        session = self.session
        if session is None or session.backend is None:
            self.notify("The tenant is still opening; try again in a moment.")
            return
        self.push_screen(AdminScreen(session))

    def action_refresh(self) -> None:
        """Re-discover and re-read everything of the open tenant (a new session)."""
        self.start_tenant(brief=False)

    # -- refusals (read-only, role, tier) -------------------------------------------------

    def refusal(self, binding_id: str) -> str | None:
        """Why the change of key ``binding_id`` would be refused in the open tenant, in one
        line, or None (not a change, or allowed). Decided with the backends' policy from
        the role the backend reported; until it has, only read-only mode refuses (the
        first paint's footer loads no policy)."""
        change = CHANGES.get(binding_id)
        return None if change is None else self.change_refusal(change)

    def change_refusal(self, change: Change) -> str | None:
        """Why ``change`` would be refused in the open tenant, in one line, or None
        (see :meth:`refusal`)."""
        from coditect_tui.core.tenant.refusal import refusal

        session = self.session
        principal = session.principal if session is not None else None
        if principal is None and not self.read_only:
            return None
        profile = session.profile if session is not None else self.profile
        role = principal.role if principal else profile.role if profile else self.boot.role
        tier = profile.tier if profile is not None else "internal"
        subject = session.subject if session is not None else None
        return refusal(
            change, role=role, tier=subject or tier, read_only=self._read_only_reason(principal)
        )

    def _read_only_reason(self, principal: object) -> str | None:
        """Why the session is read-only apart from the role: the user asked (flag,
        environment, config) or the backend says so (a read-only API key)."""
        from coditect_tui.core.settings import env_read_only

        if self.forced_read_only:
            if env_read_only():
                return "CODITECT_READ_ONLY is set"
            if self.settings is not None and self.settings.read_only:
                return "read_only: true in the config"
            return "started with --read-only"
        if getattr(principal, "read_only", False):
            return "the backend's key is read-only"
        state = self.session.tenant_state if self.session is not None else None
        if state not in (None, "active"):
            return f"the tenant is {state}"
        return None

    def refuse(self, binding_id: str) -> bool:
        """Say at once why the change of key ``binding_id`` is refused; False if allowed.

        The backend is still asked, after the notice, so it records the attempt as denied
        (``authorize_event``) as it does any refusal.
        """
        why = self.refusal(binding_id)
        if why is None:
            return False
        self.notify(why, severity="error", timeout=8)
        change, session = CHANGES[binding_id], self.session
        if change.resource is not None and session is not None and session.backend is not None:
            name = f"{change.resource}.{binding_id.split('.', 1)[1]}"  # e.g. sessions.start
            self._record_refusal(session, change.resource, change.action, name)
        return True

    @work(group="refusals")
    async def _record_refusal(
        self, session: TenantSession, resource: str, action: str, name: str
    ) -> None:
        from coditect_tui.core.models import Action, Resource

        if session.backend is not None:
            with contextlib.suppress(CoditectError):
                await session.backend.authorize_event(Resource(resource), Action(action), name)

    async def run_palette_action(self, action: str) -> None:
        """Run an action chosen in the palette (a refused change says why)."""
        await self.run_action(action)

    def report(self, exc: BaseException, what: str) -> None:
        """Show a failure in one line (a ReadOnly from the backend says read-only)."""
        if isinstance(exc, ReadOnly):
            self.notify(
                f"Read-only: {what} refused by the backend ({safe_text(exc)})",
                severity="error",
                timeout=10,
            )
        else:
            self.notify(f"{what}: {safe_text(exc)}", severity="error", timeout=10)

    # -- tenants ------------------------------------------------------------------------

    def action_switch_tenant(self) -> None:
        """Open the fuzzy tenant switcher."""
        from coditect_tui.ui.screens.tenant_switcher import TenantSwitcher

        if self.settings is None:
            self.notify("Still loading the configuration; try again in a moment.")
            return
        tenants = list(self.settings.tenants)
        self.push_screen(TenantSwitcher(tenants, self.tenant), lambda n: n and self.switch_to(n))

    def switch_to(self, name: str) -> None:
        """Close the open tenant's session and open tenant ``name`` in this process."""
        if name == self.tenant:
            self.notify(f"Already in {safe_text(self.title_text)}.")
            return
        self._open_tenant(name, True)

    # -- repo and session actions ------------------------------------------------------------

    action_session_start = _verb("start", "Start a session on the selected repo.")
    action_session_commit = _verb("commit", "Stage everything and commit (maybe cascading).")
    action_session_push = _verb("push", "push -u origin <branch> (main needs a typed name).")
    action_session_sync = _verb("sync", "fetch + pull --rebase; a conflict is left as is.")
    action_session_pr = _verb("pr", "Open a pull request (gh), or show the compare URL.")
    action_session_end = _verb("end", "Final commit and push, optional merge, summary.")

    def action_session_memory(self) -> None:
        """The memory entries written for the selected repo's latest git session."""
        from coditect_tui.ui.panes.memory import MemoryPane  # mounted after the first paint

        self.query_one(PaneTabs).active = "memory"
        for pane in self.query(MemoryPane):
            pane.show_session_memory(self.selected)

    def action_fetch(self) -> None:
        """git fetch in the selected repo (network; hardened; never runs repo hooks)."""
        if not self.refuse("repo.fetch"):
            self.query_one(RepoDetail).fetch()

    def action_bulk(self) -> None:
        """Fetch, pull, push, switch or submodule update over the marked repos."""
        from coditect_tui.ui.bulk_actions import run_bulk

        self.run_worker(run_bulk(self), group="bulk")

    def action_open_editor(self) -> None:
        """Suspend the app and open $EDITOR (or $VISUAL, else vi) in the selected repo."""
        if not self.refuse("repo.editor"):
            self.query_one(RepoDetail).open_editor()

    def action_open_shell(self) -> None:
        """Suspend the app and open $SHELL in the selected repo."""
        if not self.refuse("repo.shell"):
            self.query_one(RepoDetail).open_shell()

    # -- shutdown -------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Close the session (it saves the cache and the last-seen state), exit."""
        await self.close_session()
        self.exit()

    async def on_unmount(self) -> None:
        await self.close_session()
        await self.stop_plugins()
        prefetch = self.take_prefetch()  # the app stopped before a session took it
        if prefetch is not None:
            await asyncio.to_thread(prefetch.close)
