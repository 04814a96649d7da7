"""Bulk git and commands over many repos (UI-free; the app's repos view and the CLI share it).

* :mod:`~coditect_tui.core.bulk.model`: :class:`BulkAction`, :class:`BulkTarget`,
  :class:`RepoResult`, :class:`ProgressEvent`, :class:`BulkReport`.
* :mod:`~coditect_tui.core.bulk.plan`: the command line per repo, main-branch pushes
  (:func:`main_branch_pushes`, asked before running), the non-interactive environment.
* :mod:`~coditect_tui.core.bulk.process`: one process with bounded output and a clean cancel.
* :mod:`~coditect_tui.core.bulk.engine`: :class:`BulkRun` (authorize, run in parallel with
  a bound and live events, cancel, one audit event).

Typical use::

    run = BulkRun(BulkAction.fetch(), [BulkTarget.of(v) for v in views], on_event=show)
    report = await run.execute(backend)      # run.cancel() from anywhere stops it
"""

from __future__ import annotations

from coditect_tui.core.bulk.engine import BulkRun, default_jobs
from coditect_tui.core.bulk.model import (
    BulkAction,
    BulkReport,
    BulkTarget,
    ProgressEvent,
    RepoResult,
)
from coditect_tui.core.bulk.plan import MainPush, main_branch_pushes

__all__ = [
    "BulkAction",
    "BulkReport",
    "BulkRun",
    "BulkTarget",
    "MainPush",
    "ProgressEvent",
    "RepoResult",
    "default_jobs",
    "main_branch_pushes",
]
