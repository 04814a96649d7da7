"""Workspace discovery: roots -> tenant -> projects -> repos -> submodules.

Only the file system is read (no git process), so discovery is safe on hostile repos and
fast. Rules (docs/git-engine.md has the full text):

* Each workspace root is walked up to ``max_depth`` directories deep. A directory with a
  ``.git`` (directory or ``gitdir:`` file) is a repo; the walk does not descend into a
  repo's working tree (its submodules come from ``.gitmodules`` instead). Hidden
  directories, ``node_modules`` and virtualenvs are not entered; bare repos are skipped.
* Every repo found by the walk is a **project**: ``master`` when its ``.gitmodules``
  lists submodules, else ``standalone``. Its name is its path relative to the root
  (``client-a/api``); names repeated across roots get the root's name in front.
* A master's submodules (the CODITECT layout ``submodules/<category>/<repo>`` or any
  other) are repos of the same project, with ``category`` from that layout; listed but
  uninitialised submodules are kept (``initialised=False``); initialised ones are
  followed recursively (nested submodules). A top-level repo below a sub-directory of
  the root gets that sub-directory as its category.
* Symlinked directories are followed once: every directory is identified by
  (device, inode), so a symlink loop or a second path to the same repo is skipped with
  a warning. Unreadable directories are skipped with a warning.
* The ``.coditect``/``.claude`` symlink convention of every repo is reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.git import layout
from coditect_tui.core.git.health import SymlinkCheck, check_symlinks
from coditect_tui.core.git.status import StatusTarget, category_of, read_gitmodules
from coditect_tui.core.safe_text import is_utf8_name, safe_text
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend

SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
DEFAULT_MAX_DEPTH = 4
MAX_SUBMODULE_DEPTH = 8
#: Bounds of a scan of folders given on the command line (anywhere: ``/tmp``, ``~``).
SCAN_MAX_REPOS = 200
SCAN_MAX_DIRS = 10_000


@dataclass(frozen=True, slots=True)
class ScanLimits:
    """How far a walk may go; a walk that reaches a bound stops with a warning.

    Attributes:
        max_repos: top-level repos found (None: no bound).
        max_dirs: directories visited (None: no bound).
    """

    max_repos: int | None = SCAN_MAX_REPOS
    max_dirs: int | None = SCAN_MAX_DIRS


@dataclass(slots=True)
class _Budget:
    limits: ScanLimits
    repos: int = 0
    dirs: int = 0
    stopped: str | None = None

    def visit(self) -> bool:
        """Count a directory; False once a bound is reached (the walk stops)."""
        dirs, repos = self.limits.max_dirs, self.limits.max_repos
        if self.stopped is None and dirs is not None and self.dirs >= dirs:
            self.stopped = plural(dirs, "folder", grouped=True)
        if self.stopped is None and repos is not None and self.repos >= repos:
            self.stopped = plural(repos, "repository", grouped=True)
        self.dirs += 1
        return self.stopped is None


class DiscoveryError(CoditectError):
    """A workspace root is unusable (missing, not a directory)."""

    exit_code = 2


@dataclass(slots=True)
class RepoNode:
    """A repo in the tree.

    Attributes:
        path: absolute working tree path.
        name: directory name.
        git_dir: its git directory (None when not initialised).
        has_gitmodules: it has a ``.gitmodules`` file.
        rel_path: path relative to the project's root repo (``.`` for the root itself).
        category: ``submodules/<category>/...`` category, or the root sub-directory.
        is_submodule: listed in a parent's ``.gitmodules``.
        initialised: has a working tree with a usable ``.git``.
        url: the submodule URL from ``.gitmodules``.
        parent_path: the parent repo's path (submodules only).
        symlinks: the ``.coditect``/``.claude`` convention check.
        in_coditect_master: a submodule of a master whose root has ``.coditect``.
        children: its submodules.
    """

    path: Path
    name: str
    rel_path: str
    git_dir: Path | None = None
    has_gitmodules: bool = False
    category: str | None = None
    is_submodule: bool = False
    initialised: bool = True
    url: str | None = None
    parent_path: Path | None = None
    symlinks: SymlinkCheck | None = None
    in_coditect_master: bool = False
    children: list[RepoNode] = field(default_factory=list)

    def walk(self) -> Iterator[RepoNode]:
        """This repo, then its submodules depth-first (parents before children)."""
        yield self
        for child in self.children:
            yield from child.walk()


ProjectKindName = Literal["master", "standalone"]


@dataclass(slots=True)
class ProjectNode:
    """A project: one top-level repo and its submodules.

    Attributes:
        name: unique within the tree.
        path: the root repo's working tree.
        kind: ``master`` (has submodules) or ``standalone``.
        root: the root repo.
        category: the root sub-directory it was found under, if any.
    """

    name: str
    path: Path
    kind: ProjectKindName
    root: RepoNode
    category: str | None = None

    def repos(self) -> list[RepoNode]:
        """Every repo of the project, parents before children."""
        return list(self.root.walk())

    def by_category(self) -> dict[str | None, list[RepoNode]]:
        """The project's submodules grouped by category (None: no category)."""
        groups: dict[str | None, list[RepoNode]] = {}
        for node in self.root.walk():
            if node.is_submodule:
                groups.setdefault(node.category, []).append(node)
        return groups


