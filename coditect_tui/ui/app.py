"""The CODITECT workspace app: the shell around one open tenant session.

Start-up paints first and works after: the tree comes from the small cache written at the
last exit (marked "cached"), then a :class:`~coditect_tui.core.tenant.session.TenantSession`
discovers the roots, reads every repo's status, opens the backend (SQLAlchemy is imported
only then), registers the tree and keeps it live. The app composes the panes, owns the
keys, relays the tree's selection, and swaps sessions on refresh and tenant switch: the
old session is closed (every task awaited, every handle closed) and every pane cleared
before the new one opens. Panes load their own data from the session they are bound to.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widget import Widget
from textual.widgets import Footer

from coditect_tui.core.errors import CoditectError, ReadOnly
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant import events as ev
from coditect_tui.core.workspace_view import RepoView, WorkspaceView, load_cached
from coditect_tui.ui.actions import ACTIONS, MUTATING_ACTIONS
from coditect_tui.ui.commands import ActionsProvider, PanesProvider, ReposProvider, TenantsProvider
from coditect_tui.ui.panes.audit import AuditPane
from coditect_tui.ui.panes.dashboard import DashboardPane
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repo_detail import RepoDetail
from coditect_tui.ui.panes.sessions import GitSessionsPane
from coditect_tui.ui.tenant_link import JumpTo, TenantEvent, TenantPane
from coditect_tui.ui.themes import register_catalog
from coditect_tui.ui.widgets.header import TenantHeader
from coditect_tui.ui.widgets.pane_tabs import PaneTab, PaneTabs, TabBar

if TYPE_CHECKING:
    from coditect_tui.core.boot import Boot
    from coditect_tui.core.settings import Settings, TenantProfile
    from coditect_tui.core.tenant.session import TenantSession

#: The right-hand panes: id, tab label, default key (binding id ``pane.<id>``).
PANES = (
    ("repo", "Repo", "1"),
    ("dashboard", "Dashboard", "2"),
    ("sessions", "Git sessions", "3"),
    ("memory", "Memory", "4"),
    ("audit", "Audit", "5"),
)
TABS = tuple(tab for tab, _label, _key in PANES)
#: How each pane that is not shown at start is made (mounted after the first paint).
HIDDEN_PANES: dict[str, Callable[[], Widget]] = {
    "dashboard": lambda: DashboardPane(id="dashboard-pane"),
    "sessions": lambda: GitSessionsPane(id="sessions-pane"),
    "memory": lambda: MemoryPane(id="memory-pane"),
    "audit": lambda: AuditPane(id="audit-pane"),
}


def _verb(verb: str, doc: str) -> Callable[[CoditectApp], None]:
    """An app action that runs session verb ``verb`` in the Git sessions pane."""

    def action(app: CoditectApp) -> None:
        for pane in app.query(GitSessionsPane):
            pane.run_verb(verb)

    action.__doc__ = doc
    return action


class CoditectApp(App[None]):
    """The full-screen workspace."""

    CSS_PATH = "app.tcss"
    TITLE = "CODITECT"
    BINDINGS = [action.binding() for action in ACTIONS]
    COMMANDS = App.COMMANDS | {ReposProvider, PanesProvider, ActionsProvider, TenantsProvider}

    def __init__(
        self,
        boot: Boot,
        *,
        settings: Settings | None = None,
        profile: TenantProfile | None = None,
        settings_loader: Callable[[], tuple[Settings, TenantProfile]] | None = None,
        read_only: bool = False,
        theme_override: str | None = None,
        exit_after_paint: bool = False,
        exit_after_live: bool = False,
        cached_paint: bool = True,
    ) -> None:
        """Create the app.

        Args:
            boot: the resolved start-up facts (enough to paint).
            settings: validated settings, when already loaded (else ``settings_loader``
                loads them right after the first paint).
            profile: the boot tenant's validated profile.
            settings_loader: loads and validates the settings; raises ConfigError.
            read_only: ``--read-only`` / environment / config (kept across switches).
            theme_override: ``--theme`` (wins over every tenant's theme).
            exit_after_paint: exit right after the first painted workspace (benchmarks).
            exit_after_live: exit once every repo's status was read from git (benchmarks).
            cached_paint: paint from the last exit's cache first.
        """
        super().__init__()
        self.boot = boot
        self.settings = settings
        self.profile = profile
        self.settings_loader = settings_loader
        self.tenant = boot.tenant
        self.title_text = boot.title
        self.read_only_flag = read_only or boot.read_only
        self.theme_override = theme_override
        self.exit_after_paint = exit_after_paint
        self.exit_after_live = exit_after_live
        self.demo_allowed = boot.demo_allowed
        self.aggregate_only = boot.aggregate_only
        self.config_path = boot.config_path
        self.cached_paint = cached_paint
        self.theme_specs: dict[str, dict[str, object]] = {boot.theme: boot.theme_spec}
        self.session: TenantSession | None = None
        self.selected: RepoView | None = None
        self._cached_view: WorkspaceView | None = None
        self._painted = False
        # Registered and chosen before the stylesheet is first built: choosing a theme
        # after mount re-parses every rule (a tenth of the start-up).
        self._theme_warnings = register_catalog(self, self.theme_specs)
        if boot.theme in self.available_themes:
            self.theme = boot.theme

    @classmethod
    def for_profile(
        cls,
        settings: Settings,
        profile: TenantProfile,
        *,
        read_only: bool = False,
        theme: str | None = None,
        config_path: Path | None = None,
        from_file: bool = True,
        **options: Any,
    ) -> CoditectApp:
        """The app on validated settings (tests, and a start-up whose boot cache missed)."""
        from coditect_tui.core.boot import boot_from_settings
        from coditect_tui.core.paths import user_config_file
        from coditect_tui.core.themes import load_themes

        boot = boot_from_settings(
            settings,
            profile,
            theme_override=theme,
            read_only=read_only,
            from_file=from_file,
            config_path=config_path or user_config_file(),
            catalog=load_themes(),
        )
        return cls(
            boot,
            settings=settings,
            profile=profile,
            read_only=read_only,
            theme_override=theme,
            **options,
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: str = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:  # type: ignore[override]
        """Notifications carry repo names and git output: never interpreted as markup."""
        super().notify(
            message,
            title=title,
            severity=severity,
            timeout=timeout,
            markup=markup,  # type: ignore[arg-type]
        )

    # -- what the open session holds (the palette, tests) -----------------------------------

    @property
    def read_only(self) -> bool:
        """Read-only by flag, config or role (the backend enforces it either way)."""
        return self.read_only_flag

    @property
    def view(self) -> WorkspaceView | None:
        """The tree on screen: the session's, or the cached paint before it has one."""
        session = self.session
        return session.view if session is not None and session.view else self._cached_view

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TenantHeader(id="header")
        keymap = dict(self.boot.keymap)
        tabs = [
            PaneTab(
                tab,
                label,
                keymap.get(f"pane.{tab}", key).split(",")[0].strip(),
                short=label.split()[-1].capitalize(),
            )
            for tab, label, key in PANES
        ]
        # The hidden panes are mounted right after the first paint (_mount_hidden_panes).
        panes = [
            Container(RepoDetail(id="repo-detail"), id="repo"),
            *(Container(id=tab) for tab in HIDDEN_PANES),
        ]
        with Horizontal(id="body"):
            yield ProjectTree(id="tree")
            yield PaneTabs(tabs, panes, initial="repo", id="tabs")
        yield Footer()

    def on_mount(self) -> None:
        boot = self.boot
        self.set_keymap(dict(boot.keymap))
        for warning in [*self._theme_warnings, *boot.warnings]:
            self.notify(safe_text(warning), severity="warning", timeout=8)
        self._show_header(
            boot.title,
            boot.role,
            boot.backend_kind,
            str(boot.theme_spec.get("brand") or "CODITECT"),
        )
        self.query_one(ProjectTree).focus()
        if self.aggregate_only:
            self._aggregate_layout()
        cached = load_cached(self.tenant) if self.cached_paint and not self.aggregate_only else None
        if cached is None:
            self.call_after_refresh(self._after_first_paint)
            return
        self._cached_view = cached
        self.query_one(ProjectTree).show(cached, self.title_text)
        if not self.exit_after_paint:  # on_ready ends such a run once this view is on screen
            self.call_after_refresh(self._after_first_paint)

    def on_ready(self) -> None:
        """Textual posts Ready right after the first frame. On a start from the paint cache
        that frame holds the workspace, so ``--exit-after-paint`` ends here, where the
        minimal app of bench_startup.py ends."""
        if self.exit_after_paint and self._cached_view is not None and not self._painted:
            self._painted = True
            self.exit()

    def _after_first_paint(self) -> None:
        """Mount the panes that are not shown at start (composing them costs more than the
        workspace), then open the tenant."""
        if not self.exit_after_paint:
            for tab, make in HIDDEN_PANES.items():
                container = self.query_one(f"#{tab}", Container)
                if not container.children:
                    container.mount(make())
        self.start_tenant(brief=False)

    def _panes(self) -> list[TenantPane]:
        return [w for w in self.query("*") if isinstance(w, TenantPane)]

    def _aggregate_layout(self, aggregate: bool = True) -> None:
        """An advisor sees counts and trends only: no tree, no repo-level pane."""
        self.aggregate_only = aggregate
        tree = self.query_one(ProjectTree)
        tree.display = not aggregate
        tabs = self.query_one(PaneTabs)
        for tab in ("repo", "sessions", "memory", "audit"):
            (tabs.hide_tab if aggregate else tabs.show_tab)(tab)
        if aggregate:
            tree.clear()
            tabs.active = "dashboard"

    def _show_header(self, title: str, role: str, backend_kind: str, brand: str) -> None:
        header = self.query_one(TenantHeader)
        header.brand, header.tenant, header.role = brand, title, role
        header.read_only = self.read_only
        header.backend = backend_kind
        header.connection = "opening"
        self.sub_title = title

    async def _ensure_settings(self) -> bool:
        """Load and validate the settings if the boot cache let the paint skip them."""
        if self.settings is not None and self.profile is not None:
            return True
        if self.settings_loader is None:
            return False
        try:
            self.settings, self.profile = self.settings_loader()
        except CoditectError as exc:
            self.exit(return_code=getattr(exc, "exit_code", 2), message=f"coditect: error: {exc}")
            return False
        return True

    def _apply_profile(self, profile: TenantProfile) -> None:
        """Theme, header and layout of a tenant switched to."""
        from coditect_tui.core.themes import DEFAULT_THEME, load_themes
        from coditect_tui.core.views import load_views

        if len(self.theme_specs) <= 1:  # every theme, validated on first use
            self.theme_specs.update({n: t.model_dump() for n, t in load_themes().themes.items()})
            register_catalog(self, self.theme_specs)
        assert self.settings is not None
        wanted = self.theme_override or profile.theme or self.settings.ui.theme
        theme = wanted if wanted in self.available_themes else DEFAULT_THEME
        if theme != wanted:
            self.notify(
                f"unknown theme {safe_text(wanted)!r}; using {DEFAULT_THEME!r}",
                severity="warning",
                timeout=8,
            )
        self.theme = theme
        self.tenant, self.title_text = profile.name, profile.title
        self.demo_allowed = False
        try:
            views = load_views().views_for(role=profile.role, tier=profile.tier)
        except CoditectError:
            views = []
        self._aggregate_layout(bool(views) and all(v.kind == "aggregate" for v in views))
        brand = str(self.theme_specs.get(theme, {}).get("brand") or "CODITECT")
        self._show_header(profile.title, profile.role, profile.backend.kind, brand)

    # -- the tenant session ----------------------------------------------------------------

    def start_tenant(self, *, brief: bool) -> None:
        """(Re)open the current profile's tenant: the old session closes first."""
        self._open_tenant(None, brief)

    @work(exclusive=True, group="tenant")
    async def _open_tenant(self, name: str | None, brief: bool) -> None:
        from coditect_tui.core.tenant.session import TenantSession

        if not await self._ensure_settings():
            return
        assert self.settings is not None and self.profile is not None
        profile = self.profile
        if name is not None:
            try:
                profile = self.settings.profile(name)
            except CoditectError as exc:
                self.report(exc, "Switch tenant")
                return
        await self.close_session()
        if name is not None:
            self.profile = profile
            self._apply_profile(profile)
            self.refresh_bindings()
            self._cached_view = load_cached(profile.name)
        session = TenantSession(
            profile,
            read_only=self.read_only_flag,
            demo_allowed=self.demo_allowed,
            quiet_repos=self.aggregate_only,
            previous=self._cached_view,
            config_hint=safe_text(self.config_path or "the config file"),
        )
        self.session = session
        session.subscribe(lambda event: self.post_message(TenantEvent(session, event)))
        for pane in self._panes():
            if not (self.aggregate_only and isinstance(pane, ProjectTree)):
                pane.bind(session)
        if self._cached_view is not None and not self.aggregate_only:
            self.query_one(ProjectTree).show(self._cached_view, profile.title)
        await session.open()
        if brief and session is self.session and not self.aggregate_only:
            await self._show_brief(session)

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
        """The app's share of a session's events: header, notices, exits for benchmarks."""
        if message.session is not self.session:
            return
        event = message.event
        header = self.query_one(TenantHeader)
        if isinstance(event, ev.Notice):
            self.notify(
                safe_text(event.message),
                title=event.title,
                severity=event.severity,
                timeout=event.timeout,
            )
        elif isinstance(event, ev.ConnectionChanged):
            header.connection = {"offline": "OFFLINE, retrying"}.get(event.state, event.state)
        elif isinstance(event, ev.BackendOpened):
            header.role, header.read_only = event.principal.role, event.read_only
            if event.read_only and not self.read_only_flag:
                self.read_only_flag = True
                self.refresh_bindings()
        elif isinstance(event, ev.DemoWorkspace):
            header.note = "DEMO workspace"
            if event.fresh:
                self.notify(
                    f"This is a DEMO workspace of real git repos built in "
                    f"{safe_text(event.root)}. To use your own repos: quit and run `coditect "
                    f"init FOLDER...` (or add workspace_roots to "
                    f"{safe_text(self.config_path or 'your config file')}).",
                    title="Demo workspace",
                    timeout=30,
                )
        elif isinstance(event, ev.TreeDiscovered) and self.exit_after_paint and not self._painted:
            self._painted = True
            self.call_after_refresh(self.exit)
        elif isinstance(event, ev.StatusesLive) and self.exit_after_live:
            self.call_after_refresh(self.exit)

    async def _show_brief(self, session: TenantSession) -> None:
        from coditect_tui.ui.screens.dialogs import BriefScreen

        try:
            brief = await session.brief()
        except CoditectError as exc:
            self.report(exc, "Brief")
            return
        if brief is not None and session is self.session:
            self.push_screen(BriefScreen(*brief))

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
        """Show one of the right-hand panes and move the focus into it (so its keys, not
        the tree's, take what is typed next)."""
        if tab in TABS:
            self.query_one(PaneTabs).active = tab
            self.call_after_refresh(self._focus_tab, tab)

    def on_tab_bar_chosen(self, message: TabBar.Chosen) -> None:
        message.stop()
        self.action_show_tab(message.tab)

    def _focus_tab(self, tab: str) -> None:
        pane = self.query_one(f"#{tab}").query("*").first() if tab != "repo" else None
        if isinstance(pane, MemoryPane):
            pane.focus_list()
        elif isinstance(pane, AuditPane):
            pane.focus_table()
        elif tab == "repo":
            self.query_one(RepoDetail).focus()
        elif pane is not None:
            pane.focus()

    def action_search_memory(self) -> None:
        """Show the Memory pane with the cursor in its search box."""
        self.query_one(PaneTabs).active = "memory"
        self.call_after_refresh(lambda: [p.action_focus_search() for p in self.query(MemoryPane)])

    def action_focus_tree(self) -> None:
        """Put the focus back on the project tree."""
        self.query_one(ProjectTree).focus()

    def action_help(self) -> None:
        """Every binding and the glyph legend."""
        from coditect_tui.ui.screens.help import HelpScreen, binding_rows

        groups = {
            "app": [a.binding() for a in ACTIONS if not (a.mutating and self.read_only)],
            "tree": ProjectTree.BINDINGS,
        }
        rows = binding_rows(
            groups,
            self.boot.keymap,
            lambda key: self.get_key_display(Binding(key, "")),  # type: ignore[arg-type]
        )
        self.push_screen(HelpScreen(rows, self.read_only))

    def action_refresh(self) -> None:
        """Re-discover and re-read everything of the open tenant (a new session)."""
        self.start_tenant(brief=False)

    # -- read-only gate -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Mutating actions are neither shown nor run from keys in read-only mode."""
        return not (action in MUTATING_ACTIONS and self.read_only)

    async def run_palette_action(self, action: str) -> None:
        """Run an action chosen in the palette (read-only refusals say so)."""
        name = action.split("(", 1)[0]
        if name in MUTATING_ACTIONS and self.read_only:
            self.notify(f"Read-only: {name.replace('_', ' ')} is refused.", severity="error")
            return
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
        self.query_one(PaneTabs).active = "memory"
        for pane in self.query(MemoryPane):
            pane.show_session_memory(self.selected)

    def action_fetch(self) -> None:
        """git fetch in the selected repo (network; hardened; never runs repo hooks)."""
        self.query_one(RepoDetail).fetch()

    def action_open_editor(self) -> None:
        """Suspend the app and open $EDITOR (or $VISUAL, else vi) in the selected repo."""
        self.query_one(RepoDetail).open_editor()

    def action_open_shell(self) -> None:
        """Suspend the app and open $SHELL in the selected repo."""
        self.query_one(RepoDetail).open_shell()

    # -- shutdown -------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Close the session (it saves the cache and the last-seen state), exit."""
        await self.close_session()
        self.exit()

    async def on_unmount(self) -> None:
        await self.close_session()
