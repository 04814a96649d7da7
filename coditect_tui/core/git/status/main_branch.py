"""Which branch health and sessions treat as "main", and where that answer came from.

Read from files only (no git process, nothing a repo could use to run code), in order:

1. ``main_branch`` of the helper's ``.coditect-git-config.json`` (the helper's own rule);
2. the remote's HEAD: ``refs/remotes/origin/HEAD``, else the first other remote (by
   name) with a ``refs/remotes/<remote>/HEAD`` symbolic ref;
3. ``init.defaultBranch`` (repo config, then the user's global config, then the system
   config, as git reads them; ``include`` directives are not followed) when that branch
   exists;
4. ``main``, else ``master``, whichever exists as a local branch;
5. else the branch HEAD names (an empty repo's first commit creates it), else ``main``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from coditect_tui.core.git import gitconfig, layout

#: The helper's config file (``main_branch`` is honoured).
HELPER_CONFIG = ".coditect-git-config.json"

_MAX_REMOTES = 64


@dataclass(frozen=True, slots=True)
class MainBranch:
    """The main branch and how it was found.

    Attributes:
        name: the branch name (untrusted text).
        source: ``helper-config``, ``remote-head``, ``init-default``, ``existing``,
            ``head`` or ``fallback``.
        detail: where exactly (``refs/remotes/origin/HEAD``, a config file...), or "".
    """

    name: str
    source: str
    detail: str = ""

    def describe(self) -> str:
        """Where the name came from, in a few words (for the detail pane and JSON)."""
        return {
            "helper-config": f"{HELPER_CONFIG} main_branch",
            "remote-head": self.detail or "the remote's HEAD",
            "init-default": "init.defaultBranch",
            "existing": "the only one of main/master that exists"
            if self.detail == "only"
            else "the local branch that exists",
            "head": "HEAD's branch (neither main nor master exists)",
            "fallback": "default (no main or master branch yet)",
        }.get(self.source, self.source)


def _helper_branch(worktree: Path) -> str | None:
    raw = layout.read_small(os.path.join(worktree, HELPER_CONFIG))
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("main_branch")
    except (ValueError, AttributeError):
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _remote_head(common: Path) -> tuple[str, str] | None:
    """(branch, symref) of ``origin``'s HEAD, else of the first remote that has one."""
    remotes = ["origin"]
    try:
        with os.scandir(common / "refs" / "remotes") as entries:
            names = sorted(e.name for e in entries if e.name != "origin")
        remotes += names[:_MAX_REMOTES]
    except OSError:
        pass
    for remote in remotes:
        symref = f"refs/remotes/{remote}/HEAD"
        target = layout.read_symref(common, symref)
        prefix = f"refs/remotes/{remote}/"
        if target and target.startswith(prefix) and target != symref:
            return target[len(prefix) :], symref
    return None


def branch_exists(common: Path, name: str) -> bool:
    """Whether ``refs/heads/<name>`` exists, loose or packed (files only).

    Args:
        common: the repo's common git directory.
        name: a branch name.

    Returns:
        True when the ref is found; False otherwise (also for a reftable repo).
    """
    if not name or ".." in name or name.startswith("/") or "\x00" in name:
        return False
    ref = f"refs/heads/{name}"
    if os.path.isfile(os.path.join(common, *ref.split("/"))):
        return True
    raw = layout.read_small(os.path.join(common, "packed-refs"), limit=16 * 1024 * 1024)
    if not raw:
        return False
    needle = b" " + ref.encode("utf-8", errors="surrogateescape")
    return any(line.endswith(needle) for line in raw.splitlines())


def _global_config_files() -> list[Path]:
    """The system then global config files git would read (lowest precedence first)."""
    files: list[Path] = []
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        files.append(Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    explicit = os.environ.get("GIT_CONFIG_GLOBAL")
    if explicit is not None:
        if explicit:
            files.append(Path(explicit))
        return files
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    files.append(Path(xdg, "git", "config"))
    files.append(Path(os.path.expanduser("~"), ".gitconfig"))
    return files


_GLOBAL_CACHE: dict[tuple[str, ...], tuple[tuple[float, ...], str | None]] = {}


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


def _default_branch_in(files: list[Path]) -> str | None:
    """The last ``init.defaultBranch`` set in ``files`` (later files win)."""
    found: str | None = None
    for path in files:
        try:
            entries = gitconfig.read_config(path)
        except (OSError, gitconfig.ConfigSyntaxError):
            continue
        for entry in entries:
            if (
                entry.section == "init"
                and entry.subsection is None
                and entry.key == "defaultbranch"
                and entry.value
            ):
                found = entry.value.strip() or found
    return found


def _global_default_branch() -> str | None:
    """``init.defaultBranch`` of the system and global config (cached by mtime)."""
    files = _global_config_files()
    key = tuple(str(f) for f in files)
    stamps = tuple(_mtime(f) for f in files)
    cached = _GLOBAL_CACHE.get(key)
    if cached is not None and cached[0] == stamps:
        return cached[1]
    value = _default_branch_in(files)
    _GLOBAL_CACHE[key] = (stamps, value)
    return value


def init_default_branch(git_dir: Path) -> str | None:
    """``init.defaultBranch`` as git would read it for this repo (files only).

    Args:
        git_dir: the repo's git directory.

    Returns:
        The name, or None when no config file sets it.
    """
    return _default_branch_in(layout.config_files_of(git_dir)) or _global_default_branch()


def resolve_main_branch(worktree: Path, git_dir: Path | None) -> MainBranch:
    """The main branch of a working tree, with its source (see the module docstring).

    Args:
        worktree: the working tree.
        git_dir: its git directory (None: only the helper's config is read).

    Returns:
        The branch and where it came from.
    """
    helper = _helper_branch(worktree)
    if helper is not None:
        return MainBranch(helper, "helper-config")
    if git_dir is None:
        return MainBranch("main", "fallback")
    common = layout.common_dir_of(git_dir)
    remote = _remote_head(common)
    if remote is not None:
        return MainBranch(remote[0], "remote-head", remote[1])
    default = init_default_branch(git_dir)
    if default and branch_exists(common, default):
        return MainBranch(default, "init-default")
    existing = [name for name in ("main", "master") if branch_exists(common, name)]
    if existing:
        return MainBranch(existing[0], "existing", "only" if len(existing) == 1 else "")
    head = layout.read_symref(git_dir, "HEAD")
    if head and head.startswith("refs/heads/") and not head.startswith("refs/heads/session/"):
        return MainBranch(head[len("refs/heads/") :], "head")
    return MainBranch(default or "main", "fallback")


def main_branch_of(worktree: Path, git_dir: Path | None) -> str:
    """The branch health and sessions treat as "main" (:func:`resolve_main_branch`'s name).

    Args:
        worktree: the working tree.
        git_dir: its git directory.

    Returns:
        The branch name.
    """
    return resolve_main_branch(worktree, git_dir).name
