"""Repo status: one ``git status --porcelain=v2 --branch -z --show-stash`` per repo.

That single process gives branch, detached HEAD, upstream, ahead/behind, every changed,
untracked and conflicted entry, the stash count and the HEAD commit id. The last
commit's subject, author and time are then read in-process from the object database
(:mod:`coditect_tui.core.git.objects`), with ``git log -1`` only as a fallback, so a
status run costs one git process per repo. Submodules are summarised from
``.gitmodules`` (read in Python) and the status entries of their gitlinks.

When a batch includes a master and all of its initialised submodules, the master is read
with ``--ignore-submodules=dirty`` (git would otherwise start a nested ``git status`` in
every submodule) and the "modified/untracked content" flags are filled in from the
submodules' own statuses, honouring ``submodule.<name>.ignore``, so the counts equal
plain ``git status``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from coditect_tui.core.git import gitconfig, layout, objects
from coditect_tui.core.git.health import Health, SymlinkCheck, check_symlinks, score
from coditect_tui.core.git.objects import CommitInfo
from coditect_tui.core.git.runner import DIFF_SAFETY, GitError, GitRunner, neutralising_config

#: Changed paths kept per repo for detail views (counts are always complete).
MAX_LISTED_FILES = 500
#: The helper's config file (``main_branch`` is honoured).
HELPER_CONFIG = ".coditect-git-config.json"

STATUS_ARGS: tuple[str, ...] = (
    "status",
    "--porcelain=v2",
    "--branch",
    "-z",
    "--show-stash",
    "--untracked-files=normal",
)


@dataclass(slots=True)
class FileEntry:
    """One changed path of ``git status``.

    Attributes:
        code: ``XY`` for tracked entries, ``??`` untracked, ``UU``-style for conflicts.
        path: the path relative to the working tree (untrusted text).
        orig_path: the source of a rename or copy.
        submodule: the ``<sub>`` field (``N...`` or ``S<c><m><u>``).
    """

    code: str
    path: str
    orig_path: str | None = None
    submodule: str = "N..."


@dataclass(slots=True)
class Porcelain:
    """Everything parsed out of one porcelain v2 ``-z`` output."""

    oid: str | None = None
    head: str | None = None
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    has_ab: bool = False
    stash: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    changed: int = 0
    files: list[FileEntry] = field(default_factory=list)
    gitlinks: dict[str, FileEntry] = field(default_factory=dict)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def parse_porcelain_v2(data: bytes) -> Porcelain:
    """Parse ``git status --porcelain=v2 --branch -z [--show-stash]`` output.

    Args:
        data: git's stdout.

    Returns:
        The parsed state; unknown record types are ignored (forward compatible).

    Raises:
        ValueError: a record is truncated.
    """
    out = Porcelain()
    tokens = data.split(b"\0")
    i = 0
    count = len(tokens)
    while i < count:
        tok = tokens[i]
        i += 1
        if len(tok) < 2:
            continue
        kind = tok[:2]
        if kind == b"# ":
            key, _, value = tok[2:].partition(b" ")
            if key == b"branch.oid":
                out.oid = None if value == b"(initial)" else _text(value)
            elif key == b"branch.head":
                out.head = _text(value)
            elif key == b"branch.upstream":
                out.upstream = _text(value)
            elif key == b"branch.ab":
                ahead, _, behind = value.partition(b" ")
                out.ahead, out.behind = int(ahead), -int(behind)
                out.has_ab = True
            elif key == b"stash":
                out.stash = int(value)
            continue
        if kind in (b"1 ", b"2 ", b"u "):
            fields = {b"1 ": 8, b"2 ": 9, b"u ": 10}[kind]
            parts = tok.split(b" ", fields)
            if len(parts) != fields + 1:
                raise ValueError(f"truncated status record {tok[:40]!r}")
            xy = _text(parts[1])
            entry = FileEntry(xy, _text(parts[fields]), submodule=_text(parts[2]))
            out.changed += 1
            if kind == b"u ":
                out.conflicted += 1
            else:
                if xy[0] != ".":
                    out.staged += 1
                if xy[1] != ".":
                    out.modified += 1
            if kind == b"2 ":
                if i >= count:
                    raise ValueError("rename record without its source path")
                entry.orig_path = _text(tokens[i])
                i += 1
            if entry.submodule.startswith("S"):
                out.gitlinks[entry.path] = entry
        elif kind == b"? ":
            out.untracked += 1
            entry = FileEntry("??", _text(tok[2:]))
        else:
            continue  # "! " ignored entries and anything newer
        if len(out.files) < MAX_LISTED_FILES:
            out.files.append(entry)
    return out


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
    (absolute, ``..``, ``.git``) is skipped.

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
    for name, keys in found.items():
        path = (keys.get("path") or "").strip().rstrip("/")
        target = _safe_join(worktree, path)
        if target is None or path in seen:
            continue
        seen.add(path)
        ignore = overrides.get(name) or keys.get("ignore") or "none"
        result.append(
            SubmoduleEntry(
                name=name,
                path=path,
                url=keys.get("url"),
                category=category_of(path),
                initialised=layout.git_dir_of(target) is not None,
                ignore=ignore if ignore in ("none", "untracked", "dirty", "all") else "none",
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
    """

    total: int
    initialised: int
    uninitialised: int
    changed: int
    entries: tuple[SubmoduleEntry, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "total": self.total,
            "initialised": self.initialised,
            "uninitialised": self.uninitialised,
            "changed": self.changed,
            "entries": [e.to_dict() for e in self.entries],
        }


