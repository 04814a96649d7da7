"""What the workspace panes display: a flat, serialisable view of projects and repos.

A :class:`RepoView` is what discovery knows about a repo plus its :class:`RepoStatus`
(``None`` until read): the one repo-state type, with the one meaning of dirty
(``RepoStatus.dirty``). Built from discovery plus statuses (``from_discovery``), or from
the small cache written at the last exit (``load_cached``: statuses rebuilt with
``RepoStatus.from_cache``) so the app can paint its tree before it has imported the
store or started a single git process. Field values are raw (untrusted); panes show them
through ``safe_text``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from coditect_tui.core.paths import cache_dir, write_private_file

if TYPE_CHECKING:  # imported lazily: the cached first paint must not load the git engine
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.settings import TenantProfile

#: The paint cache's format; a file of another version is ignored (2: a repo's git state
#: is its ``RepoStatus.to_cache()`` under ``status``, no longer RepoView fields).
CACHE_VERSION = 2


@dataclass(slots=True, init=False, eq=False)
class RepoView:
    """One repo (or listed submodule) as the tree shows it: what discovery knows, plus the
    status git gave (``None`` until read; ``status.cached`` while it is the last exit's).

    ``initialised`` is discovery's, then the status's once one is applied. A view read
    from the paint cache keeps its status undecoded until ``status`` is first read, so the
    first frame decodes only the repos it shows.
    """

    path: str
    name: str
    project: str
    parent: str | None
    category: str | None
    is_submodule: bool
    initialised: bool
    _status: RepoStatus | None
    _raw_status: Mapping[str, Any] | None

    def __init__(
        self,
        path: str,
        name: str,
        project: str,
        parent: str | None = None,
        category: str | None = None,
        is_submodule: bool = False,
        initialised: bool = True,
        status: RepoStatus | None = None,
    ) -> None:
        self.path = path
        self.name = name
        self.project = project
        self.parent = parent
        self.category = category
        self.is_submodule = is_submodule
        self.initialised = initialised
        self._status = status
        self._raw_status = None

    @property
    def status(self) -> RepoStatus | None:
        """The repo's status; a cached one that fails to decode counts as not yet read."""
        raw = self._raw_status
        if raw is not None:
            self._raw_status = None
            from coditect_tui.core.git.status.model import RepoStatus

            try:
                self._status = RepoStatus.from_cache(
                    raw,
                    path=self.path,
                    name=self.name,
                    project=self.project,
                    category=self.category,
                    is_submodule=self.is_submodule,
                    parent=self.parent,
                )
            except (KeyError, TypeError, ValueError):
                self._status = None
        return self._status

    @status.setter
    def status(self, value: RepoStatus | None) -> None:
        self._raw_status = None
        self._status = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RepoView):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def _key(self) -> tuple[object, ...]:
        return (
            self.path,
            self.name,
            self.project,
            self.parent,
            self.category,
            self.is_submodule,
            self.initialised,
            self.status,
        )

    def to_cache(self) -> dict[str, Any]:
        """The repo's entry in the paint cache."""
        return {
            "path": self.path,
            "name": self.name,
            "project": self.project,
            "parent": self.parent,
            "category": self.category,
            "is_submodule": self.is_submodule,
            "initialised": self.initialised,
            "status": self.status.to_cache() if self.status is not None else None,
        }

    @classmethod
    def from_cache(cls, raw: dict[str, Any]) -> RepoView:
        """A repo entry of the paint cache (KeyError, TypeError or ValueError if malformed)."""
        view = cls(
            path=str(raw["path"]),
            name=str(raw["name"]),
            project=str(raw["project"]),
            parent=raw["parent"],
            category=raw["category"],
            is_submodule=bool(raw["is_submodule"]),
            initialised=bool(raw["initialised"]),
        )
        status = raw["status"]
        if status is not None:
            if not isinstance(status, dict):
                raise TypeError(f"cached status is {type(status).__name__}")
            view._raw_status = status
        return view


@dataclass(slots=True)
class ProjectView:
    """A project and its repos, root first."""

    name: str
    path: str
    kind: str
    repos: list[RepoView] = field(default_factory=list)


