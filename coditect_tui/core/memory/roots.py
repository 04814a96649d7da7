"""Where MEMORY-CONTEXT folders are, which project each belongs to, and what files they hold.

Only the MEMORY-CONTEXT folders the workspace designates are indexed (docs/memory.md,
"Which folders are indexed"):

* a folder named exactly ``MEMORY-CONTEXT`` (the case CODITECT's scripts write) directly
  in a given workspace root or project folder, in a registered project's folder, or at
  the top of a repository below them (a folder holding ``.git``: a repo or a submodule);
* a folder given itself that is named ``MEMORY-CONTEXT``, or that holds no ``.git`` and
  at least two of CODITECT's standard sub-folders (``checkpoints``, ``sessions``,
  ``exports``, ``audit-logs``), such as a copy of one;
* the folders the tenant's configuration names (``memory_folders``), whatever their name.

So ``docs/memory-context/`` or ``docs/MEMORY-CONTEXT/`` inside a repository is not indexed.
``discover_roots`` never follows symbolic links (so ``.coditect`` links to a submodule do
not index the same files twice) and skips ``.git``, ``node_modules`` and other build
folders.
* A root belongs to the registered project whose folder is the nearest one containing it
  (a workspace-level MEMORY-CONTEXT outside every project has no project).
* Index keys are absolute paths as text; bytes of a file name that are not UTF-8 are
  written ``\\xNN`` (such a key is stable but cannot be turned back into the name).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import Project
from coditect_tui.core.safe_text import fs_text

MEMORY_DIR = "MEMORY-CONTEXT"
STANDARD_FOLDERS = frozenset({"checkpoints", "sessions", "exports", "audit-logs"})
#: Folders never searched for roots nor walked for files.
SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "target",
        "dist",
        "build",
        ".hypothesis",
        ".idea",
        ".vscode",
    }
)
#: File-name endings of editor and tool noise.
NOISE_SUFFIXES = (".swp", ".swo", ".swx", "~", ".pyc", ".tmp")


def path_key(path: Path | str) -> str:
    """The index key of a file: its absolute path as text, always valid UTF-8.

    Args:
        path: the file (made absolute, not resolved: roots are resolved once).

    Returns:
        The key; non-UTF-8 bytes of the name appear as ``\\xNN``.
    """
    return fs_text(os.path.abspath(os.fspath(path)))


def is_ignored_name(name: str) -> bool:
    """Whether a file or folder name is left out of the index.

    Args:
        name: a file or folder name.

    Returns:
        True for hidden names (an atomic writer's temporary files among them) and editor
        swap, backup and byte-code files.
    """
    return name.startswith(".") or name.endswith(NOISE_SUFFIXES)


def is_memory_root(path: Path) -> bool:
    """Whether a folder given by itself is a MEMORY-CONTEXT root (see the module docstring).

    Args:
        path: a folder.

    Returns:
        True when it is named exactly MEMORY-CONTEXT, or holds no ``.git`` and at least
        two of the standard sub-folders.
    """
    if path.name == MEMORY_DIR:
        return True
    try:
        names = {entry.name for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False)}
    except OSError:
        return False
    return ".git" not in names and len(names & STANDARD_FOLDERS) >= 2


@dataclass(frozen=True, slots=True)
class MemoryRoot:
    """A MEMORY-CONTEXT folder and the project it belongs to.

    Attributes:
        path: the folder (resolved).
        project_id: the registered project containing it, or None (workspace level).
        project_name: that project's name.
    """

    path: Path
    project_id: str | None = None
    project_name: str | None = None

    @property
    def key(self) -> str:
        """The index key prefix of every file in this root (without the final ``/``)."""
        return path_key(self.path)

    def holds(self, key: str) -> bool:
        """Whether an index key is inside this root.

        Args:
            key: an index key (``MemoryEntry.path``).

        Returns:
            True when the key names a file below this folder.
        """
        return key.startswith(self.key + os.sep)


def _folder(given: Path) -> Path:
    path = Path(given).expanduser()
    if not path.exists():
        raise InvalidInput(f"{path}: no such folder")
    if not path.is_dir():
        raise InvalidInput(f"{path}: not a folder")
    return path.resolve()


def _repo_top(folder: str | Path) -> bool:
    """Whether a folder is the top of a repository (holds ``.git``, a folder or a file)."""
    return os.path.lexists(os.path.join(folder, ".git"))


def discover_roots(
    paths: Iterable[Path],
    *,
    max_depth: int = 6,
    designated: Iterable[Path] = (),
    project_dirs: Iterable[Path] = (),
) -> list[Path]:
    """Every designated MEMORY-CONTEXT root at or below ``paths`` (module docstring).

    Args:
        paths: workspace roots, project folders or MEMORY-CONTEXT folders.
        max_depth: how many folder levels below each path are searched for repositories.
        designated: folders the configuration names as MEMORY-CONTEXT folders (taken
            as they are, whatever their name).
        project_dirs: registered project folders (resolved): their MEMORY-CONTEXT
            counts even where they are not repositories.

    Returns:
        Resolved roots, sorted, without duplicates (a root is never searched inside).

    Raises:
        InvalidInput: a path does not exist or is not a folder.
    """
    found: dict[Path, None] = {}
    projects = {Path(p) for p in project_dirs}
    for named in designated:
        found.setdefault(_folder(named), None)
    for given in paths:
        path = _folder(given)
        if is_memory_root(path):
            found.setdefault(path, None)
            continue
        level = [path]
        for _depth in range(max_depth):
            below: list[Path] = []
            for folder in level:
                try:
                    entries = sorted(os.scandir(folder), key=lambda e: e.name)
                except OSError:
                    continue
                for entry in entries:
                    if (
                        entry.name in SKIP_DIRS
                        or entry.is_symlink()
                        or not entry.is_dir(follow_symlinks=False)
                    ):
                        continue
                    child = Path(entry.path)
                    if entry.name == MEMORY_DIR:
                        if folder == path or folder in projects or _repo_top(folder):
                            found.setdefault(child, None)
                    elif not entry.name.startswith("."):
                        below.append(child)
            level = below
            if not level:
                break
    return sorted(found)


def _located(projects: Sequence[Project]) -> list[tuple[Path, Project]]:
    located: list[tuple[Path, Project]] = []
    for project in projects:
        if project.path:
            try:
                located.append((Path(project.path).expanduser().resolve(), project))
            except (OSError, RuntimeError):
                continue
    return located


def project_folders(projects: Sequence[Project]) -> list[Path]:
    """The resolved folders of registered projects (for ``discover_roots``).

    Args:
        projects: the tenant's projects (those without a path are left out).

    Returns:
        Their folders, resolved.
    """
    return [folder for folder, _project in _located(projects)]


def assign_projects(roots: Sequence[Path], projects: Sequence[Project]) -> list[MemoryRoot]:
    """Attach each root to the nearest registered project folder containing it.

    Args:
        roots: resolved MEMORY-CONTEXT folders.
        projects: the tenant's registered projects (those without a path are ignored).

    Returns:
        One :class:`MemoryRoot` per root, in the same order.
    """
    located = _located(projects)
    result: list[MemoryRoot] = []
    for root in roots:
        owner = root.parent
        best: tuple[Path, Project] | None = None
        for folder, project in located:
            if (owner == folder or folder in owner.parents) and (
                best is None or len(folder.parts) > len(best[0].parts)
            ):
                best = (folder, project)
        result.append(MemoryRoot(root, best[1].id, best[1].name) if best else MemoryRoot(root))
    return result


class FileStat(NamedTuple):
    """A file found in a root, with what the change check needs (a tuple: a walk makes
    one per file, and a frozen dataclass costs several times as much to build).

    Attributes:
        location: the file's path as text (as the OS gave it).
        key: its index key.
        mtime: modification time.
        size: size in bytes.
    """

    location: str
    key: str
    mtime: float
    size: int

    @property
    def path(self) -> Path:
        """The file's path."""
        return Path(self.location)


@dataclass(slots=True)
class WalkResult:
    """The files of a root, and the folders that could not be read.

    Files under an unreadable folder are unknown, not deleted: the indexer keeps their
    entries.
    """

    files: list[FileStat] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)

    def unreadable_keys(self) -> list[str]:
        """Key prefixes (with the final separator) of the unreadable folders."""
        return [path_key(p) + os.sep for p in self.unreadable]


def walk_files(root: Path, *, below: Path | None = None) -> WalkResult:
    """Every file of a root (or of one folder inside it), without following links.

    Args:
        root: the MEMORY-CONTEXT folder.
        below: only this folder inside the root (for a folder that appeared).

    Returns:
        The files and unreadable folders.
    """
    result = WalkResult()
    stack: list[str | Path] = [os.path.abspath(below or root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            result.unreadable.append(Path(folder))
            continue
        for entry in entries:
            name = entry.name
            if is_ignored_name(name) or name in SKIP_DIRS:
                continue
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            location = entry.path
            key = location if location.isascii() else path_key(location)
            result.files.append(FileStat(location, key, stat.st_mtime, stat.st_size))
    return result