@dataclass(slots=True)
class WorkspaceTree:
    """The discovered workspace of one tenant.

    Attributes:
        tenant: the tenant's name (None when roots came from the command line only).
        roots: the roots walked.
        projects: projects ordered by name.
        warnings: one line per skipped directory, loop or unreadable file.
        stopped: the walk reached a bound of its :class:`ScanLimits` (a partial tree).
    """

    tenant: str | None
    roots: list[Path]
    projects: list[ProjectNode]
    warnings: list[str] = field(default_factory=list)
    stopped: bool = False

    def repos(self) -> list[RepoNode]:
        """Every repo of every project."""
        return [node for project in self.projects for node in project.root.walk()]

    def project_of(self, node: RepoNode) -> ProjectNode | None:
        """The project holding ``node``."""
        for project in self.projects:
            if any(n is node for n in project.root.walk()):
                return project
        return None

    def targets(self) -> list[StatusTarget]:
        """What :func:`coditect_tui.core.git.status.read_many` needs, one per repo."""
        out = []
        for project in self.projects:
            for node in project.root.walk():
                out.append(
                    StatusTarget(
                        path=node.path,
                        name=node.name,
                        project=project.name,
                        category=node.category,
                        is_submodule=node.is_submodule,
                        parent=node.parent_path,
                        initialised=node.initialised,
                        in_coditect_master=node.in_coditect_master,
                        git_dir=node.git_dir,
                        symlinks=node.symlinks,
                        has_gitmodules=node.has_gitmodules,
                    )
                )
        return out


def _is_bare_repo(path: Path) -> bool:
    return (
        os.path.isfile(path / "HEAD")
        and os.path.isdir(path / "objects")
        and os.path.isdir(path / "refs")
    )


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _submodules(
    node: RepoNode,
    seen: set[tuple[int, int]],
    warnings: list[str],
    coditect_master: bool,
    depth: int,
) -> None:
    if depth > MAX_SUBMODULE_DEPTH:
        warnings.append(
            f"{node.path}: submodules nested deeper than {MAX_SUBMODULE_DEPTH} levels not followed"
        )
        return
    node.has_gitmodules = os.path.exists(os.path.join(node.path, ".gitmodules"))
    if not node.has_gitmodules:
        return
    base = os.path.realpath(node.path)
    for entry in read_gitmodules(node.path, node.git_dir):
        child_path = node.path.joinpath(*entry.path.split("/"))
        if not entry.gitlink:
            warnings.append(
                f"{child_path}: .gitmodules names it, but it is committed as an ordinary "
                "folder, not a submodule"
            )
            continue
        initialised = entry.initialised
        if initialised:
            real = os.path.realpath(child_path)
            ident = _identity(child_path)
            if not real.startswith(base + os.sep) or ident is None or ident in seen:
                warnings.append(
                    f"{child_path}: submodule path leaves its parent or repeats "
                    "a directory already seen (symlink); not followed"
                )
                initialised = False
            else:
                seen.add(ident)
        rel = entry.path if node.rel_path == "." else f"{node.rel_path}/{entry.path}"
        child = RepoNode(
            path=child_path,
            name=child_path.name,
            rel_path=rel,
            git_dir=layout.git_dir_of(child_path) if initialised else None,
            category=entry.category or category_of(rel) or node.category,
            is_submodule=True,
            initialised=initialised,
            url=entry.url,
            parent_path=node.path,
            in_coditect_master=coditect_master,
            symlinks=check_symlinks(child_path, in_coditect_master=coditect_master)
            if initialised
            else None,
        )
        node.children.append(child)
        if initialised:
            _submodules(child, seen, warnings, coditect_master, depth + 1)


