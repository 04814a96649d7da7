"""The paint-first start of the workspace app: boot facts, themes, layout, the cached tree.

:class:`PaintFirstApp` draws the workspace from what is cheap (``core/boot.py``'s cached
start-up facts and the tree cached at the last exit), mounts the hidden panes right after
the first frame, then calls :meth:`PaintFirstApp.start_tenant`, which the shell
(``ui/app.py``) implements. It also applies a tenant's theme, header and layout when the
shell switches tenants, and ends benchmark runs (``--exit-after-paint``).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from textual.app import App, ComposeResult
from textual.containers import Container, Horizontal
from textual.widget import Widget

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.workspace_view import WorkspaceView, load_cached
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repo_detail import RepoDetail
from coditect_tui.ui.themes import choose_theme, register_catalog
from coditect_tui.ui.widgets.footer import AppFooter
from coditect_tui.ui.widgets.header import TenantHeader
from coditect_tui.ui.widgets.pane_tabs import PaneTab, PaneTabs

if TYPE_CHECKING:
    from coditect_tui.core.boot import Boot
    from coditect_tui.core.settings import Settings, TenantProfile
    from coditect_tui.core.tenant.prefetch import StatusPrefetch

#: The right-hand panes: id, tab label, default key (binding id ``pane.<id>``), and the
#: label used when the bar is too narrow for the full ones (six tabs at 80 columns).
PANES = (
    ("repo", "Repo", "1", "Repo"),
    ("dashboard", "Dashboard", "2", "Dash"),
    ("sessions", "Git sessions", "3", "Sess"),
    ("memory", "Memory", "4", "Mem"),
    ("audit", "Audit", "5", "Audit"),
    ("repos", "Repos", "6", "Repos"),
)
TABS = tuple(pane[0] for pane in PANES)
#: At most this many projects in the tree's first frame, and no more than the screen has
#: rows (each project is at least one row); the rest are added right after that frame.
FIRST_PAINT_PROJECTS = 120


@cache
def _freeze_start_heap() -> None:
    """Take the start-up heap (Textual, the store, the models: most of what the app
    holds) out of the collector's full passes, which walked it while the event loop
    waited: the longest stalls of a cold memory index. Once a process (tests start many
    apps in one); not collected first, which would hold the first frames."""
    gc.freeze()


#: How each pane that is not shown at start is made (mounted after the first paint).
#: Their modules are imported then too: the first frame does not pay for them.
HIDDEN_PANES: dict[str, Callable[[], Widget]] = {
    "dashboard": lambda: _pane("dashboard", "DashboardPane"),
    "sessions": lambda: _pane("sessions", "GitSessionsPane"),
    "memory": lambda: _pane("memory", "MemoryPane"),
    "audit": lambda: _pane("audit", "AuditPane"),
    "repos": lambda: _pane("repos", "ReposPane"),
}


def _pane(tab: str, name: str) -> Widget:
    """A hidden pane, made (and its module imported) after the first paint."""
    from importlib import import_module

    pane: Widget = getattr(import_module(f"coditect_tui.ui.panes.{tab}"), name)(id=f"{tab}-pane")
    return pane


class PaintFirstApp(App[None]):
    """The start-up half of the workspace app (see the module docstring)."""

    CSS_PATH = "app.tcss"
    TITLE = "CODITECT"

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
        prefetch: StatusPrefetch | None = None,
    ) -> None:
        """Create the app.

        Args:
            boot: the resolved start-up facts (enough to paint).
            settings: validated settings, if loaded (else ``settings_loader`` runs after
                the first paint; it raises ConfigError).
            profile: the boot tenant's validated profile.
            settings_loader: loads and validates the settings.
            read_only: ``--read-only`` / environment / config (kept across switches).
            theme_override: ``--theme`` (wins over every tenant's theme).
            exit_after_paint: exit after the first painted workspace (benchmarks).
            exit_after_live: exit once every status was read from git (benchmarks).
            cached_paint: paint from the last exit's cache first.
            prefetch: the boot tenant's statuses, being read since before the app was
                made (owned by the app from here: its first session takes it over).
        """
        # NO_COLOR: Textual's own filter for it only greys the colours (256-colour greys
        # still reach the terminal); with native ANSI colours it drops every colour, and
        # the cursors read by reverse video (Textual's Tree:ansi:nocolor, app.tcss).
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self.boot = boot
        self.settings = settings
        self.profile = profile
        self.settings_loader = settings_loader
        self.tenant = boot.tenant
        self.title_text = boot.title
        #: The user's read-only (flag, environment, config): forced in every tenant.
        self.forced_read_only = read_only or boot.read_only
        #: Read-only now: forced, or the role in the open tenant (or the backend's word).
        self.read_only_flag = self.forced_read_only or boot.role_read_only
        self.theme_override = theme_override
        self.exit_after_paint = exit_after_paint
        self.exit_after_live = exit_after_live
        self.demo_allowed = boot.demo_allowed
        self.aggregate_only = boot.aggregate_only
        self.config_path = boot.config_path
        self.cached_paint = cached_paint
        self.theme_specs: dict[str, dict[str, object]] = {boot.theme: boot.theme_spec}
        self._cached_view: WorkspaceView | None = None
        self._painted = False
        #: The boot tenant's first status read, until its session takes it over.
        self.prefetch = prefetch
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
    ) -> Self:
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

    @property
    def read_only(self) -> bool:
        """Read-only by flag, config or role (the backend enforces it either way)."""
        return self.read_only_flag

    def compose(self) -> ComposeResult:
        yield TenantHeader(id="header")
        keymap = dict(self.boot.keymap)
        tabs = [
            PaneTab(tab, label, keymap.get(f"pane.{tab}", key).split(",")[0].strip(), short=short)
            for tab, label, key, short in PANES
        ]
        # The hidden panes are mounted right after the first paint (_mount_hidden_panes).
        panes = [
            Container(RepoDetail(id="repo-detail"), id="repo"),
            *(Container(id=tab) for tab in HIDDEN_PANES),
        ]
        with Horizontal(id="body"):
            yield ProjectTree(id="tree")
            yield PaneTabs(tabs, panes, initial="repo", id="tabs")
        yield AppFooter()

    def on_mount(self) -> None:
        boot = self.boot
        self.set_keymap(dict(boot.keymap))
        for warning in [*self._theme_warnings, *boot.warnings]:
            self.notify(safe_text(warning), severity="warning", timeout=8)
        self._show_header(
            boot.title,
            boot.role,
            boot.backend_kind,
            boot.brand,
        )
        self.query_one(ProjectTree).focus()
        if self.aggregate_only:
            self._aggregate_layout()
        cached = (
            load_cached(boot.paint_key)
            if self.cached_paint and boot.paint_key and not self.aggregate_only
            else None
        )
        if cached is None:
            self.call_after_refresh(self._after_first_paint)
            return
        self._cached_view = cached
        first = min(FIRST_PAINT_PROJECTS, max(self.size.height, 1))
        self.query_one(ProjectTree).show(cached, self.title_text, first=first)
        if not self.exit_after_paint:  # on_ready ends such a run once this view is on screen
            self.call_after_refresh(self._after_first_paint)

    def take_prefetch(self) -> StatusPrefetch | None:
        """The prefetch, handed over (to the first session): the caller closes it."""
        prefetch, self.prefetch = self.prefetch, None
        return prefetch

    def on_ready(self) -> None:
        """Textual posts Ready right after the first frame. On a start from the paint cache
        that frame holds the workspace, so ``--exit-after-paint`` ends here, where the
        minimal app of bench_startup.py ends."""
        if self.exit_after_paint and self._cached_view is not None and not self._painted:
            self._painted = True
            self.exit()
            return
        self.query_one(ProjectTree).add_rest()

    def _after_first_paint(self) -> None:
        """Mount the panes that are not shown at start (composing them costs more than the
        workspace), then open the tenant."""
        if not self.exit_after_paint:
            for tab, make in HIDDEN_PANES.items():
                container = self.query_one(f"#{tab}", Container)
                if not container.children:
                    container.mount(make())
        _freeze_start_heap()
        self.start_tenant(brief=False)

    def _aggregate_layout(self, aggregate: bool = True) -> None:
        """An advisor sees counts and trends only: no tree, no repo-level pane."""
        self.aggregate_only = aggregate
        tree = self.query_one(ProjectTree)
        tree.display = not aggregate
        tabs = self.query_one(PaneTabs)
        for tab in ("repo", "sessions", "memory", "audit", "repos"):
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
        assert self.settings is not None
        wanted = self.theme_override or profile.theme or self.settings.ui.theme
        theme, warning = choose_theme(self, self.theme_specs, wanted)
        if warning:
            self.notify(warning, severity="warning", timeout=8)
        self.tenant, self.title_text = profile.name, profile.title
        self.demo_allowed = False
        self.reconcile_views(profile)
        from coditect_tui.core.policy import shipped_policy

        brand = shipped_policy().brand(profile.tier, self.theme_specs.get(theme, {}).get("brand"))
        self._show_header(profile.title, profile.role, profile.backend.kind, brand)

    def reconcile_views(self, profile: TenantProfile) -> None:
        """Lay out for the views ``profile`` may open, from the validated views.yaml (the
        boot's word on aggregate-only came from a cache)."""
        from coditect_tui.core.views import load_views

        try:
            views = load_views().views_for(role=profile.role, tier=profile.tier)
        except CoditectError:
            views = []
        self._aggregate_layout(bool(views) and all(v.kind == "aggregate" for v in views))

    def start_tenant(self, *, brief: bool) -> None:
        """Open the current profile's tenant (the shell implements it)."""
        raise NotImplementedError

    @property
    def view(self) -> WorkspaceView | None:
        """The tree on screen (the shell adds its open session's)."""
        return self._cached_view
