"""The CODITECT workspace app: tree on the left, tabbed panes on the right.

Start-up paints first and works after: the tree comes from the small cache written at the
last exit (marked "cached"), then workers discover the roots, read every repo's status,
open the backend (SQLAlchemy is imported only then), register the tree and start the
watcher. Nothing polls: the watcher's events are the only thing that redraws while idle.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
from collections.abc import Callable
from datetime import datetime
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
from coditect_tui.core.workspace_view import (
    RepoView,
    WorkspaceView,
    apply_status,
    load_cached,
    save_cache,
)
from coditect_tui.ui.actions import ACTIONS, MUTATING_ACTIONS
from coditect_tui.ui.commands import ActionsProvider, PanesProvider, ReposProvider, TenantsProvider
from coditect_tui.ui.panes.audit import AuditPane
from coditect_tui.ui.panes.audit_table import AuditTable
from coditect_tui.ui.panes.dashboard import DashboardPane
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repo_detail import RepoDetail
from coditect_tui.ui.panes.sessions import GitSessionsPane
from coditect_tui.ui.session_actions import SessionActions
from coditect_tui.ui.themes import register_catalog
from coditect_tui.ui.widgets.header import TenantHeader
from coditect_tui.ui.widgets.pane_tabs import PaneTab, PaneTabs, TabBar

if TYPE_CHECKING:
    from textual.timer import Timer

    from coditect_tui.core.backend import Backend
    from coditect_tui.core.boot import Boot
    from coditect_tui.core.dashboard import CommitHistory, Dashboard
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.objects import CommitInfo
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.git.watch import RepoWatcher
    from coditect_tui.core.models import AuditFilter, GitSession
    from coditect_tui.core.settings import Settings, TenantProfile
    from coditect_tui.core.views import ResolvedView

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


class CoditectApp(SessionActions, App[None]):
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
            cached_paint: paint from the last exit's cache first.
        """
        super().__init__()
        self.boot = boot
        self.settings = settings
        self.profile = profile
        self.settings_loader = settings_loader
        self.tenant = boot.tenant
        self.title_text = boot.title
        self.role = boot.role
        self.read_only_flag = read_only or boot.read_only
        self.theme_override = theme_override
        self.exit_after_paint = exit_after_paint
        self.demo_allowed = boot.demo_allowed
        self.aggregate_only = boot.aggregate_only
        self.config_path = boot.config_path
        self.cached_paint = cached_paint
        self.theme_specs: dict[str, dict[str, object]] = {boot.theme: boot.theme_spec}
        self.backend: Backend | None = None
        self.view: WorkspaceView | None = None
        self.tree_model: WorkspaceTree | None = None
        self.statuses: dict[str, RepoStatus] = {}
        self.repo_ids: dict[str, str] = {}
        self.project_ids: dict[str, str] = {}
        self.selected: RepoView | None = None
        self.runner: GitRunner | None = None
        self.watcher: RepoWatcher | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._painted = False
        self._commits: dict[str, list[CommitInfo]] = {}
        self._history: list[GitSession] | None = None
        self._elapsed_timer: Timer | None = None
        self._memory_task: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self.dashboard: Dashboard | None = None
        self._dash_history: CommitHistory | None = None
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
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout,
            markup=markup,
        )

    # -- layout -------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Read-only by flag, config or role (the backend enforces it either way)."""
        return self.read_only_flag

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
        for warning in self._theme_warnings:
            self.notify(safe_text(warning), severity="warning", timeout=8)
        self.set_keymap(dict(boot.keymap))
        for warning in boot.warnings:
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
            self.call_after_refresh(self._mount_hidden_panes)
            self.start_tenant(brief=False)
            return
        self._show_view(cached)
        if self.exit_after_paint:
            return  # on_ready ends the run once this view is on screen
        # Paint first; the hidden panes, settings validation, git work, the store and the
        # watcher follow.
        self.call_after_refresh(self._after_cached_paint)

    def on_ready(self) -> None:
        """Textual posts Ready right after it has rendered the first frame. On a start from
        the paint cache that frame holds the workspace (shown in on_mount), so
        ``--exit-after-paint`` ends here, where the minimal app of bench_startup.py ends.
        """
        if self.exit_after_paint and self.view is not None and not self._painted:
            self._painted = True
            self.exit()

    def _mount_hidden_panes(self) -> None:
        """Mount the panes that are not shown at start (after the first paint, which
        they would otherwise delay: composing them costs more than the workspace). Not
        in ``--exit-after-paint`` runs, which end before anyone could show them."""
        if self.exit_after_paint:
            return
        for tab, make in HIDDEN_PANES.items():
            container = self.query_one(f"#{tab}", Container)
            if not container.children:
                container.mount(make())

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

    def _after_cached_paint(self) -> None:
        self._mount_hidden_panes()
        self.start_tenant(brief=False)

    def _show_header(self, title: str, role: str, backend_kind: str, brand: str) -> None:
        header = self.query_one(TenantHeader)
        header.brand = brand
        header.tenant = title
        header.role = role
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

    def _catalog(self) -> dict[str, dict[str, object]]:
        """Every theme (validated on first use, after the first paint)."""
        if len(self.theme_specs) <= 1:
            from coditect_tui.core.themes import load_themes

            catalog = load_themes()
            self.theme_specs.update({n: t.model_dump() for n, t in catalog.themes.items()})
            register_catalog(self, self.theme_specs)
        return self.theme_specs

    def _apply_profile(self, profile: TenantProfile) -> None:
        from coditect_tui.core.themes import DEFAULT_THEME

        specs = self._catalog()
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
        self.tenant, self.title_text, self.role = profile.name, profile.title, profile.role
        self.demo_allowed = False
        views = self._views()
        self._aggregate_layout(bool(views) and all(v.kind == "aggregate" for v in views))
        self._show_header(
            profile.title,
            profile.role,
            profile.backend.kind,
            str(specs.get(theme, {}).get("brand") or "CODITECT"),
        )

    def _show_view(self, view: WorkspaceView) -> None:
        self.view = view
        if not self.aggregate_only:  # an advisor's screen never carries a repo name
            self.query_one(ProjectTree).show(view, self.title_text)

    def _after_paint(self) -> None:
        if self.exit_after_paint and not self._painted:
            self._painted = True
            self.call_after_refresh(self.exit)

    def start_tenant(self, *, brief: bool) -> None:
        """Validate the settings if needed, then load the tenant (a worker)."""
        self._start_tenant(brief)

    @work(exclusive=True, group="tenant-start")
    async def _start_tenant(self, brief: bool) -> None:
        if not await self._ensure_settings():
            return
        assert self.profile is not None
        self.load_tenant(self.profile, brief=brief)

    # -- loading a tenant ---------------------------------------------------------------

    @work(exclusive=True, group="tenant")
    async def load_tenant(self, profile: TenantProfile, *, brief: bool) -> None:
        """Discover, read statuses, open the backend, register, watch (in that order)."""
        from coditect_tui.core.git.discovery import DiscoveryError, discover
        from coditect_tui.core.git.runner import GitRunner
        from coditect_tui.core.git.status import read_many
        from coditect_tui.core.workspace_view import from_discovery

        roots = profile.roots()
        if not roots and self.demo_allowed:
            roots = [await self._demo_root()]
        try:
            tree = await asyncio.to_thread(discover, roots, tenant=profile.name)
        except DiscoveryError as exc:
            self.notify(safe_text(exc), severity="error", timeout=10)
            tree = await asyncio.to_thread(
                discover, [r for r in roots if r.is_dir()], tenant=profile.name
            )
        for warning in [] if self.aggregate_only else tree.warnings[:5]:
            self.notify(safe_text(warning), severity="warning")
        self.tree_model = tree
        view = from_discovery(profile.name, tree)
        previous = {r.path: r for r in self.view.repos()} if self.view else {}
        for repo in view.repos():  # keep cached glyphs until the fresh status arrives
            old = previous.get(repo.path)
            if old is not None and old.known:
                for name in RepoView.__slots__:
                    if name not in (
                        "path",
                        "name",
                        "project",
                        "parent",
                        "category",
                        "is_submodule",
                    ):
                        setattr(repo, name, getattr(old, name))
        view.cached = True
        self._show_view(view)
        if not roots:
            self.notify(
                "No workspace roots configured: add workspace_roots to your tenant "
                f"in {safe_text(self.config_path or 'the config file')}.",
                severity="warning",
                timeout=15,
            )
        self._after_paint()
        self.runner = self.runner or GitRunner()
        statuses = await read_many(self.runner, tree.targets())
        self.statuses = {s.path: s for s in statuses}
        for repo in view.repos():
            status = self.statuses.get(repo.path)
            if status is not None:
                apply_status(repo, status)
        view.cached = False
        self._show_view(view)
        save_cache(view)
        if self.selected is not None:
            self._show_repo(self.selected.path)
        await self._open_backend(profile)
        if brief:
            await self._show_brief(profile)
        self._start_watcher()

    async def _demo_root(self) -> Path:
        from coditect_tui.core.demo import DemoError, build_demo, demo_root

        fresh = not demo_root().exists()
        try:
            root = await asyncio.to_thread(build_demo)
        except DemoError as exc:
            self.notify(safe_text(exc), severity="error", timeout=15)
            return demo_root()
        if fresh:
            self.notify(
                f"This is a DEMO workspace of real git repos built in {safe_text(root)}. "
                "To use your own repos: quit and run `coditect init FOLDER...` (or add "
                f"workspace_roots to {safe_text(self.config_path or 'your config file')}).",
                title="Demo workspace",
                timeout=30,
            )
        self.query_one(TenantHeader).note = "DEMO workspace"
        return root

    async def _open_backend(self, profile: TenantProfile) -> None:
        from coditect_tui.core.factory import open_backend

        header = self.query_one(TenantHeader)
        try:
            self.backend = await open_backend(profile, read_only=self.read_only_flag)
            me = await self.backend.whoami()
        except CoditectError as exc:
            header.connection = "unavailable"
            self.notify(f"Backend: {safe_text(exc)}", severity="error", timeout=15)
            return
        self.role = me.role
        header.role = me.role
        header.read_only = me.read_only
        header.connection = "ok"
        if hasattr(self.backend, "events"):  # a remote tenant: follow it live
            self.backend.on_state = self._connection_changed  # type: ignore[attr-defined]
            self._events_task = asyncio.create_task(self._follow_events(self.backend))
        if me.read_only != self.read_only:
            self.read_only_flag = self.read_only_flag or me.read_only
            self.refresh_bindings()
        await self._register_repos()
        for pane in self.query(MemoryPane):
            pane.attach(self.backend)
        for audit in self.query(AuditPane):
            audit.attach(self.backend)
        self.refresh_dashboard()
        if not self.read_only:
            self._memory_task = asyncio.create_task(self._index_memory(self.backend, profile))

    async def _register_repos(self) -> None:
        from coditect_tui.core.git.discovery import register_tree

        if self.backend is None or self.tree_model is None:
            return
        try:
            if self.read_only:
                self.repo_ids, self.project_ids = await self._known_ids()
            else:
                registration = await register_tree(self.backend, self.tree_model)
                self.repo_ids = dict(registration.repo_ids)
                self.project_ids = dict(registration.project_ids)
        except CoditectError as exc:
            self.notify(f"Registering repos: {safe_text(exc)}", severity="warning")

    async def _known_ids(self) -> tuple[dict[str, str], dict[str, str]]:
        """Repo ids by path and project ids by name, as registered (read-only mode)."""
        assert self.backend is not None
        repos: dict[str, str] = {}
        projects: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = await self.backend.list_repos(cursor=cursor, limit=1000)
            repos.update({r.path: r.id for r in page.items})
            if (cursor := page.next_cursor) is None:
                break
        while True:
            project_page = await self.backend.list_projects(cursor=cursor, limit=1000)
            projects.update({p.name: p.id for p in project_page.items})
            if (cursor := project_page.next_cursor) is None:
                return repos, projects

    # -- live updates ---------------------------------------------------------------------

    def _start_watcher(self) -> None:
        from coditect_tui.core.git.watch import RepoWatcher

        if self.tree_model is None:
            return
        self.watcher = RepoWatcher(
            self.tree_model.targets(), runner=self.runner, initial=list(self.statuses.values())
        )
        self._watch_task = asyncio.create_task(self._watch(self.watcher))

    async def _watch(self, watcher: RepoWatcher) -> None:
        try:
            while True:
                update = await watcher.next_update()
                if update is None:
                    continue
                self._on_status(update.status)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watcher must never take the app down
            self.notify(f"Watching stopped: {safe_text(exc)}", severity="warning")

    def _on_status(self, status: RepoStatus) -> None:
        self.statuses[status.path] = status
        repo = self.view.repo(status.path) if self.view else None
        if repo is None:
            return
        apply_status(repo, status)
        self.query_one(ProjectTree).refresh_repo(repo)
        self._commits.pop(repo.path, None)
        if self._dash_history is not None:
            self._dash_history.invalidate(repo.path)
        self.refresh_dashboard()
        if self.selected is not None and self.selected.path == repo.path:
            self._show_repo(repo.path)

    async def _index_memory(self, backend: Backend, profile: TenantProfile) -> None:
        """Index the tenant's MEMORY-CONTEXT folders, then keep the index live."""
        from coditect_tui.core.memory.indexer import MemoryIndexer
        from coditect_tui.core.memory.roots import discover_roots

        roots = profile.roots() + [Path(p.path) for p in (self.view.projects if self.view else [])]
        try:
            if not await asyncio.to_thread(discover_roots, roots):
                return  # no MEMORY-CONTEXT folder in this tenant: nothing to say
            indexer = await MemoryIndexer.for_paths(backend, roots)
            if not indexer.roots:
                return
            report = await indexer.index()
            if report.added or report.updated or report.deleted:
                self._memory_changed()
            async for _report in indexer.watch():
                self._memory_changed()
        except asyncio.CancelledError:
            raise
        except CoditectError as exc:
            self.notify(f"Memory index: {safe_text(exc)}", severity="warning")
        except Exception as exc:  # indexing must never take the app down
            self.notify(f"Memory index stopped: {safe_text(exc)}", severity="warning")

    def _memory_changed(self) -> None:
        for pane in self.query(MemoryPane):
            if pane.only_ids is None and pane.previewing is None:
                pane.reload()

    def on_memory_pane_note_requested(self, _event: MemoryPane.NoteRequested) -> None:
        self._write_note()

    @work(group="memory-write", exclusive=True)
    async def _write_note(self) -> None:
        from coditect_tui.core.memory.writer import memory_dir_of, write_note
        from coditect_tui.ui.screens.dialogs import TextPrompt

        folder = self._project_folder()
        if self.backend is None or folder is None:
            self.notify(
                "Note: select a repo first (the note goes into its project's MEMORY-CONTEXT).",
                severity="warning",
            )
            return
        title = await self.push_screen_wait(TextPrompt("New note", "Title"))
        if title is None:
            return
        text = await self.push_screen_wait(
            TextPrompt(
                "New note", "Text (one line; edit the file later for more)", allow_empty=True
            )
        )
        if text is None:
            return
        try:
            written = await write_note(
                self.backend,
                memory_dir_of(folder),
                title,
                text,
                project_id=await self._project_id(),
            )
        except CoditectError as exc:
            self.report(exc, "Note")
            return
        self.notify(f"Note written: {safe_text(written.path)}")
        self._memory_changed()

    def selected_project(self) -> tuple[str, str] | None:
        """(backend id, name) of the selected repo's project, if registered."""
        if self.selected is None:
            return None
        project_id = self.project_ids.get(self.selected.project)
        return (project_id, self.selected.project) if project_id else None

    def _project_folder(self) -> Path | None:
        if self.selected is None or self.view is None:
            return None
        project = next((p for p in self.view.projects if p.name == self.selected.project), None)
        return Path(project.path) if project else None

    async def _project_id(self) -> str | None:
        """The backend id of the selected repo's project (None when not registered)."""
        repo_id = self.repo_ids.get(self.selected.path) if self.selected else None
        if self.backend is None or repo_id is None:
            return None
        try:
            return (await self.backend.get_repo(repo_id)).project_id
        except CoditectError:
            return None

    def on_memory_pane_session_requested(self, event: MemoryPane.SessionRequested) -> None:
        self._jump_to_session(event.session_key)

    @work(group="memory-jump", exclusive=True)
    async def _jump_to_session(self, session_key: str) -> None:
        if self.backend is None:
            return
        by_id = {repo_id: path for path, repo_id in self.repo_ids.items()}
        cursor: str | None = None
        while True:
            try:
                page = await self.backend.list_sessions(cursor=cursor, limit=500)
            except CoditectError as exc:
                self.report(exc, "Git session")
                return
            for session in page.items:
                if session.session_key == session_key and session.repo_id in by_id:
                    self.jump_to(by_id[session.repo_id])
                    self.action_show_tab("sessions")
                    return
            if (cursor := page.next_cursor) is None:
                break
        self.notify(f"No git session {safe_text(session_key)} in this tenant.", severity="warning")

    @work(group="memory-jump", exclusive=True)
    async def action_session_memory(self) -> None:
        """The memory entries written for the selected repo's latest git session."""
        from coditect_tui.core.memory.links import entries_for_git_session

        repo = self.selected
        repo_id = self.repo_ids.get(repo.path) if repo else None
        if self.backend is None or repo_id is None:
            self.notify("Memory of a session: select a registered repo first.", severity="warning")
            return
        try:
            sessions = (await self.backend.list_sessions(repo_id=repo_id, limit=1)).items
            if not sessions:
                self.notify("This repo has no recorded git session yet.")
                return
            entries = await entries_for_git_session(self.backend, sessions[0])
        except CoditectError as exc:
            self.report(exc, "Memory of a session")
            return
        self.action_show_tab("memory")
        for pane in self.query(MemoryPane):
            pane.show_only(entries)
        if not entries:
            self.notify(
                "No memory entry names this session yet (end it with a session "
                "export to write one)."
            )

    # -- evidence packs -------------------------------------------------------------------

    def on_audit_pane_export_requested(self, event: AuditPane.ExportRequested) -> None:
        self._export_pack(event.filter)

    @work(group="evidence", exclusive=True)
    async def _export_pack(self, flt: AuditFilter | None) -> None:
        """Ask where and which formats, write the pack, verify it, say where it is."""
        from datetime import UTC

        from coditect_tui.core.evidence import verify_evidence_pack, write_evidence_pack
        from coditect_tui.core.paths import data_dir
        from coditect_tui.ui.screens.dialogs import ChoiceDialog, TextPrompt

        if self.backend is None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        default = data_dir() / "evidence" / f"{self.tenant}-{stamp}"
        target = await self.push_screen_wait(
            TextPrompt(
                "Evidence pack", "Directory to create (it must not exist)", value=str(default)
            )
        )
        if not target:
            return
        choice = await self.push_screen_wait(
            ChoiceDialog(
                "Evidence pack",
                "Formats (a manifest with sha256 sums is always written)",
                [
                    ("csv", "CSV"),
                    ("jsonl", "JSON Lines"),
                    ("md", "Markdown"),
                    ("csv,jsonl,md", "All three"),
                ],
            )
        )
        if choice is None:
            return
        panes = list(self.query(AuditPane))

        def progress(rows: int) -> None:
            for pane in panes:
                pane._status(f"exporting… {rows:,} events")

        try:
            result = await write_evidence_pack(
                self.backend,
                Path(target).expanduser(),
                filter=flt,
                formats=tuple(choice.split(",")),
                progress=progress,
            )  # type: ignore[arg-type]
            check = await asyncio.to_thread(verify_evidence_pack, result.path)
        except (CoditectError, OSError) as exc:
            self.report(exc, "Evidence pack")
            for pane in panes:
                pane._status(f"! evidence pack: {safe_text(exc)}", bold=True)
            return
        verdict = "checksums verified" if check.ok else "; ".join(check.problems[:2])
        message = (
            f"Evidence pack: {result.manifest.row_count:,} events in "
            f"{safe_text(result.path)} ({verdict})"
        )
        for pane in panes:
            pane._status(message, bold=not check.ok)
        self.notify(message, timeout=15)

    # -- dashboard ------------------------------------------------------------------------

    def _views(self) -> list[ResolvedView]:
        if self.profile is None:  # settings not loaded yet (the first paint skips them)
            return []
        from coditect_tui.core.views import load_views

        try:
            return load_views().views_for(role=self.role, tier=self.profile.tier)
        except CoditectError as exc:
            self.notify(f"Views: {safe_text(exc)}", severity="warning")
            return []

    def dashboard_ready(self, pane: DashboardPane) -> None:
        """The pane mounted (lazily): give it the views and the figures known so far."""
        pane.set_views(self._views())
        if self.dashboard is not None:
            self._render_dashboard(pane)

    def refresh_dashboard(self) -> None:
        """Rebuild the figures (git history of changed repos, snapshots, sessions)."""
        if self.backend is not None and self.statuses:
            self._load_dashboard()

    @work(exclusive=True, group="dashboard")
    async def _load_dashboard(self) -> None:
        from coditect_tui.core.dashboard import CommitHistory, load_dashboard
        from coditect_tui.core.views import load_views

        try:
            options = load_views().dashboard.options()
        except CoditectError:
            options = None
        self._dash_history = self._dash_history or CommitHistory()
        self.dashboard = await load_dashboard(
            list(self.statuses.values()),
            backend=self.backend,
            runner=self.runner,
            history=self._dash_history,
            options=options,
        )
        for pane in self.query(DashboardPane):
            if not pane.views:
                pane.set_views(self._views())
            self._render_dashboard(pane)

    def _render_dashboard(self, pane: DashboardPane) -> None:
        from coditect_tui.core.views import advisor_view

        view = pane.view
        if view is None or self.dashboard is None:
            if self.dashboard is not None:
                pane.show_team(self.dashboard)
            return
        if view.kind == "aggregate":
            pane.show_advisor(advisor_view(self.dashboard, view.sections))
        elif view.kind == "portfolio":
            self._load_portfolio(pane)
        else:
            pane.show_team(self.dashboard)

    def on_dashboard_pane_view_chosen(self, event: DashboardPane.ViewChosen) -> None:
        for pane in self.query(DashboardPane):
            self._render_dashboard(pane)

    def on_dashboard_pane_jump(self, event: DashboardPane.Jump) -> None:
        self.jump_to(event.path)
        self.action_show_tab("repo")

    @work(exclusive=True, group="portfolio")
    async def _load_portfolio(self, pane: DashboardPane) -> None:
        from coditect_tui.core.factory import open_backend
        from coditect_tui.core.portfolio import build_portfolio

        profile = self.profile
        if self.backend is None or profile is None:
            return

        async def open_peer(tenant: Any) -> Backend:
            # the same store (or server) for another tenant, read-only, no provisioning
            peer = profile.model_copy(
                update={"name": tenant.name, "display_name": tenant.display_name}
            )
            return await open_backend(peer, read_only=True)

        try:
            portfolio = await build_portfolio(self.backend, open_peer)
        except CoditectError as exc:
            self.report(exc, "Portfolio")
            return
        pane.show_portfolio(portfolio)

    # -- a remote tenant, live ----------------------------------------------------------------

    def _connection_changed(self) -> None:
        """The remote backend went offline or came back (its retries recover by themselves)."""
        backend = self.backend
        if backend is None:
            return
        header = self.query_one(TenantHeader)
        if getattr(backend, "online", True):
            header.connection = "online"
            self.notify("Connection to the tenant API restored.")
        else:
            why = getattr(backend, "last_error", None) or "unreachable"
            header.connection = "OFFLINE, retrying"
            self.notify(f"Tenant API offline: {safe_text(why)}", severity="warning")

    async def _follow_events(self, backend: Any) -> None:
        """A teammate's action reaches this screen: the server's live events refresh the
        audit pane, the dashboard and the memory list (our own reads are ignored)."""
        me = (await backend.whoami()).name
        try:
            async for event in backend.events():
                data = event.get("data") or {}
                action = str(data.get("action", ""))
                if data.get("actor") == me or action.endswith((".read", ".export", ".status")):
                    continue
                resource = str(data.get("resource_type", ""))
                for audit in self.query(AuditPane):
                    if audit.filter is None and audit.query_one(AuditTable).cursor == 0:
                        audit.apply_filter(None)
                if resource in ("sessions", "status", "repos", "projects"):
                    self.refresh_dashboard()
                if resource == "memory":
                    self._memory_changed()
        except asyncio.CancelledError:
            raise
        except CoditectError as exc:
            self.notify(f"Live events stopped: {safe_text(exc)}", severity="warning")

    async def _stop_watcher(self) -> None:
        tasks = [
            t for t in (self._memory_task, self._watch_task, self._events_task) if t is not None
        ]
        self._memory_task = self._watch_task = self._events_task = None
        for task in tasks:
            task.cancel()
        if tasks:  # let them finish their cleanup, but never hang the exit on one
            await asyncio.wait(tasks, timeout=2)
        if self.watcher is not None:
            await self.watcher.close()
            self.watcher = None

    # -- selection and panes ------------------------------------------------------------

    def on_project_tree_repo_highlighted(self, event: ProjectTree.RepoHighlighted) -> None:
        self.selected = event.repo
        self._show_repo(event.repo.path)

    def _show_repo(self, path: str) -> None:
        repo = self.view.repo(path) if self.view else None
        if repo is None:
            return
        self.selected = repo
        status = self.statuses.get(path)
        self.query_one(RepoDetail).show(repo, status, self._commits.get(path))
        self._show_session(repo, status)
        if path not in self._commits and repo.known and repo.initialised and not repo.error:
            self.load_commits(path)

    def _show_session(
        self, repo: RepoView, status: RepoStatus | None, history: list[GitSession] | None = None
    ) -> None:
        from coditect_tui.core.git.sessions import SessionFileError, read_session

        try:
            state = read_session(Path(repo.path)) if repo.initialised else None
        except SessionFileError as exc:
            self.notify(safe_text(exc), severity="warning")
            state = None
        for pane in self.query(GitSessionsPane):  # absent until the lazy mount
            pane.show(repo, status, state, history, datetime.now().astimezone())
        self._history = history
        self._tick_elapsed(state is not None)
        if history is None:
            self.load_history(repo.path)

    def _tick_elapsed(self, active: bool) -> None:
        """An active session's elapsed time is redrawn once a minute; nothing else ticks."""
        if active and self._elapsed_timer is None:
            self._elapsed_timer = self.set_interval(60, self._redraw_session)
        elif not active and self._elapsed_timer is not None:
            self._elapsed_timer.stop()
            self._elapsed_timer = None

    def _redraw_session(self) -> None:
        if self.selected is not None:
            self._show_session(self.selected, self.statuses.get(self.selected.path), self._history)

    @work(exclusive=True, group="commits")
    async def load_commits(self, path: str) -> None:
        """Read the selected repo's recent commits (one hardened git log)."""
        from coditect_tui.core.git.history import recent_commits
        from coditect_tui.core.git.runner import GitRunner

        self.runner = self.runner or GitRunner()
        commits = await recent_commits(self.runner, Path(path), limit=10)
        self._commits[path] = commits
        if self.selected is not None and self.selected.path == path:
            self.query_one(RepoDetail).show(self.selected, self.statuses.get(path), commits)

    @work(exclusive=True, group="history")
    async def load_history(self, path: str) -> None:
        """The session history of the selected repo's project (from the backend)."""
        if self.backend is None or self.view is None:
            return
        repo = self.view.repo(path)
        repo_id = self.repo_ids.get(path)
        if repo is None or repo_id is None:
            return
        try:
            record = await self.backend.get_repo(repo_id)
            page = await self.backend.list_sessions(project_id=record.project_id, limit=50)
        except CoditectError as exc:
            self.notify(f"Session history: {safe_text(exc)}", severity="warning")
            return
        if self.selected is not None and self.selected.path == path:
            self._show_session(repo, self.statuses.get(path), page.items)

    def action_show_tab(self, tab: str) -> None:
        """Show one of the right-hand panes and move the focus into it (so its keys, not
        the tree's, take what is typed next)."""
        if tab not in TABS:
            return
        self.query_one(PaneTabs).active = tab
        self.call_after_refresh(self._focus_tab, tab)

    def on_tab_bar_chosen(self, message: TabBar.Chosen) -> None:
        message.stop()
        self.action_show_tab(message.tab)

    def _focus_tab(self, tab: str) -> None:
        if tab == "memory":
            for pane in self.query(MemoryPane):
                pane.focus_list()
        elif tab == "repo":
            self.query_one(RepoDetail).focus()
        elif tab == "sessions":
            for pane in self.query(GitSessionsPane):
                pane.focus()
        elif tab == "audit":
            for audit in self.query(AuditPane):
                audit.focus_table()
        elif tab == "dashboard":
            for pane in self.query(DashboardPane):
                pane.focus()

    def action_search_memory(self) -> None:
        """Show the Memory pane with the cursor in its search box."""
        self.query_one(PaneTabs).active = "memory"
        self.call_after_refresh(lambda: [p.action_focus_search() for p in self.query(MemoryPane)])

    def action_focus_tree(self) -> None:
        """Put the focus back on the project tree."""
        self.query_one(ProjectTree).focus()

    def jump_to(self, path: str) -> None:
        """Select a repo in the tree (palette, dashboard)."""
        if self.query_one(ProjectTree).select_path(path):
            self._show_repo(path)

    def action_help(self) -> None:
        """Every binding and the glyph legend."""
        from coditect_tui.ui.screens.help import HelpScreen, binding_rows

        groups = {
            "app": [a.binding() for a in ACTIONS if not (a.mutating and self.read_only)],
            "tree": ProjectTree.BINDINGS,
        }
        rows = binding_rows(
            groups,
            self.boot.keymap,  # type: ignore[arg-type]
            lambda key: self.get_key_display(Binding(key, "")),
        )
        self.push_screen(HelpScreen(rows, self.read_only))

    def action_refresh(self) -> None:
        """Re-discover and re-read everything of the open tenant."""
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

        def chosen(name: str | None) -> None:
            if name:
                self.switch_to(name)

        if self.settings is None:
            self.notify("Still loading the configuration; try again in a moment.")
            return
        self.push_screen(TenantSwitcher(list(self.settings.tenants), self.tenant), chosen)

    def switch_to(self, name: str) -> None:
        """Swap backend, theme and every pane to tenant ``name`` in this process."""
        if name == self.tenant:
            self.notify(f"Already in {safe_text(self.title_text)}.")
            return
        self._switch(name)

    @work(exclusive=True, group="switch")
    async def _switch(self, name: str) -> None:
        if not await self._ensure_settings():
            return
        assert self.settings is not None
        try:
            profile = self.settings.profile(name)
        except CoditectError as exc:
            self.report(exc, "Switch tenant")
            return
        await self._leave_tenant()
        self.profile = profile
        self.selected = None
        self.statuses = {}
        self.repo_ids = {}
        self.project_ids = {}
        self._commits = {}
        self._apply_profile(profile)
        self.refresh_bindings()
        cached = load_cached(profile.name)
        self._show_view(cached or WorkspaceView(tenant=profile.name, cached=True))
        self.load_tenant(profile, brief=True)

    async def _leave_tenant(self) -> None:
        from coditect_tui.core.brief import save_seen

        await self._stop_watcher()
        if self.view is not None and not self.view.cached and self.profile is not None:
            save_cache(self.view)
            save_seen(self.profile.name, self.profile.principal_name(), self.view)
        if self.backend is not None:
            await self.backend.close()
            self.backend = None

    async def _show_brief(self, profile: TenantProfile) -> None:
        from coditect_tui.core.brief import compute_brief, load_seen
        from coditect_tui.core.git.history import count_commits
        from coditect_tui.ui.screens.dialogs import BriefScreen

        if self.backend is None or self.view is None:
            return
        seen = load_seen(profile.name, profile.principal_name())
        brief = await compute_brief(self.backend, self.view, seen)
        if brief.moved and self.runner is not None:
            total = 0
            for path, (old, new) in brief.moved.items():
                total += await count_commits(self.runner, Path(path), old, new)
            brief.lines.insert(0, f"New commits: {total}")
        since = f" (last here {brief.since.astimezone():%Y-%m-%d %H:%M})" if brief.since else ""
        self.push_screen(BriefScreen(f"Since you were last in {profile.title}{since}", brief.lines))

    # -- repo actions ---------------------------------------------------------------------

    def _selected_repo(self, what: str) -> RepoView | None:
        repo = self.selected
        if repo is None or not repo.initialised:
            self.notify(
                f"{what}: select an initialised repo in the tree first.", severity="warning"
            )
            return None
        return repo

    @work(group="git", exclusive=True)
    async def action_fetch(self) -> None:
        """git fetch in the selected repo (network; hardened; never runs repo hooks)."""
        repo = self._selected_repo("Fetch")
        if repo is None:
            return
        from coditect_tui.core.git.history import fetch
        from coditect_tui.core.git.runner import GitRunner
        from coditect_tui.core.models import Action, Resource

        try:
            if self.backend is not None:  # audited first: a read-only backend refuses here
                await self.backend.record_event(
                    Resource.REPOS,
                    Action.UPDATE,
                    "repos.fetch",
                    self.repo_ids.get(repo.path),
                    details={"repo": repo.path},
                )
            self.runner = self.runner or GitRunner()
            message = await fetch(self.runner, Path(repo.path))
        except CoditectError as exc:
            self.report(exc, "Fetch")
            return
        self.notify(f"{safe_text(repo.name)}: {safe_text(message)}")

    def action_open_editor(self) -> None:
        """Suspend the app and open $EDITOR (or $VISUAL, else vi) in the selected repo."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        self._suspend_into([*shlex.split(editor), "."], "Editor")

    def action_open_shell(self) -> None:
        """Suspend the app and open $SHELL in the selected repo."""
        self._suspend_into([os.environ.get("SHELL") or "/bin/sh"], "Shell")

    def _suspend_into(self, argv: list[str], what: str) -> None:
        repo = self._selected_repo(what)
        if repo is None:
            return
        try:
            with self.suspend():
                subprocess.run(argv, cwd=repo.path, check=False)
        except Exception as exc:  # SuspendNotSupported, missing program...
            self.notify(
                f"{what}: cannot run {safe_text(argv[0])}: {safe_text(exc)}", severity="error"
            )
        self.refresh()

    # -- shutdown -------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Save the cache and the last-seen state, close the backend, exit."""
        await self._leave_tenant()
        self.exit()

    async def on_unmount(self) -> None:
        await self._stop_watcher()
        if self.backend is not None:
            await self.backend.close()
            self.backend = None
        if self.runner is not None:
            self.runner.close()
