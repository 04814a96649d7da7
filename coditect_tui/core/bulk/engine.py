"""Run one bulk action over many repos: bounded parallelism, live progress, cancel, audit.

Order of a run (:meth:`BulkRun.execute`):

1. the backend is asked first (``authorize_event(repos, update|read, "repos.<verb>")``):
   a read-only backend, an auditor or a role without ``repos.update`` is refused there,
   before any process starts, and the backend audits the refusal;
2. every repo is reported ``queued``; at most ``jobs`` run at once, each ``running``
   when its process starts and ``done`` with its :class:`RepoResult`;
3. exactly one audit event ``repos.<verb>`` is recorded afterwards, listing each repo's
   outcome (also after a cancel, and with outcome ``error`` when any repo failed).

Cancel (:meth:`BulkRun.cancel`, thread-safe, or cancelling the task running
``execute``): repos not started are skipped "cancelled", running processes get SIGTERM
then SIGKILL (see :mod:`coditect_tui.core.bulk.process`); ``execute`` returns once every
process is reaped and its worker threads have stopped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from coditect_tui.core.bulk.model import (
    DEFAULT_OUTPUT_LIMIT,
    MAX_REASON,
    BulkAction,
    BulkReport,
    BulkTarget,
    ProgressEvent,
    RepoResult,
)
from coditect_tui.core.bulk.plan import Skip, prepare
from coditect_tui.core.bulk.process import CancelSignal, ProcessOutcome, run_bounded
from coditect_tui.core.errors import CoditectError, InvalidInput
from coditect_tui.core.git.runner import NETWORK_TIMEOUT

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend

#: Default timeout of a local operation (switch, run), in seconds.
LOCAL_TIMEOUT = 600.0


def default_jobs(network: bool = False) -> int:
    """Processes at once by default.

    Args:
        network: the operation talks to a remote (fetch, pull, push, submodule update):
            16 per CPU, at least 16, at most 64 (such a process mostly waits on the
            remote's answers); otherwise 4 per CPU, at least 8, at most 32.

    Returns:
        The bound.
    """
    cpus = os.cpu_count() or 2
    if network:
        return min(64, max(16, 16 * cpus))
    return min(32, max(8, 4 * cpus))


def reason_of(output: bytes, returncode: int | None) -> str:
    """The one line that explains a failure: git's ``fatal:`` line, else a rejected ref
    (``! [rejected] ...``), else an ``error:`` line, else the last line, else the status.

    Args:
        output: what the process wrote.
        returncode: its exit status.

    Returns:
        One line of raw text (at most ``MAX_REASON`` characters).
    """
    lines = [ln.strip() for ln in output.decode("utf-8", "replace").splitlines() if ln.strip()]
    for prefix in ("fatal:", "! [", "error:"):
        hit = next((ln for ln in lines if ln.startswith(prefix)), None)
        if hit is not None:
            return hit[:MAX_REASON]
    if lines:
        return lines[-1][:MAX_REASON]
    return f"exit status {returncode}"


def _result(target: BulkTarget, done: ProcessOutcome) -> RepoResult:
    """A finished process's result: ok on exit 0, else failed with the telling line."""
    text = done.output.decode("utf-8", "replace")
    if done.start_error is not None:
        outcome, reason = "failed", f"cannot start: {done.start_error}"
    elif done.cancelled:
        outcome, reason = "failed", "cancelled while running"
    elif done.timed_out:
        outcome, reason = "failed", "timed out"
    elif done.returncode == 0:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        outcome, reason = "ok", (lines[-1] if lines else "done")[:MAX_REASON]
    else:
        outcome, reason = "failed", reason_of(done.output, done.returncode)
    return RepoResult(
        target.path,
        target.name,
        outcome,  # type: ignore[arg-type]
        reason,
        output=text,
        returncode=done.returncode,
        seconds=done.seconds,
        truncated=done.truncated,
    )


class BulkRun:
    """One bulk action over a list of repos (use once).

    Args:
        action: what to run.
        targets: the repos, in the order results are reported (duplicates dropped).
        jobs: most processes at once (default :func:`default_jobs` for the action).
        timeout: per-repo seconds (default: 300 for network operations, 600 otherwise).
        output_limit: bytes of each repo's output kept (the end).
        confirmed_main: paths whose main-branch push was confirmed (typed by the user;
            see :func:`~coditect_tui.core.bulk.plan.main_branch_pushes`); other
            main-branch pushes are skipped.
        on_event: called with each :class:`ProgressEvent`, in the event loop's thread.
        grace: seconds between SIGTERM and SIGKILL on cancel or timeout.
        record: False for a read-only principal's run of a command that changes nothing:
            the backend refuses every write of such a handle, the audit event included
            (its reads are audited when its role audits reads).

    Raises:
        InvalidInput: ``jobs`` or ``timeout`` below 1 / not positive.
    """

    def __init__(
        self,
        action: BulkAction,
        targets: Sequence[BulkTarget],
        *,
        jobs: int | None = None,
        timeout: float | None = None,
        output_limit: int = DEFAULT_OUTPUT_LIMIT,
        confirmed_main: frozenset[str] = frozenset(),
        on_event: Callable[[ProgressEvent], None] | None = None,
        grace: float = 2.0,
        record: bool = True,
    ) -> None:
        if jobs is not None and jobs < 1:
            raise InvalidInput("--jobs must be at least 1")
        if timeout is not None and timeout <= 0:
            raise InvalidInput("--timeout must be positive")
        self.action = action
        seen: dict[str, BulkTarget] = {}
        for t in targets:
            seen.setdefault(t.path, t)
        self.targets = list(seen.values())
        self.jobs = jobs or default_jobs(action.network)
        self.timeout = timeout or (NETWORK_TIMEOUT if action.network else LOCAL_TIMEOUT)
        self.output_limit = output_limit
        self.confirmed_main = confirmed_main
        self.on_event = on_event
        self.grace = grace
        self.record = record
        self._cancel = CancelSignal()
        self._used = False
        self._interrupted = False
        self._authorized = False
        self._callback_error: Exception | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the run was cancelled."""
        return self._cancel.cancelled

    def cancel(self) -> None:
        """Stop: queued repos are skipped, running processes terminated (thread-safe)."""
        self._cancel.cancel()

    def _emit(self, target: BulkTarget, phase: str, result: RepoResult | None = None) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(ProgressEvent(target, phase, result))  # type: ignore[arg-type]
        except Exception as exc:  # the run goes on and is audited; raised at the end
            if self._callback_error is None:
                self._callback_error = exc

    async def authorize(self, backend: Backend) -> None:
        """Ask the backend now (before a confirmation dialog or prompt, say); ``execute``
        then does not ask again.

        Args:
            backend: the tenant's backend (it decides, and audits a refusal).

        Raises:
            ReadOnly: a read-only backend or role and a mutating action.
            PermissionDenied: the role or tier may not do it.
        """
        from coditect_tui.core.models import Resource

        await backend.authorize_event(
            Resource.REPOS, self.action.permission, self.action.event_name
        )
        self._authorized = True

    async def execute(self, backend: Backend) -> BulkReport:
        """Authorize, run every repo, record the one audit event.

        Args:
            backend: the tenant's backend (it decides and audits).

        Returns:
            The report (``audit_error`` set when the event could not be recorded).

        Raises:
            ReadOnly: a read-only backend or role and a mutating action (nothing ran).
            PermissionDenied: the role or tier may not do it (nothing ran).
            InvalidInput: the run was already used.
            Exception: what ``on_event`` raised, once the run is over and audited.
        """
        if self._used:
            raise InvalidInput("a bulk run can only be executed once")
        self._used = True
        from coditect_tui.core.models import Resource

        try:
            if not self._authorized:
                await self.authorize(backend)
            self._cancel.open()
            report = await self._run_all()
            report.cancelled = self.cancelled
            failed = report.failed
            if self.record:
                try:
                    report.audit_seq = await backend.record_event(
                        Resource.REPOS,
                        self.action.permission,
                        self.action.event_name,
                        None,
                        outcome="error" if failed else "ok",
                        details=report.audit_details(),
                    )
                except CoditectError as exc:
                    report.audit_error = str(exc)
            if self._interrupted:
                raise asyncio.CancelledError
            if self._callback_error is not None:
                raise self._callback_error
            return report
        finally:
            self._cancel.close()

    async def _run_all(self) -> BulkReport:
        report = BulkReport(self.action)
        for target in self.targets:
            self._emit(target, "queued")
        if not self.targets:
            return report
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(
            max_workers=min(self.jobs, len(self.targets)), thread_name_prefix="coditect-bulk"
        )
        gate = asyncio.Semaphore(self.jobs)

        async def one(target: BulkTarget) -> RepoResult:
            async with gate:
                if self.cancelled:
                    result = RepoResult(target.path, target.name, "skipped", "cancelled")
                    self._emit(target, "done", result)
                    return result
                try:
                    plan = await loop.run_in_executor(  # file reads: off the event loop
                        pool,
                        lambda: prepare(self.action, target, confirmed_main=self.confirmed_main),
                    )
                except OSError as exc:
                    plan = Skip(f"cannot read the repo: {exc.strerror or exc}")
                if isinstance(plan, Skip):
                    result = RepoResult(target.path, target.name, "skipped", plan.reason)
                    self._emit(target, "done", result)
                    return result
                self._emit(target, "running")
                done = await loop.run_in_executor(
                    pool,
                    lambda: run_bounded(
                        plan.argv,
                        cwd=target.path,
                        env=plan.env,
                        timeout=self.timeout,
                        limit=self.output_limit,
                        cancel=self._cancel,
                        grace=self.grace,
                    ),
                )
                if done.returncode is None and done.cancelled and not done.start_error:
                    result = RepoResult(target.path, target.name, "skipped", "cancelled")
                else:
                    result = _result(target, done)
                self._emit(target, "done", result)
                return result

        tasks = [asyncio.ensure_future(one(t)) for t in self.targets]
        try:
            await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
        except asyncio.CancelledError:
            # the caller's task was cancelled: stop the processes and let every worker
            # finish (nothing left running); execute() audits, then re-raises
            self.cancel()
            self._interrupted = True
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            pool.shutdown(wait=True)
        for task in tasks:
            exc = task.exception()
            if exc is not None:
                raise exc
            report.results.append(task.result())
        return report
