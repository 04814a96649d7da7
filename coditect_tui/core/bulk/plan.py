"""What runs in one repo: the command line and environment, or why the repo is skipped.

Everything here reads files only (HEAD, config, refs: no git process), so it is cheap
and nothing a repo contains can run code. Git operations are write paths
(:func:`~coditect_tui.core.git.runner.git_argv` with ``write=True``): the repo's own hooks,
credential helpers and ssh command apply, as when the user runs git by hand, while the
base hardening stays (no pager, no fsmonitor, no bare repo adopted by accident, the
caller's ``GIT_DIR``-style variables removed). They are never interactive:
``GIT_TERMINAL_PROMPT=0``, ``GIT_ASKPASS`` set empty (so neither it, ``core.askPass`` nor
``SSH_ASKPASS`` is used), ``SSH_ASKPASS_REQUIRE=never``, and no controlling terminal (see
:mod:`coditect_tui.core.bulk.process`): a credential prompt fails at once instead of
hanging.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coditect_tui.core.bulk.model import BulkAction, BulkTarget
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.git import gitconfig, layout
from coditect_tui.core.git.runner import check_branch_name, git_argv, git_env

#: Environment variables that could make a write path ask someone something.
_PROMPTING_ENV = ("SSH_ASKPASS", "DISPLAY_ASKPASS")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A repo ready to run: its command line and environment."""

    argv: list[str]
    env: dict[str, str]


@dataclass(frozen=True, slots=True)
class Skip:
    """A repo that is not run, and why (one line)."""

    reason: str


@dataclass(frozen=True, slots=True)
class MainPush:
    """A push that would update a repo's main branch (it needs a typed confirmation).

    Attributes:
        target: the repo.
        branch: its current branch, which is its main branch.
        remote: the remote it would be pushed to.
    """

    target: BulkTarget
    branch: str
    remote: str


def write_env(repo: Path) -> dict[str, str]:
    """The environment of a bulk write path in ``repo`` (never prompts; see above)."""
    env = git_env(repo)
    for name in _PROMPTING_ENV:
        env.pop(name, None)
    env["GIT_ASKPASS"] = ""  # set but empty: git then skips core.askPass and SSH_ASKPASS
    env["SSH_ASKPASS_REQUIRE"] = "never"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _current_branch(git_dir: Path) -> str | None:
    head = layout.read_symref(git_dir, "HEAD")
    if head and head.startswith("refs/heads/"):
        return head[len("refs/heads/") :]
    return None


def push_remote(git_dir: Path, branch: str) -> str:
    """Where ``git push`` would send ``branch``: ``branch.<b>.pushRemote``,
    ``remote.pushDefault``, ``branch.<b>.remote``, else ``origin`` (as git decides).

    Args:
        git_dir: the repo's git directory.
        branch: the branch.

    Returns:
        The remote's name (``origin`` when the config cannot be read).
    """
    found: dict[str, str] = {}
    for path in layout.config_files_of(git_dir):
        try:
            entries = gitconfig.read_config(path)
        except (OSError, gitconfig.ConfigSyntaxError):
            continue
        for e in entries:
            if e.value is None:
                continue
            if (
                e.section == "branch"
                and e.subsection == branch
                and e.key in ("pushremote", "remote")
            ):
                found[e.key] = e.value
            elif e.section == "remote" and e.subsection is None and e.key == "pushdefault":
                found["pushdefault"] = e.value
    for key in ("pushremote", "pushdefault", "remote"):
        value = found.get(key, "")
        if value and value != "." and not value.startswith("-"):
            return value
    return "origin"


def _push_plan(target: BulkTarget, git_dir: Path) -> tuple[str, str, str] | Skip:
    """(branch, remote, main branch) of a push, or why it is skipped."""
    from coditect_tui.core.git.status.main_branch import branch_exists, resolve_main_branch

    branch = _current_branch(git_dir)
    if branch is None:
        return Skip("detached HEAD: no branch to push")
    try:
        check_branch_name(branch)
    except InvalidInput:
        return Skip("the current branch has a name git would refuse")
    if not branch_exists(layout.common_dir_of(git_dir), branch):
        return Skip(f"branch {branch} has no commits yet")
    main = resolve_main_branch(Path(target.path), git_dir).name
    return branch, push_remote(git_dir, branch), main


def main_branch_pushes(targets: Iterable[BulkTarget]) -> list[MainPush]:
    """The repos a push would update the main branch of: ask for their typed
    confirmation before running, and pass the confirmed paths as ``confirmed_main``.

    Args:
        targets: the repos about to be pushed.

    Returns:
        One entry per repo whose current branch is its main branch
        (:func:`~coditect_tui.core.git.status.main_branch.resolve_main_branch`).
    """
    out = []
    for target in targets:
        git_dir = layout.git_dir_of(Path(target.path))
        if git_dir is None:
            continue
        plan = _push_plan(target, git_dir)
        if isinstance(plan, tuple) and plan[0] == plan[2]:
            out.append(MainPush(target, plan[0], plan[1]))
    return out


def prepare(
    action: BulkAction, target: BulkTarget, *, confirmed_main: frozenset[str] = frozenset()
) -> Prepared | Skip:
    """The command line for ``action`` in ``target``, or why the repo is skipped.

    Args:
        action: the operation.
        target: the repo.
        confirmed_main: paths whose main-branch push was confirmed.

    Returns:
        What to run, or a :class:`Skip` (not a git working tree, detached HEAD for a
        push, an unconfirmed main-branch push...).
    """
    repo = Path(target.path)
    if not os.path.isdir(repo):
        return Skip("the folder no longer exists")
    if action.kind == "run":
        argv = action.argv if action.argv_for is None else action.argv_for(target)
        return Skip(argv) if isinstance(argv, str) else Prepared(list(argv), write_env(repo))
    git_dir = layout.git_dir_of(repo)
    if git_dir is None:
        return Skip("not a git working tree")
    if action.kind == "fetch":
        args = ["fetch"]
    elif action.kind == "pull":
        args = ["pull", "--ff-only"]
    elif action.kind == "switch":
        assert action.branch is not None  # checked by BulkAction
        args = ["switch", "--no-guess", "--end-of-options", action.branch]
    elif action.kind == "submodule_update":
        args = ["submodule", "update", "--init"]
    else:
        plan = _push_plan(target, git_dir)
        if isinstance(plan, Skip):
            return plan
        branch, remote, main = plan
        if branch == main and target.path not in confirmed_main:
            return Skip(f"pushing the main branch {branch} needs a typed confirmation")
        ref = f"refs/heads/{branch}"
        args = ["push", "--", remote, f"{ref}:{ref}"]
    return Prepared(git_argv(repo, args, write=True, git_dir=git_dir), write_env(repo))
