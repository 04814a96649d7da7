"""Which targets a custom command runs for, from the repos a caller chose.

The caller (the app's tree, the CLI's arguments) chooses repos; this module turns them
into :class:`~coditect_tui.core.custom_commands.expand.Target` values by the command's
scope: one repo, each of a selection, or the tenant once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core.custom_commands.expand import Target
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.bulk import BulkTarget
    from coditect_tui.core.custom_commands.spec import CustomCommand
    from coditect_tui.core.git.status.model import RepoStatus


def target_of(status: RepoStatus, tenant: str) -> Target:
    """The placeholders' values for one repo (``{branch}`` None when detached)."""
    return Target(
        tenant=tenant,
        repo=status.name,
        path=status.path,
        branch=None if status.detached else status.branch,
    )


def current_branch(worktree: str) -> str | None:
    """The branch HEAD names, read from the files (no git process); None when HEAD is
    detached or cannot be read."""
    from coditect_tui.core.git import layout

    git_dir = layout.git_dir_of(Path(worktree))
    head = layout.read_symref(git_dir, "HEAD") if git_dir is not None else None
    if head and head.startswith("refs/heads/"):
        return head[len("refs/heads/") :]
    return None


def target_of_bulk(target: BulkTarget, tenant: str) -> Target:
    """The placeholders' values for a repo the bulk selection chose."""
    return Target(
        tenant=tenant, repo=target.name, path=target.path, branch=current_branch(target.path)
    )


def targets_for(command: CustomCommand, chosen: Sequence[Target], tenant: str) -> list[Target]:
    """The targets of one run of ``command`` over the ``chosen`` repos.

    Args:
        command: the command (its scope decides).
        chosen: the repos chosen (scope repo: exactly one; selection: at least one;
            tenant: none).
        tenant: the open tenant's name.

    Raises:
        InvalidInput: the number of repos does not fit the scope (one line).
    """
    if command.scope == "tenant":
        if chosen:
            raise InvalidInput(
                f"{command.name!r} runs once for the tenant; it takes no repos "
                f"({plural(len(chosen), 'repo')} given)"
            )
        return [Target(tenant=tenant)]
    if not chosen:
        raise InvalidInput(f"{command.name!r} needs a repo: none chosen")
    if command.scope == "repo" and len(chosen) > 1:
        raise InvalidInput(
            f"{command.name!r} runs in one repo (scope repo); {plural(len(chosen), 'repo')} given"
        )
    return list(chosen)
