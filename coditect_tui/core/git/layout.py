"""Where a working tree keeps its git data, read from the file system (no git process).

A working tree's ``.git`` is either a directory, or a file ``gitdir: <path>`` (submodules
absorbed into ``<super>/.git/modules/...`` and linked worktrees). Linked worktrees share
refs and objects through a ``commondir`` file. These helpers only read small files; they
never follow anything a repo could use to run code.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

_MAX_SMALL_FILE = 64 * 1024


def read_small(path: Path | str, limit: int = _MAX_SMALL_FILE) -> bytes | None:
    """Up to ``limit`` bytes of a small file, or None when it cannot be read.

    Uses ``os.open``/``os.read`` directly: status reads several such files per repo, and
    most of them do not exist.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def _read_small(path: Path | str) -> str | None:
    data = read_small(path)
    return None if data is None else data.decode("utf-8", errors="surrogateescape")


def has_git_entry(worktree: Path) -> bool:
    """Whether ``worktree`` has a ``.git`` directory or ``.git`` file (cheap check).

    Args:
        worktree: a directory.

    Returns:
        True when ``worktree/.git`` exists (directory or file); symlinks are followed.
    """
    return os.path.exists(os.path.join(worktree, ".git"))


def git_dir_of(worktree: Path) -> Path | None:
    """The git directory of a working tree.

    Args:
        worktree: the top of a working tree.

    Returns:
        The absolute git directory, or None when ``worktree`` has no usable ``.git``
        (missing, an unreadable ``gitdir:`` file, or a target without ``HEAD``).
    """
    dot_git = worktree / ".git"
    if dot_git.is_dir():
        return dot_git if (dot_git / "HEAD").exists() else None
    text = _read_small(dot_git)
    if text is None or not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    if not target.is_absolute():
        target = worktree / target
    target = Path(os.path.normpath(target))
    return target if (target / "HEAD").exists() else None


@functools.lru_cache(maxsize=8192)
def common_dir_of(git_dir: Path) -> Path:
    """The directory holding shared refs and objects (differs for linked worktrees).

    Cached: a git directory never changes between being a worktree's and not.

    Args:
        git_dir: a git directory.

    Returns:
        ``git_dir`` itself, or the target of its ``commondir`` file.
    """
    text = _read_small(os.path.join(git_dir, "commondir"))
    if not text:
        return git_dir
    target = Path(text.strip())
    if not target.is_absolute():
        target = git_dir / target
    return Path(os.path.normpath(target))


def read_symref(common_dir: Path, refname: str) -> str | None:
    """The target of a loose symbolic ref (``refs/remotes/origin/HEAD``).

    Args:
        common_dir: the repo's common git directory.
        refname: a ref name under it; never user text.

    Returns:
        The ref it points to (``refs/remotes/origin/main``), or None when the ref is
        missing or not symbolic.
    """
    text = _read_small(os.path.join(common_dir, refname))
    if text and text.startswith("ref: "):
        return text[5:].strip() or None
    return None


def config_files_of(git_dir: Path) -> list[Path]:
    """The repository-level config files git reads for this git directory.

    Args:
        git_dir: a git directory (of a worktree or not).

    Returns:
        ``<common>/config`` and, when present, ``<git_dir>/config.worktree``.
    """
    common = common_dir_of(git_dir)
    files = [common / "config"]
    worktree_config = git_dir / "config.worktree"
    if worktree_config.exists():
        files.append(worktree_config)
    return files
