"""The tenant session: everything of one open tenant, owned by one object.

A session discovers the workspace, reads every repo's status, opens the tenant's backend,
registers the repos, then keeps all of it live (repo watcher, memory indexer, a remote
tenant's event stream). It never imports a UI: subscribers receive
:mod:`~coditect_tui.core.tenant.events` and read the rest from the session.

Lifecycle: ``await open()`` (cancellable at any point), then ``await close()``
(idempotent), which cancels and awaits every task, closes the watchers, the backend and
the git runner, and saves the paint cache and the last-seen state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.plugins import events as plugin_events
from coditect_tui.core.plugins import hub as plugin_hub

# The backend contract (pydantic models) and the memory follower are imported when the
# backend opens, after the statuses are live: the first read never waits for them.
from coditect_tui.core.tenant.events import (
    AuditAppended,
    BackendOpened,
    ConnectionChanged,
    DemoWorkspace,
    MemoryChanged,
    Notice,
    ReposRegistered,
    RepoStatusChanged,
    SessionEvent,
    StatusesLive,
    TenantLifecycle,
    TreeDiscovered,
)
from coditect_tui.core.workspace_view import RepoView, WorkspaceView, apply_status

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.brief import Brief
    from coditect_tui.core.flags import FeatureSubject
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.git.watch import RepoWatcher
    from coditect_tui.core.models import GitSession, Principal, Tenant
    from coditect_tui.core.settings import TenantProfile
    from coditect_tui.core.tenant.prefetch import StatusPrefetch
    from coditect_tui.core.views import ResolvedView

Subscriber = Callable[[SessionEvent], None]
Opener = Callable[["TenantProfile", bool], Awaitable["Backend"]]


async def _default_opener(profile: TenantProfile, read_only: bool) -> Backend:
    from coditect_tui.core.factory import open_backend

    return await open_backend(profile, read_only=read_only)


class TenantSession:
    """One open tenant.

    Args:
        profile: the tenant's validated profile.
        read_only: refuse every write (the backend is opened read-only too).
        demo_allowed: with no workspace roots, build and show the demo workspace.
        quiet_repos: do not report discovery warnings (an advisor sees no repo names).
        previous: a view painted before (the cache): its glyphs stay until statuses
            are read.
        config_hint: where the user adds workspace roots (said when there are none).
        opener: opens the backend (tests inject one; default: the backend factory).
        watch: keep statuses and memory live after the first read.
        prefetch: the first discovery and status read, started before the session (see
            :mod:`~coditect_tui.core.tenant.prefetch`); taken over: the session uses it
            if it read this tenant's roots, and closes it either way.
    """

    def __init__(
        self,
        profile: TenantProfile,
        *,
        read_only: bool = False,
        demo_allowed: bool = False,
        quiet_repos: bool = False,
        previous: WorkspaceView | None = None,
        config_hint: str = "the config file",
        opener: Opener | None = None,
        watch: bool = True,
        prefetch: StatusPrefetch | None = None,
    ) -> None:
        self.profile = profile
        self._prefetch = prefetch
        self.read_only = read_only
        self.demo_allowed = demo_allowed
        self.quiet_repos = quiet_repos
        self.config_hint = config_hint
        self.watch = watch
        self._previous = previous
        self._opener = opener or _default_opener
        self.view: WorkspaceView | None = None
        self.tree: WorkspaceTree | None = None
        self.statuses: dict[str, RepoStatus] = {}
        self.repo_ids: dict[str, str] = {}
        self.project_ids: dict[str, str] = {}
        self.backend: Backend | None = None
        self._raw_backend: Backend | None = None
        self.principal: Principal | None = None
        #: who features are decided for, with the tenant's stored overrides (None: not
        #: read, the configured tier decides)
        self.subject: FeatureSubject | None = None
        #: the tenant's lifecycle state as the backend reported it (None: not known)
        self.tenant_state: str | None = None
        #: Why the backend could not be opened (None: it opened, or is opening).
        self.backend_error: str | None = None
        self.runner: GitRunner | None = None
        self.watcher: RepoWatcher | None = None
        #: Set once every repo's status has been read from git.
        self.live = asyncio.Event()
        #: Set when open() has finished (whatever it could open is open).
        self.opened = asyncio.Event()
        #: Set once the memory folders (and the places new ones appear) are watched.
        self.memory_ready = asyncio.Event()
        self._subscribers: list[Subscriber] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._open_task: asyncio.Task[Any] | None = None
        self._audit_due: str | bool | None = False
        self._closed = False

    # -- subscribers --------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The tenant's name."""
        return self.profile.name

    @property
    def closed(self) -> bool:
        """Whether close() has begun (a closed session emits nothing)."""
        return self._closed

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on.

        Returns:
            A function that unsubscribes.
        """
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def emit(self, event: SessionEvent) -> None:
        """Hand ``event`` to every subscriber (nothing once the session is closing)."""
        if self._closed:
            return
        for subscriber in list(self._subscribers):
            subscriber(event)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=f"tenant-{self.name}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- opening --------------------------------------------------------------------------

    async def open(self) -> None:
        """Discover, read statuses, open the backend, register, then keep it all live.

        Failures are reported as :class:`Notice` events, never raised: whatever could be
        opened stays usable. Cancelling it (or calling :meth:`close`) stops it cleanly.
        """
        self._open_task = asyncio.current_task()
        try:
            await self._discover()
            await self._read_statuses()
            await self._open_backend()
            await self._register()
            if self.watch and not self._closed:
                self._start_watcher()
                if (
                    self.backend is not None
                    and not self.read_only
                    and self.has("memory")
                    and self._may_create("MEMORY")
                ):
                    from coditect_tui.core.tenant.memory_follow import follow_memory

                    self._spawn(
                        follow_memory(self, self.backend, self._memory_changed, self.memory_ready),
                        "memory",
                    )
                else:
                    self.memory_ready.set()
                raw = self._raw_backend
                if raw is not None and raw.supports_live_events:
                    self._spawn(self._follow_events(raw), "events")
            if not self._closed:
                plugin_hub.emit("tenant_opened", self._opened_payload)
        finally:
            self._open_task = None
            self.opened.set()

    async def _discover(self) -> None:
        from coditect_tui.core.git.discovery import DiscoveryError, discover
        from coditect_tui.core.workspace_roots import default_roots
        from coditect_tui.core.workspace_view import from_discovery

        profile = self.profile
        chosen = default_roots(profile, allow_demo=self.demo_allowed)
        roots = [await self._demo_root()] if chosen.demo else chosen.roots
        prefetch = self._prefetch
        tree = None
        if prefetch is not None and not chosen.demo and prefetch.matches(profile.name, roots):
            tree = await prefetch.tree()
        if tree is None:
            await self._drop_prefetch()
            try:
                tree = await asyncio.to_thread(discover, roots, tenant=profile.name)
            except DiscoveryError as exc:
                self.emit(Notice(str(exc), "error", timeout=10))
                tree = await asyncio.to_thread(
                    discover, [r for r in roots if r.is_dir()], tenant=profile.name
                )
        if not self.quiet_repos:
            for warning in tree.warnings[:5]:
                self.emit(Notice(str(warning), "warning"))
        self.tree = tree
        view = from_discovery(profile.name, tree)
        if self._previous is not None and self._previous.tenant == profile.name:
            previous = {r.path: r for r in self._previous.repos()}
            for repo in view.repos():  # cached glyphs until the fresh status arrives
                old = previous.get(repo.path)
                if old is not None and old.status is not None:
                    apply_status(repo, old.status)
        view.cached = True
        self.view = view
        self.emit(TreeDiscovered(view))
        if not roots:
            self.emit(
                Notice(
                    "No workspace roots configured: add workspace_roots to your tenant "
                    f"in {self.config_hint}.",
                    "warning",
                    timeout=15,
                )
            )

    async def _demo_root(self) -> Path:
        from coditect_tui.core.demo import DemoError, build_demo, demo_root, is_built

        fresh = not is_built()  # a half-built folder is rebuilt: news to the user as well

        async def record() -> Backend:  # the build's own connection, closed by the build
            return await self._opener(self.profile, False)

        try:
            # its sessions go in the store as `coditect session` records them (not when
            # read-only: nothing is written then, and they are in git alone)
            root = await asyncio.to_thread(build_demo, record=None if self.read_only else record)
        except DemoError as exc:
            self.emit(Notice(str(exc), "error", timeout=15))
            return demo_root()
        self.emit(DemoWorkspace(root, fresh))
        if fresh:
            self.emit(
                Notice(
                    "A DEMO workspace of real git repos. To use your own, quit and run "
                    "`coditect init FOLDER...` (or add workspace_roots to the config: "
                    f"{self.config_hint}). The demo is in: {root}",
                    title="Demo workspace",
                    timeout=30,
                )
            )
        return root

    async def _read_statuses(self) -> None:
        from coditect_tui.core.git.runner import GitRunner
        from coditect_tui.core.git.status import read_many
        from coditect_tui.core.workspace_view import paint_key, save_cache

        assert self.tree is not None and self.view is not None
        self.runner = GitRunner()
        statuses = await self._prefetch.statuses() if self._prefetch is not None else None
        await self._drop_prefetch()
        if statuses is None:
            statuses = await read_many(self.runner, self.tree.targets())
        self.statuses = {s.path: s for s in statuses}
        for repo in self.view.repos():
            status = self.statuses.get(repo.path)
            if status is not None:
                apply_status(repo, status)
        self.view.cached = False
        if not self.quiet_repos:
            save_cache(self.view, paint_key(self.profile))
        self.live.set()
        self.emit(StatusesLive(self.view))
        # let the screen draw them before the backend opens (its import alone is long)
        await asyncio.sleep(0)

    async def _drop_prefetch(self) -> None:
        """Close the prefetch handed over (used, not this tenant's, or stopped)."""
        prefetch = self._prefetch
        if prefetch is not None:
            await asyncio.to_thread(prefetch.close)  # idempotent: close() may repeat it
            self._prefetch = None

    async def _open_backend(self) -> None:
        self.emit(ConnectionChanged("opening"))
        try:
            raw = await self._opener(self.profile, self.read_only)
        except CoditectError as exc:
            self.backend_error = str(exc)
            self.emit(ConnectionChanged("unavailable", str(exc)))
            self.emit(Notice(f"Backend: {exc}", "error", timeout=15))
            return
        self._raw_backend = raw  # owned from here: close() closes it
        try:
            me = await raw.whoami()
        except CoditectError as exc:
            self.backend_error = str(exc)
            self.emit(ConnectionChanged("unavailable", str(exc)))
            self.emit(Notice(f"Backend: {exc}", "error", timeout=15))
            return
        self.principal = me
        self.read_only = self.read_only or me.read_only
        state, self.subject = await _feature_subject(raw, me.name)
        self.tenant_state = state
        if state in ("suspended", "archived"):
            # every call would be refused (and each refusal audited): say it once
            self.backend_error = f"tenant {self.profile.name!r} is {state}"
            self.emit(TenantLifecycle(state))
            self.emit(ConnectionChanged("unavailable", self.backend_error))
            self.emit(
                Notice(
                    f"Tenant {self.profile.name!r} is {state}: everything is refused but "
                    "its owners' data export (coditect tenant export DIR). A platform "
                    "administrator can resume a suspended tenant.",
                    "error",
                    title="Tenant " + state,
                    timeout=30,
                )
            )
            return
        if state == "offboarded":
            self.read_only = True  # the backend refuses every change
            self.emit(TenantLifecycle(state))
        from coditect_tui.core.tenant.observed import ObservedBackend

        self.backend = cast("Backend", ObservedBackend(raw, self._wrote))
        raw.on_state = self._connection_changed
        self.emit(BackendOpened(me, self.read_only))
        self.emit(ConnectionChanged("ok"))

    @property
    def tier(self) -> str:
        """The tenant's tier as configured (the backend enforces the stored one)."""
        return self.profile.tier

    def has(self, feature: str) -> bool:
        """Whether ``feature`` is on for this tenant and principal (the tier, flags.yaml
        and the tenant's stored overrides, decided as the backend decides): what is off is
        not started, rather than started and refused by the backend."""
        from coditect_tui.core.policy import shipped_policy

        return shipped_policy().has_feature(self.subject or self.tier, feature)

    async def _register(self) -> None:
        from coditect_tui.core.git.discovery import register_tree

        if self.backend is None or self.tree is None:
            return
        if not self.has("projects") and not (self.read_only and self.has("dashboard")):
            return  # the tier has no projects: nothing to register, nothing to refuse
        try:
            if self.read_only or not self._may_create("PROJECTS", "REPOS"):
                self.repo_ids, self.project_ids = await self._known_ids()
            else:
                registration = await register_tree(self.backend, self.tree)
                self.repo_ids = dict(registration.repo_ids)
                self.project_ids = dict(registration.project_ids)
        except CoditectError as exc:
            self.emit(Notice(f"Registering repos: {exc}", "warning"))
            return
        self.emit(ReposRegistered())

    def _may_create(self, *resources: str) -> bool:
        """Whether the principal's role may create every one of ``resources``: a viewer
        only reads the ids and does not index memory (arriving must not attempt a write
        the backend refuses)."""
        return self.may("CREATE", *resources)

    def may(self, action: str, *resources: str) -> bool:
        """Whether the principal's role and the tenant's tier allow ``action`` on every
        one of ``resources``, as the backend will decide it: what it would refuse is not
        asked (a refusal is recorded in the audit log as a denial).

        Args:
            action: a name of ``Action`` (e.g. ``"READ"``).
            resources: names of ``Resource`` (e.g. ``"AUDIT"``).

        Returns:
            False when any of them would be refused, or no principal is known yet.
        """
        from coditect_tui.core.models import Action, Resource
        from coditect_tui.core.policy import shipped_policy

        me = self.principal
        if me is None:
            return False
        try:
            for name in resources:
                shipped_policy().authorize(
                    role=me.role,
                    principal=me.name,
                    tier=self.subject or self.tier,
                    resource=Resource[name],
                    action=Action[action],
                    read_only=self.read_only,
                )
        except CoditectError:
            return False
        return True

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

    # -- live -------------------------------------------------------------------------------

    def _start_watcher(self) -> None:
        from coditect_tui.core.git.watch import RepoWatcher

        if self.tree is None:
            return
        self.watcher = RepoWatcher(
            self.tree.targets(),
            runner=self.runner,
            initial=list(self.statuses.values()),
            on_notice=lambda notice: self.emit(Notice(notice.message, "warning", timeout=20)),
        )
        self._spawn(self._watch(self.watcher), "watch")

    async def _watch(self, watcher: RepoWatcher) -> None:
        try:
            while True:
                update = await watcher.next_update()
                if update is not None:
                    self.status_changed(update.status)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the watcher must never take the session down
            self.emit(Notice(f"Watching stopped: {exc}", "warning"))

    def status_changed(self, status: RepoStatus) -> None:
        """Take a freshly read status (from the watcher or after an action)."""
        self.statuses[status.path] = status
        repo = self.view.repo(status.path) if self.view else None
        if repo is None:
            return
        apply_status(repo, status)
        self.emit(RepoStatusChanged(repo))
        if plugin_hub.wants("repo_status_changed"):
            plugin_hub.emit("repo_status_changed", self._status_payload(repo, status))

    async def reread(self, path: str) -> RepoStatus | None:
        """Read one repo's status now (after an action changed it) and announce it."""
        from coditect_tui.core.git.status import read_status

        if self.runner is None or self._closed:
            return None
        status = await read_status(self.runner, Path(path))
        self.status_changed(status)
        return status

    def _opened_payload(self) -> plugin_events.TenantOpened:
        me = self.principal
        return plugin_events.TenantOpened(
            tenant=self.name,
            principal=me.name if me else None,
            role=self.role(),
            read_only=self.read_only,
            backend=self.profile.backend.kind,
            repos=sum(1 for _ in self.view.repos()) if self.view else 0,
        )

    def _status_payload(
        self, repo: RepoView, status: RepoStatus
    ) -> plugin_events.RepoStatusChanged:
        return plugin_events.RepoStatusChanged(
            tenant=self.name,
            repo=status.path,
            name=repo.name,
            project=repo.project,
            branch=status.branch,
            state=status.state,
            ahead=status.ahead,
            behind=status.behind,
            dirty=status.dirty,
            error=status.error,
        )

    def _memory_changed(self) -> None:
        self.emit(MemoryChanged())

    def memory_changed(self) -> None:
        """Say that the memory index changed (e.g. a note was written)."""
        self._memory_changed()

    def _wrote(self, resource: str | None) -> None:
        """A write of ours succeeded: its audit event exists. Announced once per loop
        turn, however many writes happened in it (the indexer writes in batches)."""
        if self._closed:
            return
        first = self._audit_due is False
        self._audit_due = (
            resource if first else (self._audit_due if self._audit_due == resource else None)
        )
        if first:
            asyncio.get_running_loop().call_soon(self._announce_audit)

    def _announce_audit(self) -> None:
        resource, self._audit_due = self._audit_due, False
        self.emit(AuditAppended(resource if isinstance(resource, str) else None))

    def _connection_changed(self) -> None:
        raw = self._raw_backend
        if raw is None:
            return
        if raw.online:
            self.emit(ConnectionChanged("ok"))
            self.emit(Notice("Connection to the tenant API restored."))
        else:
            why = raw.last_error or "unreachable"
            self.emit(ConnectionChanged("offline", why))
            self.emit(Notice(f"Tenant API offline: {why}", "warning"))

    async def _follow_events(self, backend: Backend) -> None:
        """A teammate's action reaches this session (our own and reads are ignored)."""
        # events name people by pseudonymous id since schema 0011, by name before
        me = {self.principal.name, self.principal.id} - {None} if self.principal else set()
        try:
            async for event in backend.events():
                data = event.get("data") or {}
                action = str(data.get("action", ""))
                if data.get("actor") in me or action.endswith((".read", ".export", ".status")):
                    continue
                resource = str(data.get("resource_type", "")) or None
                self.emit(AuditAppended(resource))
                if resource == "memory":
                    self.emit(MemoryChanged())
        except asyncio.CancelledError:
            raise
        except CoditectError as exc:
            self.emit(Notice(f"Live events stopped: {exc}", "warning"))

    # -- what panes ask ---------------------------------------------------------------------

    def repo(self, path: str) -> RepoView | None:
        """The repo view at ``path``, if discovered."""
        return self.view.repo(path) if self.view else None

    def project_folder(self, path: str) -> Path | None:
        """The folder of the project holding the repo at ``path``."""
        repo = self.repo(path)
        if repo is None or self.view is None:
            return None
        project = next((p for p in self.view.projects if p.name == repo.project), None)
        return Path(project.path) if project else None

    def project_of(self, path: str) -> tuple[str, str] | None:
        """(backend id, name) of the project of the repo at ``path``, if registered."""
        repo = self.repo(path)
        if repo is None:
            return None
        project_id = self.project_ids.get(repo.project)
        return (project_id, repo.project) if project_id else None

    async def project_id(self, path: str) -> str | None:
        """The backend id of the project of the repo at ``path`` (None: not registered)."""
        repo_id = self.repo_ids.get(path)
        if self.backend is None or repo_id is None:
            return None
        try:
            return (await self.backend.get_repo(repo_id)).project_id
        except CoditectError:
            return None

    async def history(self, path: str, limit: int = 50) -> list[GitSession] | None:
        """The git sessions of the project of the repo at ``path``, newest first.

        Returns:
            None when the repo is not registered (nothing can be recorded for it).

        Raises:
            CoditectError: the backend refused or failed.
        """
        repo_id = self.repo_ids.get(path)
        if self.backend is None or repo_id is None:
            return None
        record = await self.backend.get_repo(repo_id)
        page = await self.backend.list_sessions(project_id=record.project_id, limit=limit)
        return list(page.items)

    async def repo_of_session(self, session_key: str, near: str | None = None) -> str | None:
        """The path of the repo a stored git session ran in (None: not in this tenant).

        A key is the second the session started, so sessions started together in several
        repos share it: the one whose repo holds ``near`` is taken first.

        Args:
            session_key: the session's ``YYYYMMDD-HHMMSS``.
            near: a path that tells the repo (the session export naming the key).

        Raises:
            CoditectError: the backend refused or failed.
        """
        if self.backend is None:
            return None
        by_id = {repo_id: path for path, repo_id in self.repo_ids.items()}
        found: list[str] = []
        cursor: str | None = None
        while True:
            page = await self.backend.list_sessions(cursor=cursor, limit=500)
            found += [
                by_id[s.repo_id]
                for s in page.items
                if s.session_key == session_key and s.repo_id in by_id
            ]
            if (cursor := page.next_cursor) is None:
                break
        if near is not None:
            holders = [p for p in found if Path(near).is_relative_to(p)]
            if holders:
                return max(holders, key=len)  # a submodule's, not its master's
        return found[0] if found else None

    def role(self) -> str:
        """The principal's role (the profile's until the backend said)."""
        return self.principal.role if self.principal else self.profile.role

    def views(self) -> list[ResolvedView]:
        """The dashboard views this principal may open (a Notice when views.yaml fails)."""
        from coditect_tui.core.views import load_views

        try:
            return load_views().views_for(role=self.role(), tier=self.profile.tier)
        except CoditectError as exc:
            self.emit(Notice(f"Views: {exc}", "warning"))
            return []

    async def open_peer(self, tenant: Tenant) -> Backend:
        """Another tenant of the same store or server, read-only (the portfolio).

        The caller owns (and closes) the returned backend.
        """
        peer = self.profile.model_copy(
            update={"name": tenant.name, "display_name": tenant.display_name}
        )
        return await self._opener(peer, True)

    async def brief(self) -> tuple[str, list[str]] | None:
        """What changed since the principal last left this tenant: (title, lines)."""
        from coditect_tui.core.brief import compute_brief, load_seen
        from coditect_tui.core.git.history import count_commits

        if self.backend is None or self.view is None:
            return None
        profile = self.profile
        seen = load_seen(profile.name, profile.principal_name())
        brief: Brief = await compute_brief(
            self.backend, self.view, seen, lambda resource: self.may("READ", resource)
        )
        if brief.moved and self.runner is not None:
            total = 0
            for path, (old, new) in brief.moved.items():
                total += await count_commits(self.runner, Path(path), old, new)
            brief.lines.insert(0, f"New commits: {total}")
        since = f" (last here {brief.since.astimezone():%Y-%m-%d %H:%M})" if brief.since else ""
        return f"Since you were last in {profile.title}{since}", brief.lines

    # -- closing ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop everything and release every handle (idempotent).

        Cancels and awaits open() and every task, closes the repo watcher, saves the paint
        cache and the last-seen state (when the view is live and repo names may be
        cached), then closes the backend and the git runner.
        """
        if self._closed:
            return
        self._closed = True
        self._subscribers.clear()
        tasks = list(self._tasks)
        current = asyncio.current_task()
        if self._open_task is not None and self._open_task is not current:
            tasks.append(self._open_task)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._drop_prefetch()
        if self.watcher is not None:
            await self.watcher.close()
            self.watcher = None
        if self.view is not None and not self.view.cached and not self.quiet_repos:
            from coditect_tui.core.brief import save_seen
            from coditect_tui.core.workspace_view import paint_key, save_cache

            save_cache(self.view, paint_key(self.profile))
            save_seen(self.profile.name, self.profile.principal_name(), self.view)
        raw, self._raw_backend, self.backend = self._raw_backend, None, None
        if raw is not None:
            with contextlib.suppress(CoditectError, OSError):
                await raw.close()
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await asyncio.to_thread(runner.close)


async def _feature_subject(
    backend: Backend, principal: str
) -> tuple[str | None, FeatureSubject | None]:
    """The tenant's lifecycle state, and who features are decided for, with the tenant's
    stored tier and overrides, as the backend decides them (None when they cannot be
    read: the configured tier decides; a suspended tenant refuses the overrides)."""
    from coditect_tui.core.flags import FeatureSubject

    try:
        tenant = await backend.get_tenant()
    except CoditectError:
        return None, None
    if tenant.state in ("suspended", "archived"):
        return tenant.state, None  # asking more would be refused, and each refusal audited
    try:
        flags = await backend.list_flags()
    except CoditectError:
        return tenant.state, None
    return tenant.state, FeatureSubject(
        tenant.tier, tenant.id, tenant.name, principal, tuple(flags)
    )