@dataclass(slots=True)
class WorkspaceView:
    """A tenant's projects as displayed; ``cached`` until refreshed from git."""

    tenant: str
    projects: list[ProjectView] = field(default_factory=list)
    cached: bool = False

    def repos(self) -> Iterable[RepoView]:
        """Every repo of every project."""
        for project in self.projects:
            yield from project.repos

    def repo(self, path: str) -> RepoView | None:
        """The repo at ``path``."""
        return next((r for r in self.repos() if r.path == path), None)

    def to_json(self) -> bytes:
        """Cache bytes."""
        return orjson.dumps(
            {
                "version": CACHE_VERSION,
                "tenant": self.tenant,
                "projects": [
                    {
                        "name": p.name,
                        "path": p.path,
                        "kind": p.kind,
                        "repos": [r.to_cache() for r in p.repos],
                    }
                    for p in self.projects
                ],
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> WorkspaceView | None:
        """Parse cache bytes; None when unreadable or from another version."""
        try:
            raw = orjson.loads(data)
            if raw.get("version") != CACHE_VERSION:
                return None
            projects = [
                ProjectView(
                    name=p["name"],
                    path=p["path"],
                    kind=p["kind"],
                    repos=[RepoView.from_cache(r) for r in p["repos"]],
                )
                for p in raw["projects"]
            ]
            return cls(tenant=str(raw["tenant"]), projects=projects, cached=True)
        except (ValueError, KeyError, TypeError, AttributeError):  # JSONDecodeError too
            return None


def apply_status(view: RepoView, status: RepoStatus) -> None:
    """Give ``view`` its status (a fresh read, or the cached one until that arrives)."""
    view.status = status
    view.initialised = status.initialised


def from_discovery(
    tenant: str, tree: WorkspaceTree, statuses: Mapping[str, RepoStatus] | None = None
) -> WorkspaceView:
    """The view of a discovered tree, with statuses where known (keyed by path)."""
    projects = []
    for project in tree.projects:
        repos = []
        for node in project.root.walk():
            view = RepoView(
                path=str(node.path),
                name=node.name,
                project=project.name,
                parent=str(node.parent_path) if node.parent_path else None,
                category=node.category,
                is_submodule=node.is_submodule,
                initialised=node.initialised,
            )
            status = (statuses or {}).get(view.path)
            if status is not None:
                apply_status(view, status)
            repos.append(view)
        projects.append(
            ProjectView(name=project.name, path=str(project.path), kind=project.kind, repos=repos)
        )
    return WorkspaceView(tenant=tenant, projects=projects)


def paint_key(profile: TenantProfile) -> str:
    """The paint cache's key: the tenant, the principal and the configuration that decide
    what the tree may show (role, tier, backend, workspace roots).

    A cache written by one principal, role or set of roots is never painted for another:
    an owner's tree never appears on an advisor's first frame, nor a tenant's old roots
    after the config changed.

    Args:
        profile: the validated tenant profile.

    Returns:
        ``<tenant>-<digest>``, safe as a file name (tenant names are slugs).
    """
    backend = profile.backend
    where = str(getattr(backend, "url", None) or getattr(backend, "path", None) or "")
    facts = [
        profile.name,
        profile.principal_name(),
        profile.role,
        profile.tier,
        backend.kind,
        where,
        sorted(profile.workspace_roots),
    ]
    digest = hashlib.sha256(orjson.dumps(facts)).hexdigest()[:20]
    return f"{profile.name}-{digest}"


def cache_file(key: str) -> Path:
    """``$XDG_CACHE_HOME/coditect/workspace-<key>.json`` (``key`` from :func:`paint_key`)."""
    return cache_dir() / f"workspace-{key}.json"


def load_cached(key: str) -> WorkspaceView | None:
    """The view saved at the last exit under ``key`` (see :func:`paint_key`), or None."""
    try:
        return WorkspaceView.from_json(cache_file(key).read_bytes())
    except OSError:
        return None


def save_cache(view: WorkspaceView, key: str) -> None:
    """Write the view for the next start (atomically; failures are ignored: it is a cache).

    Never call it for an aggregate-only principal: its screen shows no repo names, so
    nothing naming a repo may be kept for it either.
    """
    with contextlib.suppress(OSError):
        write_private_file(cache_file(key), view.to_json(), durable=False)


def summary(view: WorkspaceView) -> dict[str, Any]:
    """Counts for headers and briefs."""
    repos = [r for r in view.repos() if r.initialised]
    known = [r.status for r in repos if r.status is not None]
    return {
        "projects": len(view.projects),
        "repos": len(repos),
        "dirty": sum(s.dirty for s in known),
        "ahead": sum(s.ahead > 0 for s in known),
        "behind": sum(s.behind > 0 for s in known),
        "detached": sum(s.detached for s in known),
        "errors": sum(s.error is not None for s in known),
    }