def _walk_root(
    root: Path,
    max_depth: int,
    seen: set[tuple[int, int]],
    warnings: list[str],
    budget: _Budget,
) -> Iterator[tuple[Path, int, Path]]:
    """Yield (repo path, depth, git dir) for every top-level repo under ``root``."""
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        if not budget.visit():
            return
        ident = _identity(directory)
        if ident is None:
            warnings.append(f"{directory}: cannot be read; skipped")
            continue
        if ident in seen:
            if directory.is_symlink():
                warnings.append(
                    f"{directory}: symlink to a directory already seen (loop or "
                    "duplicate); not followed"
                )
            continue
        seen.add(ident)
        if layout.has_git_entry(directory):
            git_dir = layout.git_dir_of(directory)
            if git_dir is None:
                warnings.append(f"{directory}: has a .git that is not usable; skipped")
            else:
                budget.repos += 1
                yield directory, depth, git_dir
            continue
        if depth > 0 and _is_bare_repo(directory):
            continue
        if depth >= max_depth:
            continue
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{directory}: cannot be listed ({exc.strerror}); skipped")
            continue
        children = []
        for entry in entries:
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            try:
                if not entry.is_dir(follow_symlinks=True):
                    continue
            except OSError:
                continue
            if not is_utf8_name(entry.name):  # its name could not be stored nor printed
                warnings.append(f"{entry.path}: the name is not valid UTF-8; skipped")
                continue
            children.append((Path(entry.path), depth + 1))
        stack.extend(reversed(children))


def check_root(root: Path) -> Path:
    """Validate a workspace root.

    Args:
        root: a path from the settings or the command line.

    Returns:
        The absolute path.

    Raises:
        DiscoveryError: it does not exist, is not a directory or its name is not UTF-8.
    """
    path = Path(os.path.abspath(os.path.expanduser(root)))
    if not is_utf8_name(path):
        raise DiscoveryError(
            f"{path}: the name is not valid UTF-8; rename the folder to use it here"
        )
    if not path.exists():
        raise DiscoveryError(f"{safe_text(root)}: no such directory")
    if not path.is_dir():
        raise DiscoveryError(f"{safe_text(root)}: not a directory")
    return path


def project_name(root: Path, repo: Path) -> str:
    """A project's name: its path relative to the root (its directory name at depth 0).

    Args:
        root: the workspace root it was found under.
        repo: the project's root repo.

    Returns:
        ``/``-separated relative path, or the directory name.
    """
    if repo == root:
        return repo.name or str(repo)
    return repo.relative_to(root).as_posix()


def discover(
    roots: Sequence[Path],
    *,
    tenant: str | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    limits: ScanLimits | None = None,
) -> WorkspaceTree:
    """Build the workspace tree under ``roots``.

    Args:
        roots: workspace roots (each a directory; a root may itself be a repo).
        tenant: the tenant's name, recorded in the tree.
        max_depth: how many directory levels below a root are searched for repos.
        limits: bounds of the walk (None: unbounded, as for the tenant's own roots);
            reaching one stops the walk and adds a warning (``WorkspaceTree.stopped``).

    Returns:
        The tree; problems with single directories are in ``warnings``.

    Raises:
        DiscoveryError: a root does not exist, is not a directory or is not UTF-8.
    """
    checked = [check_root(root) for root in roots]
    seen: set[tuple[int, int]] = set()
    warnings: list[str] = []
    projects: list[ProjectNode] = []
    names: set[str] = set()
    budget = _Budget(limits or ScanLimits(None, None))
    for root in checked:
        for repo, depth, git_dir in _walk_root(root, max_depth, seen, warnings, budget):
            name = project_name(root, repo)
            if name in names:
                name = f"{root.name}/{name}"
            suffix = 2
            base_name = name
            while name in names:
                name = f"{base_name}#{suffix}"
                suffix += 1
            names.add(name)
            rel_parent = repo.parent.relative_to(root).as_posix() if depth > 1 else None
            coditect = os.path.lexists(repo / ".coditect")
            node = RepoNode(
                path=repo,
                name=repo.name,
                rel_path=".",
                category=rel_parent,
                git_dir=git_dir,
                symlinks=check_symlinks(repo),
            )
            _submodules(node, seen, warnings, coditect, 1)
            kind: ProjectKindName = "master" if node.children else "standalone"
            projects.append(
                ProjectNode(name=name, path=repo, kind=kind, root=node, category=rel_parent)
            )
    projects.sort(key=lambda p: p.name)
    if budget.stopped:
        warnings.insert(
            0,
            f"scan stopped after {budget.stopped}: a folder given on the command line is "
            "searched within bounds (--max-repos N sets the repo bound, --max-repos 0 "
            "lifts both; the tenant's workspace_roots are never bounded)",
        )
    return WorkspaceTree(
        tenant=tenant,
        roots=checked,
        projects=projects,
        warnings=warnings,
        stopped=budget.stopped is not None,
    )


