"""Reading repos: one hardened ``git status`` per repo, submodule states merged in."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from coditect_tui.core.git import layout, objects
from coditect_tui.core.git.health import check_symlinks, score
from coditect_tui.core.git.objects import CommitInfo
from coditect_tui.core.git.runner import DIFF_SAFETY, GitError, GitRunner, neutralising_config
from coditect_tui.core.git.status.main_branch import resolve_main_branch
from coditect_tui.core.git.status.model import RepoStatus, StatusTarget
from coditect_tui.core.git.status.porcelain import (
    MAX_LISTED_FILES,
    STATUS_ARGS,
    FileEntry,
    parse_porcelain_v2,
)
from coditect_tui.core.git.status.submodules import read_gitmodules, summarise_submodules


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
    main = resolve_main_branch(repo, git_dir)
    status.main_branch, status.main_branch_source = main.name, main.describe()
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
    folders = parent.submodules.folders
    parent.submodules = replace(summarise_submodules(entries), folders=folders)
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