def summarise_submodules(entries: Sequence[SubmoduleEntry]) -> SubmoduleSummary:
    """Count a master's submodules.

    Args:
        entries: from :func:`read_gitmodules`, with status flags filled in.

    Returns:
        The summary.
    """
    init = sum(1 for e in entries if e.initialised)
    changed = sum(
        1 for e in entries if e.commit_changed or e.modified_content or e.untracked_content
    )
    return SubmoduleSummary(len(entries), init, len(entries) - init, changed, tuple(entries))


def main_branch_of(worktree: Path, git_dir: Path | None) -> str:
    """The branch health and sessions treat as "main".

    Args:
        worktree: the working tree.
        git_dir: its git directory.

    Returns:
        ``main_branch`` of the helper's ``.coditect-git-config.json`` when set, else the
        branch ``refs/remotes/origin/HEAD`` points to, else ``main``.
    """
    raw = layout.read_small(os.path.join(worktree, HELPER_CONFIG))
    if raw is not None:
        try:
            import json

            value = json.loads(raw).get("main_branch")
            if isinstance(value, str) and value.strip():
                return value.strip()
        except (ValueError, AttributeError):
            pass
    if git_dir is not None:
        target = layout.read_symref(layout.common_dir_of(git_dir), "refs/remotes/origin/HEAD")
        if target and target.startswith("refs/remotes/origin/"):
            return target[len("refs/remotes/origin/") :]
    return "main"


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
        symlinks: the ``.coditect``/``.claude`` check.
        health: score, issues, warnings (None for errors and uninitialised submodules).
        files: changed paths (at most ``MAX_LISTED_FILES``).
        error: one line when git failed for this repo (then the git fields are empty).
        seconds: time spent reading it.
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
    symlinks: SymlinkCheck | None = None
    health: Health | None = None
    files: list[FileEntry] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def dirty(self) -> bool:
        """Any tracked change or untracked entry."""
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
            "symlinks": self.symlinks.to_dict() if self.symlinks else None,
            "health": self.health.to_dict() if self.health else None,
            "error": self.error,
            "seconds": round(self.seconds, 4),
        }


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


