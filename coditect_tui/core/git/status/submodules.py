"""Submodules: what ``.gitmodules`` lists and a master's summary of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coditect_tui.core.git import gitconfig, layout
from coditect_tui.core.git.status.gitlinks import gitlinks_of


@dataclass(frozen=True, slots=True)
class SubmoduleEntry:
    """A submodule as listed in ``.gitmodules`` and seen by the parent's status.

    Attributes:
        name: the ``[submodule "<name>"]`` name (untrusted text).
        path: its path in the parent's working tree.
        url: the configured URL.
        category: ``<category>`` of the ``submodules/<category>/<repo>`` layout, else
            None.
        initialised: its working tree has a usable ``.git``.
        ignore: ``submodule.<name>.ignore`` (none, untracked, dirty, all).
        commit_changed: its checked-out commit differs from the parent's gitlink.
        modified_content: it has tracked changes.
        untracked_content: it has untracked files.
        gitlink: the parent's index records it as a gitlink (mode 160000). False for a
            folder ``.gitmodules`` names but that is committed as ordinary files: not a
            submodule at all (``git submodule update --init`` does nothing for it).
    """

    name: str
    path: str
    url: str | None
    category: str | None
    initialised: bool
    ignore: str = "none"
    commit_changed: bool = False
    modified_content: bool = False
    untracked_content: bool = False
    gitlink: bool = True

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "path": self.path,
            "url": self.url,
            "category": self.category,
            "initialised": self.initialised,
            "commit_changed": self.commit_changed,
            "modified_content": self.modified_content,
            "untracked_content": self.untracked_content,
            "gitlink": self.gitlink,
        }


def category_of(path: str) -> str | None:
    """The category of a submodule path in the ``submodules/<category>/<repo>`` layout.

    Args:
        path: the submodule's path relative to its parent (``/`` separated).

    Returns:
        ``<category>``, or None for any other layout.
    """
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "submodules":
        return parts[1]
    return None


def _safe_join(base: Path, rel: str) -> Path | None:
    """``base/rel`` when ``rel`` is a plain relative path that stays inside ``base``."""
    if not rel or rel.startswith("/") or "\x00" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ".git":
        return None
    return base.joinpath(*parts)


def read_gitmodules(worktree: Path, git_dir: Path | None = None) -> list[SubmoduleEntry]:
    """The submodules ``.gitmodules`` lists, with whether each is initialised.

    A name or path a hostile ``.gitmodules`` could use to escape the working tree
    (absolute, ``..``, ``.git``) is skipped. An entry without a working tree is checked
    against the parent's index: one that is not a gitlink there gets ``gitlink=False``
    (an unreadable index leaves every entry a gitlink, as before).

    Args:
        worktree: the parent's working tree.
        git_dir: its git directory (to read ``submodule.<name>.ignore`` overrides).

    Returns:
        Entries in file order (empty without ``.gitmodules`` or when it is invalid).
    """
    try:
        entries = gitconfig.read_config(worktree / ".gitmodules")
    except (OSError, gitconfig.ConfigSyntaxError):
        return []
    found: dict[str, dict[str, str | None]] = {}
    for entry in entries:
        if entry.section == "submodule" and entry.subsection is not None:
            found.setdefault(entry.subsection, {})[entry.key] = entry.value
    if not found:
        return []
    overrides: dict[str, str] = {}
    if git_dir is not None:
        try:
            for entry in gitconfig.read_config(layout.common_dir_of(git_dir) / "config"):
                if (
                    entry.section == "submodule"
                    and entry.key == "ignore"
                    and entry.subsection is not None
                    and entry.value
                ):
                    overrides[entry.subsection] = entry.value
        except (OSError, gitconfig.ConfigSyntaxError):
            pass
    result = []
    seen: set[str] = set()
    links: frozenset[str] | None = None
    links_read = False
    for name, keys in found.items():
        path = (keys.get("path") or "").strip().rstrip("/")
        target = _safe_join(worktree, path)
        if target is None or path in seen:
            continue
        seen.add(path)
        ignore = overrides.get(name) or keys.get("ignore") or "none"
        initialised = layout.git_dir_of(target) is not None
        if not initialised and not links_read:
            links_read = True
            own = git_dir or layout.git_dir_of(worktree)
            links = gitlinks_of(own) if own is not None else None
        result.append(
            SubmoduleEntry(
                name=name,
                path=path,
                url=keys.get("url"),
                category=category_of(path),
                initialised=initialised,
                ignore=ignore if ignore in ("none", "untracked", "dirty", "all") else "none",
                gitlink=initialised or links is None or path in links,
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class SubmoduleSummary:
    """A master's submodules at a glance.

    Attributes:
        total: listed in ``.gitmodules``.
        initialised: with a working tree.
        uninitialised: listed but not initialised (shown, never an error).
        changed: with a new commit, tracked changes or untracked files.
        entries: every submodule.
        folders: paths ``.gitmodules`` names that are ordinary folders (not gitlinks):
            not counted, shown with a warning.
    """

    total: int
    initialised: int
    uninitialised: int
    changed: int
    entries: tuple[SubmoduleEntry, ...]
    folders: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "total": self.total,
            "initialised": self.initialised,
            "uninitialised": self.uninitialised,
            "changed": self.changed,
            "entries": [e.to_dict() for e in self.entries],
            "folders": list(self.folders),
        }


def summarise_submodules(entries: Sequence[SubmoduleEntry]) -> SubmoduleSummary:
    """Count a master's submodules.

    Args:
        entries: from :func:`read_gitmodules`, with status flags filled in.

    Returns:
        The summary (entries that are not gitlinks only in ``folders``).
    """
    subs = [e for e in entries if e.gitlink]
    folders = tuple(e.path for e in entries if not e.gitlink)
    init = sum(1 for e in subs if e.initialised)
    changed = sum(1 for e in subs if e.commit_changed or e.modified_content or e.untracked_content)
    return SubmoduleSummary(len(subs), init, len(subs) - init, changed, tuple(subs), folders)