def superproject_of(repo: Path, *, max_levels: int = 12) -> Path:
    """The outermost repo that holds ``repo`` as a (possibly nested) submodule.

    Args:
        repo: a working tree.
        max_levels: how far up to look.

    Returns:
        The top-level repo's working tree (``repo`` itself when it is not a submodule).
    """
    current = Path(os.path.abspath(repo))
    probe = current.parent
    for _ in range(max_levels):
        if probe == probe.parent:
            break
        if layout.has_git_entry(probe):
            rel = current.relative_to(probe).as_posix()
            if any(entry.path == rel for entry in read_gitmodules(probe)):
                current = probe
            else:
                break
        probe = probe.parent
    return current


@dataclass(slots=True)
class Registration:
    """What :func:`register_tree` did.

    Attributes:
        project_ids: project name -> backend id.
        repo_ids: absolute repo path -> backend id.
        created: projects and repos created.
        updated: projects and repos whose stored fields changed.
    """

    project_ids: dict[str, str] = field(default_factory=dict)
    repo_ids: dict[str, str] = field(default_factory=dict)
    created: int = 0
    updated: int = 0


async def register_tree(backend: Backend, tree: WorkspaceTree) -> Registration:
    """Register the tree's projects and repos in the backend, idempotently.

    Existing rows are listed first and only new or changed ones are written, so a
    second run with nothing changed writes nothing (and audits nothing).

    Args:
        backend: the tenant's backend.
        tree: from :func:`discover`.

    Returns:
        Ids by name/path and what changed.

    Raises:
        ReadOnly, PermissionDenied, QuotaExceeded: from the backend.
    """
    from coditect_tui.core import limits
    from coditect_tui.core.models import ProjectSpec, RepoSpec

    result = Registration()
    existing_projects = {}
    cursor: str | None = None
    while True:
        page = await backend.list_projects(cursor=cursor, limit=1000)
        existing_projects.update({p.name: p for p in page.items})
        cursor = page.next_cursor
        if cursor is None:
            break
    existing_repos = {}
    cursor = None
    while True:
        repo_page = await backend.list_repos(cursor=cursor, limit=1000)
        existing_repos.update({(r.project_id, r.path): r for r in repo_page.items})
        cursor = repo_page.next_cursor
        if cursor is None:
            break
    for project in tree.projects:
        spec = ProjectSpec(
            name=project.name,
            path=str(project.path),
            kind=project.kind,
            description=existing_projects[project.name].description
            if project.name in existing_projects
            else "",
        )
        stored = existing_projects.get(project.name)
        if stored is None or (stored.path, stored.kind) != (spec.path, spec.kind):
            stored = await backend.upsert_project(spec)
            if project.name in existing_projects:
                result.updated += 1
            else:
                result.created += 1
        result.project_ids[project.name] = stored.id
        ids_by_path: dict[Path, str] = {}
        for node in project.root.walk():
            parent_id = ids_by_path.get(node.parent_path) if node.parent_path else None
            repo_spec = RepoSpec(
                project_id=stored.id,
                path=node.rel_path,
                name=node.name,
                parent_id=parent_id,
                url=node.url,
                # a folder name (or .gitmodules path) may be longer than the column keeps
                category=node.category[: limits.CATEGORY] if node.category else node.category,
                is_submodule=node.is_submodule,
                initialised=node.initialised,
            )
            old = existing_repos.get((stored.id, node.rel_path))
            wanted = repo_spec.model_dump(exclude={"project_id", "path"})
            if old is None or any(getattr(old, k) != v for k, v in wanted.items()):
                old_was = old
                old = await backend.upsert_repo(repo_spec)
                if old_was is None:
                    result.created += 1
                else:
                    result.updated += 1
            ids_by_path[node.path] = old.id
            result.repo_ids[str(node.path)] = old.id
    return result
