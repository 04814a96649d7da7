"""One run of a custom command, through the bulk engine (``core/bulk``).

A custom command is a bulk ``run`` action whose argv is filled in per repo
(``BulkAction.argv_for``): the engine authorizes first (``authorize_event`` for
``repos.command``: update for a mutating command, read otherwise), so a read-only
principal's mutating command is refused before any process starts and the refusal is
audited as denied; it then runs each repo without a shell, in parallel with a bound,
with live progress and cancel, and records one ``repos.command`` event with every repo's
outcome and the command's name. A repo whose placeholders have no value (``{branch}`` on
a detached HEAD) is skipped with the reason.

A command that changes nothing, run by a read-only principal, is a read, and it is
recorded all the same: a read-only backend accepts ``record_event`` for ``repos.command``
with action read (``READ_ONLY_RECORDS`` in the contract), an append to the chain that
changes none of the tenant's data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core.bulk import BulkAction, BulkReport, BulkRun, BulkTarget, ProgressEvent
from coditect_tui.core.custom_commands.expand import MissingValue, Target, expand

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.custom_commands.spec import CustomCommand

#: The audit verb of every custom command (the event is ``repos.command``).
LABEL = "command"
EVENT = f"repos.{LABEL}"


def bulk_run(
    command: CustomCommand,
    targets: Sequence[Target],
    *,
    cwd: Path | None = None,
    jobs: int | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
) -> BulkRun:
    """The bulk run of ``command`` over ``targets`` (not started).

    Args:
        command: the validated command.
        targets: one per repo (scope repo or selection), or the one tenant target.
        cwd: where a target without a path runs (tenant scope; default: home).
        jobs: at most this many processes at once (default: the engine's).
        on_event: each repo's progress (queued, running, done).

    Returns:
        A :class:`~coditect_tui.core.bulk.BulkRun`: ``execute(backend)`` runs it,
        ``cancel()`` stops it.
    """
    by_path: dict[str, Target] = {}
    bulk_targets = []
    for target in targets:
        path = target.path or str(cwd or Path.home())
        by_path.setdefault(path, target)
        bulk_targets.append(BulkTarget(path=path, name=target.repo or target.tenant))

    def argv_for(bulk_target: BulkTarget) -> list[str] | str:
        try:
            return expand(command.command, by_path[bulk_target.path])
        except MissingValue as exc:
            return str(exc)

    action = BulkAction(
        "run",
        argv=tuple(command.command),
        mutating=command.mutating,
        label=LABEL,
        argv_for=argv_for,
        title=command.name,
    )
    return BulkRun(
        action,
        bulk_targets,
        jobs=jobs,
        timeout=command.timeout,
        on_event=on_event,
    )


async def run_command(
    command: CustomCommand,
    targets: Sequence[Target],
    *,
    backend: Backend,
    cwd: Path | None = None,
    jobs: int | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
) -> BulkReport:
    """Authorize, run ``command`` once per target, audit the run as one event.

    Returns:
        Every target's result, in order; ``audit_seq`` the event's seq.

    Raises:
        ReadOnly, PermissionDenied: the backend refused; nothing ran.
    """
    run = bulk_run(command, targets, cwd=cwd, jobs=jobs, on_event=on_event)
    return await run.execute(backend)
