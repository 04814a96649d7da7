"""What the workspace panes display: a flat, serialisable view of projects and repos.

Built from discovery plus status (``from_status``), or from the small cache written at
the last exit (``load_cached``) so the app can paint its tree before it has imported the
store or started a single git process. Field values are raw (untrusted); panes show them
through ``safe_text``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from platformdirs import user_cache_path

if TYPE_CHECKING:  # imported lazily: the cached first paint must not load the git engine
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.status import RepoStatus

CACHE_VERSION = 1


@dataclass(slots=True)
class RepoView:
    """One repo (or listed submodule) as the tree shows it."""

    path: str
    name: str
    project: str
    parent: str | None = None
    category: str | None = None
    is_submodule: bool = False
    initialised: bool = True
    branch: str | None = None
    detached: bool = False
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    stash: int = 0
    health: int | None = None
    error: str | None = None
    head: str | None = None
    known: bool = False  # False until a status was read (or restored from the cache)

    @property
    def dirty(self) -> bool:
        """Any staged, modified or untracked entry."""
        return bool(self.staged or self.modified or self.untracked or self.conflicted)


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
                "projects": [asdict(p) for p in self.projects],
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
                    repos=[RepoView(**r) for r in p["repos"]],
                )
                for p in raw["projects"]
            ]
            return cls(tenant=str(raw["tenant"]), projects=projects, cached=True)
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return None


def apply_status(view: RepoView, status: RepoStatus) -> None:
    """Copy what the panes show from a fresh status into ``view``."""
    view.initialised = status.initialised
    view.branch = status.branch
    view.detached = status.detached
    view.upstream = status.upstream
    view.ahead, view.behind = status.ahead, status.behind
    view.staged, view.modified = status.staged, status.modified
    view.untracked, view.conflicted = status.untracked, status.conflicted
    view.stash = status.stash
    view.health = status.health.score if status.health else None
    view.error = status.error
    view.head = status.head_oid
    view.known = True


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


def cache_file(tenant: str) -> Path:
    """``$XDG_CACHE_HOME/coditect/workspace-<tenant>.json``."""
    return user_cache_path("coditect", appauthor=False) / f"workspace-{tenant}.json"


def load_cached(tenant: str) -> WorkspaceView | None:
    """The view saved at the last exit, or None."""
    try:
        return WorkspaceView.from_json(cache_file(tenant).read_bytes())
    except OSError:
        return None


def save_cache(view: WorkspaceView) -> None:
    """Write the view for the next start (atomically; failures are ignored: it is a cache)."""
    target = cache_file(view.tenant)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(view.to_json())
        os.replace(tmp, target)
    except OSError:
        pass


def summary(view: WorkspaceView) -> dict[str, Any]:
    """Counts for headers and briefs."""
    repos = [r for r in view.repos() if r.initialised]
    return {
        "projects": len(view.projects),
        "repos": len(repos),
        "dirty": sum(r.dirty for r in repos),
        "ahead": sum(r.ahead > 0 for r in repos),
        "behind": sum(r.behind > 0 for r in repos),
        "detached": sum(r.detached for r in repos),
        "errors": sum(r.error is not None for r in repos),
    }