def _apply_health(status: RepoStatus) -> None:
    status.health = score(
        uncommitted=status.uncommitted,
        unpushed=status.ahead if status.upstream else 0,
        behind=status.behind,
        detached=status.detached,
        branch=status.branch,
        main_branch=status.main_branch,
        symlinks=status.symlinks,
    )


def _submodule_drivers(repo: Path, git_dir: Path, depth: int = 0) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if depth > 8:
        return pairs
    for entry in read_gitmodules(repo, git_dir):
        if not entry.initialised:
            continue
        child = repo.joinpath(*entry.path.split("/"))
        child_git = layout.git_dir_of(child)
        if child_git is None:
            continue
        pairs.extend(neutralising_config(child_git))
        if os.path.exists(child / ".gitmodules"):
            pairs.extend(_submodule_drivers(child, child_git, depth + 1))
    return pairs


async def _last_commit(runner: GitRunner, repo: Path, common: Path, oid: str) -> CommitInfo | None:
    info = objects.read_commit(common, oid)
    if info is not None:
        return info
    result = await runner.run(
        repo,
        [
            "log",
            "-1",
            "--no-show-signature",
            *DIFF_SAFETY,
            f"--format={objects.log_format()}",
            "--end-of-options",
            oid,
            "--",
        ],
    )
    return objects.parse_log_line(result.text()) if result.ok else None


async def read_status(
    runner: GitRunner, target: StatusTarget | Path, *, reconstruct_submodules: bool = False
) -> RepoStatus:
    """Read one repo's status. Never raises for a repo problem: it lands in ``error``.

    Args:
        runner: runs git (bounded, hardened, with a timeout).
        target: the repo (a bare path works too).
        reconstruct_submodules: read with ``--ignore-submodules=dirty``; the caller then
            fills in submodule content flags with :func:`merge_submodule_states`.

    Returns:
        The status, with health computed.
    """
    if isinstance(target, Path):
        target = StatusTarget(path=target)
    repo = target.path
    status = RepoStatus(
        path=str(repo),
        name=target.name or repo.name,
        project=target.project,
        category=target.category,
        is_submodule=target.is_submodule,
        parent=str(target.parent) if target.parent else None,
        initialised=target.initialised,
    )
    if not target.initialised:
        return status
    started = time.perf_counter()
    git_dir = target.git_dir or layout.git_dir_of(repo)
    if git_dir is None:
        status.error = "not a git working tree (no usable .git)"
        return status
    common = layout.common_dir_of(git_dir)
    args = list(STATUS_ARGS)
    extra: list[tuple[str, str]] = []
    if reconstruct_submodules:
        args.append("--ignore-submodules=dirty")
    elif target.gitmodules():
        # git's nested status runs inside every initialised submodule: their drivers
        # must be neutralised too (-c settings reach git's child processes)
        extra = _submodule_drivers(repo, git_dir)
    try:
        result = await runner.run(repo, args, git_dir=git_dir, extra_config=extra)
        if not result.ok:
            status.error = result.error_line() or f"git status exited {result.returncode}"
            return status
        parsed = parse_porcelain_v2(result.stdout)
        if parsed.oid:
            status.last_commit = await _last_commit(runner, repo, common, parsed.oid)
    except (GitError, ValueError) as exc:
        status.error = str(exc)
        return status
    finally:
        status.seconds = time.perf_counter() - started
    status.head_oid = parsed.oid
    status.detached = parsed.head == "(detached)"
    status.branch = None if parsed.head in ("(detached)", "(unknown)", None) else parsed.head
    status.unborn = parsed.oid is None
    status.upstream = parsed.upstream
    status.upstream_gone = parsed.upstream is not None and not parsed.has_ab
    status.ahead, status.behind = parsed.ahead, parsed.behind
    status.staged, status.modified = parsed.staged, parsed.modified
    status.untracked, status.conflicted = parsed.untracked, parsed.conflicted
    status.changed, status.stash = parsed.changed, parsed.stash
    status.files = parsed.files
    status.main_branch = main_branch_of(repo, git_dir)
    status.symlinks = target.symlinks or check_symlinks(
        repo, in_coditect_master=target.in_coditect_master
    )
    if target.gitmodules():
        subs = [
            replace(
                e,
                commit_changed=(g := parsed.gitlinks.get(e.path)) is not None
                and g.submodule[1] == "C",
                modified_content=g is not None and g.submodule[2] == "M",
                untracked_content=g is not None and g.submodule[3] == "U",
            )
            for e in read_gitmodules(repo, git_dir)
        ]
        status.submodules = summarise_submodules(subs)
    _apply_health(status)
    return status


