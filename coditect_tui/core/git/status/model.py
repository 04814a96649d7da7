"""What a status read found (:class:`RepoStatus`) and what to read (:class:`StatusTarget`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core.git.health import Health

if TYPE_CHECKING:  # annotations only: the paint cache builds statuses without the parsers
    from coditect_tui.core.git.health import SymlinkCheck
    from coditect_tui.core.git.objects import CommitInfo
    from coditect_tui.core.git.status.porcelain import FileEntry
    from coditect_tui.core.git.status.submodules import SubmoduleSummary

#: What the paint cache keeps of a status (:meth:`RepoStatus.to_cache`), by kind, plus
#: ``main_branch`` and the health score: what the tree, the detail header and the brief
#: show before git is read.
_CACHED_FLAGS = ("initialised", "detached", "unborn", "upstream_gone")
_CACHED_TEXT = ("head_oid", "branch", "upstream", "error")
_CACHED_COUNTS = (
    "ahead",
    "behind",
    "staged",
    "modified",
    "untracked",
    "conflicted",
    "changed",
    "stash",
)


def _cached_value(data: Mapping[str, object], key: str, kind: type, optional: bool) -> object:
    """``data[key]`` when it is exactly a ``kind`` (a count: not negative) or an allowed None."""
    value = data[key]
    if value is None and optional:
        return value
    if type(value) is not kind or (isinstance(value, int) and value < 0):
        raise ValueError(f"cached {key} is {value!r}")
    return value


@dataclass(slots=True)
class RepoStatus:
    """The status of one repo (or one listed-but-uninitialised submodule).

    Text fields (branch, upstream, paths, commit subject and author) are untrusted: show
    them only through :func:`coditect_tui.core.safe_text.safe_text`.

    Attributes:
        path: absolute working tree path.
        name: display name (directory name).
        project: the project it belongs to (set by discovery).
        category: its category, if any.
        is_submodule: a submodule of another repo.
        parent: the parent repo's path, for submodules.
        initialised: False for a listed submodule without a working tree (no git state).
        head_oid: the HEAD commit id (None without commits).
        branch: the current branch (None when detached).
        detached: HEAD is detached.
        unborn: the branch has no commit yet (an empty repo).
        upstream: the upstream branch (``origin/main``), if any.
        upstream_gone: an upstream is configured but its ref is missing.
        ahead: commits ahead of the upstream.
        behind: commits behind the upstream.
        staged: entries with index changes.
        modified: entries with working tree changes.
        untracked: untracked entries (directories collapsed, as ``git status`` shows).
        conflicted: unmerged entries.
        changed: tracked entries of any kind (``1``/``2``/``u`` records).
        stash: stash entries.
        last_commit: the HEAD commit's facts.
        submodules: the summary when ``.gitmodules`` lists any.
        main_branch: the branch health treats as main.
        main_branch_source: where that name came from, in words
            (:meth:`~coditect_tui.core.git.status.main_branch.MainBranch.describe`).
        symlinks: the ``.coditect``/``.claude`` check.
        health: score, issues, warnings (None for errors and uninitialised submodules).
        files: changed paths (at most ``MAX_LISTED_FILES``).
        error: one line when git failed for this repo (then the git fields are empty).
        seconds: time spent reading it.
        cached: rebuilt from the paint cache (:meth:`from_cache`): the counts, names and
            health score of the last read, without files, commit, submodules or symlinks.
    """

    path: str
    name: str
    project: str | None = None
    category: str | None = None
    is_submodule: bool = False
    parent: str | None = None
    initialised: bool = True
    head_oid: str | None = None
    branch: str | None = None
    detached: bool = False
    unborn: bool = False
    upstream: str | None = None
    upstream_gone: bool = False
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    changed: int = 0
    stash: int = 0
    last_commit: CommitInfo | None = None
    submodules: SubmoduleSummary | None = None
    main_branch: str = "main"
    main_branch_source: str = ""
    symlinks: SymlinkCheck | None = None
    health: Health | None = None
    files: list[FileEntry] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False

    @property
    def read(self) -> bool:
        """Git read it: an initialised working tree and no error."""
        return self.initialised and self.error is None

    @property
    def dirty(self) -> bool:
        """Git status lists at least one entry: the one meaning of "dirty".

        That is a tracked change of any kind (staged, unstaged, renamed, deleted,
        unmerged, or a submodule whose commit or content changed) or an untracked entry;
        ``uncommitted > 0``, the count the health rules deduct for. A conflicted repo is
        dirty too (``state`` then says ``conflict``); ignored files and stash entries
        are not changes. See docs/dashboard.md.
        """
        return self.changed > 0 or self.untracked > 0

    @property
    def uncommitted(self) -> int:
        """Tracked changes plus untracked entries (what the health rules count)."""
        return self.changed + self.untracked

    @property
    def state(self) -> str:
        """One word for tables: error, uninitialised, conflict, dirty or clean."""
        if self.error:
            return "error"
        if not self.initialised:
            return "uninitialised"
        if self.conflicted:
            return "conflict"
        return "dirty" if self.dirty else "clean"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (files omitted; counts are complete)."""
        return {
            "path": self.path,
            "name": self.name,
            "project": self.project,
            "category": self.category,
            "is_submodule": self.is_submodule,
            "parent": self.parent,
            "initialised": self.initialised,
            "state": self.state,
            "head_oid": self.head_oid,
            "branch": self.branch,
            "detached": self.detached,
            "unborn": self.unborn,
            "upstream": self.upstream,
            "upstream_gone": self.upstream_gone,
            "ahead": self.ahead,
            "behind": self.behind,
            "staged": self.staged,
            "modified": self.modified,
            "untracked": self.untracked,
            "conflicted": self.conflicted,
            "changed": self.changed,
            "stash": self.stash,
            "last_commit": self.last_commit.to_dict() if self.last_commit else None,
            "submodules": self.submodules.to_dict() if self.submodules else None,
            "main_branch": self.main_branch,
            "main_branch_source": self.main_branch_source,
            "symlinks": self.symlinks.to_dict() if self.symlinks else None,
            "health": self.health.to_dict() if self.health else None,
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }

    def to_cache(self) -> dict[str, object]:
        """What the paint cache keeps (identity fields are the view's; see from_cache)."""
        out: dict[str, object] = {
            key: getattr(self, key) for key in (*_CACHED_FLAGS, *_CACHED_TEXT, *_CACHED_COUNTS)
        }
        out["main_branch"] = self.main_branch
        out["main_branch_source"] = self.main_branch_source
        out["health"] = self.health.score if self.health else None
        return out

    @classmethod
    def from_cache(
        cls,
        data: Mapping[str, object],
        *,
        path: str,
        name: str,
        project: str | None = None,
        category: str | None = None,
        is_submodule: bool = False,
        parent: str | None = None,
    ) -> RepoStatus:
        """The status :meth:`to_cache` kept, marked ``cached``.

        Raises:
            KeyError: a field is missing.
            ValueError: a field has the wrong type (the cache is then ignored).
        """
        score = _cached_value(data, "health", int, optional=True)
        fields: dict[str, object] = {"main_branch": _cached_value(data, "main_branch", str, False)}
        source = data.get("main_branch_source", "")  # absent in caches of older versions
        fields["main_branch_source"] = source if type(source) is str else ""
        # inline checks (a big workspace's first paint reads one of these per repo)
        for key in _CACHED_FLAGS:
            value = fields[key] = data[key]
            if type(value) is not bool:
                raise ValueError(f"cached {key} is {value!r}")
        for key in _CACHED_TEXT:
            value = fields[key] = data[key]
            if value is not None and type(value) is not str:
                raise ValueError(f"cached {key} is {value!r}")
        for key in _CACHED_COUNTS:
            value = fields[key] = data[key]
            if type(value) is not int or value < 0:
                raise ValueError(f"cached {key} is {value!r}")
        return cls(
            path=path,
            name=name,
            project=project,
            category=category,
            is_submodule=is_submodule,
            parent=parent,
            health=Health(score) if isinstance(score, int) else None,
            cached=True,
            **fields,  # type: ignore[arg-type]
        )


@dataclass(frozen=True, slots=True)
class StatusTarget:
    """A repo to read, with what discovery knows about it.

    Attributes:
        path: the working tree.
        name: display name (default: the directory name).
        project: project name.
        category: category.
        is_submodule: a submodule of ``parent``.
        parent: the parent's working tree.
        initialised: False for a listed submodule without a working tree.
        in_coditect_master: the symlink convention applies (see health rules).
        git_dir: its git directory when already known (saves looking it up again).
        symlinks: its symlink check when already done.
        has_gitmodules: whether it has a ``.gitmodules`` (None: look).
    """

    path: Path
    name: str | None = None
    project: str | None = None
    category: str | None = None
    is_submodule: bool = False
    parent: Path | None = None
    initialised: bool = True
    in_coditect_master: bool = False
    git_dir: Path | None = None
    symlinks: SymlinkCheck | None = None
    has_gitmodules: bool | None = None

    def gitmodules(self) -> bool:
        """Whether the working tree has a ``.gitmodules`` file."""
        if self.has_gitmodules is None:
            return os.path.exists(os.path.join(self.path, ".gitmodules"))
        return self.has_gitmodules