def merge_submodule_states(parent: RepoStatus, children: dict[str, RepoStatus]) -> None:
    """Fill in what ``--ignore-submodules=dirty`` left out of a parent's status.

    For each initialised submodule whose own status shows tracked changes (or untracked
    files, unless its ``ignore`` setting hides them), mark it as git's default status
    would: its gitlink entry gains the modified/untracked content flag, and a submodule
    without an entry gets one (counted as changed and modified).

    Args:
        parent: a status read with ``reconstruct_submodules=True``.
        children: the statuses of its submodules, by absolute path.
    """
    if parent.error or parent.submodules is None:
        return
    entries = []
    for entry in parent.submodules.entries:
        child = children.get(str(Path(parent.path, *entry.path.split("/"))))
        if (
            child is None
            or child.error
            or not entry.initialised
            or entry.ignore in ("all", "dirty")
        ):
            entries.append(entry)
            continue
        dirty = child.changed > 0
        untracked = child.untracked > 0 and entry.ignore != "untracked"
        if not (dirty or untracked):
            entries.append(entry)
            continue
        listed = entry.commit_changed or entry.modified_content or entry.untracked_content
        if not listed:
            parent.changed += 1
            parent.modified += 1
            code = ".M"
        else:
            gl = next((f for f in parent.files if f.path == entry.path), None)
            code = gl.code if gl else ".M"
            if gl is not None and gl.code[1] == ".":
                parent.modified += 1
                gl.code = gl.code[0] + "M"
        flags = (
            "S"
            + ("C" if entry.commit_changed else ".")
            + ("M" if dirty else ".")
            + ("U" if untracked else ".")
        )
        if not listed and len(parent.files) < MAX_LISTED_FILES:
            parent.files.append(FileEntry(code, entry.path, submodule=flags))
        entries.append(replace(entry, modified_content=dirty, untracked_content=untracked))
    parent.submodules = summarise_submodules(entries)
    _apply_health(parent)


async def read_many(runner: GitRunner, targets: Sequence[StatusTarget]) -> list[RepoStatus]:
    """Read many repos concurrently (bounded by the runner), in input order.

    A master whose initialised submodules are all in ``targets`` is read without git's
    nested submodule status; see :func:`merge_submodule_states`.

    Args:
        runner: runs git.
        targets: the repos.

    Returns:
        One status per target, errors included, in the same order.
    """
    paths = {str(t.path) for t in targets if t.initialised}
    plans: dict[int, bool] = {}
    for index, t in enumerate(targets):
        if t.initialised and t.gitmodules():
            subs = read_gitmodules(t.path)
            plans[index] = all(
                str(Path(t.path, *s.path.split("/"))) in paths for s in subs if s.initialised
            )

    async def one(index: int) -> RepoStatus:
        return await read_status(
            runner, targets[index], reconstruct_submodules=plans.get(index, False)
        )

    results = await runner.map(one, range(len(targets)))
    by_path = {r.path: r for r in results}
    # deepest first, so a nested master is complete before its own parent looks at it
    for index in sorted(
        (i for i, p in plans.items() if p), key=lambda i: -len(targets[i].path.parts)
    ):
        merge_submodule_states(results[index], by_path)
    return results
