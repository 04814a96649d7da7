"""Authenticated API requests per tenant and UTC day: counted in memory, flushed in batches.

The request path only adds one to an in-memory count (no database write): every
``interval`` seconds, and once more when the process stops, the counts are added to
``api_calls`` (tenant, day) with one upsert per tenant. Each worker process (of each
replica) adds only its own increments, so any number of workers count correctly. A
process that stops gracefully loses nothing; one that dies (kill -9, a crash) loses at
most the requests of one interval. A flush the database refuses keeps its counts for the
next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from coditect_tui.core.errors import BackendError, ConfigError
from coditect_tui.core.models import ApiCalls, ApiCallsDay, Usage

if TYPE_CHECKING:
    from coditect_server.state import ServerState

log = logging.getLogger("coditect.server")

#: Seconds between flushes, unless the server's config says otherwise.
FLUSH_INTERVAL = 15.0
#: ``coditect serve``'s workers read the interval from here (unset: FLUSH_INTERVAL).
FLUSH_ENV = "CODITECT_SERVE_API_CALLS_FLUSH"
_MAX_INTERVAL = 3600.0


def interval_from_env(environ: Mapping[str, str] | None = None) -> float:
    """The flush interval ``$CODITECT_SERVE_API_CALLS_FLUSH`` sets (seconds).

    Raises:
        ConfigError: not a number of seconds above 0 and at most an hour.
    """
    value = (os.environ if environ is None else environ).get(FLUSH_ENV, "").strip()
    if not value:
        return FLUSH_INTERVAL
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= _MAX_INTERVAL:  # also refuses nan
        raise ConfigError(f"{FLUSH_ENV}: {value!r} is not a number of seconds in (0, 3600]")
    return seconds


_UPSERT = text(
    "INSERT INTO api_calls (tenant_id, day, calls) VALUES (:tid, :day, :n) "
    "ON CONFLICT (tenant_id, day) DO UPDATE SET calls = api_calls.calls + excluded.calls"
)


class ApiCallCounter:
    """One process's count of authenticated API requests, per tenant and UTC day.

    Args:
        state: the server (its database and clock: the day is the clock's UTC day).
        interval: seconds between flushes (0: only :meth:`flush` and :meth:`stop` flush).
    """

    def __init__(self, state: ServerState, *, interval: float = FLUSH_INTERVAL) -> None:
        self._state = state
        self.interval = interval
        self._pending: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def count(self, tenant_id: str) -> None:
        """One authenticated request of ``tenant_id`` (now, by the server's clock)."""
        key = (tenant_id, self._state.now().astimezone(UTC).date().isoformat())
        self._pending[key] = self._pending.get(key, 0) + 1

    def pending(self, tenant_id: str) -> dict[str, int]:
        """This process's unflushed counts of ``tenant_id``, by day (``YYYY-MM-DD``)."""
        return {day: n for (tid, day), n in self._pending.items() if tid == tenant_id}

    async def usage(self, read: Callable[[], Awaitable[Usage]], tenant_id: str) -> Usage:
        """``read()`` (the usage with the flushed counts) plus this process's unflushed
        counts, never while this process's flush is writing: each request is counted
        once (another process's unflushed requests join at its next flush)."""
        async with self._lock:
            return self.with_pending(await read(), tenant_id)

    def with_pending(self, usage: Usage, tenant_id: str) -> Usage:
        """``usage`` with this process's unflushed requests added to its days."""
        if usage.api_calls is None:
            return usage
        mine = self.pending(tenant_id)
        if not mine:
            return usage
        days = [
            ApiCallsDay(day=d.day, calls=d.calls + mine.get(d.day.isoformat(), 0))
            for d in usage.api_calls.days
        ]
        calls = ApiCalls(days=days, per_minute_limit=usage.api_calls.per_minute_limit)
        return usage.model_copy(update={"api_calls": calls})

    async def flush(self) -> None:
        """Add the counts so far to the database. Never raises: counts the database
        refused are kept for the next flush (those of a tenant that no longer exists are
        dropped)."""
        from coditect_server.guards import tenant_tx

        async with self._lock:
            batch, self._pending = self._pending, {}
            by_tenant: dict[str, list[tuple[str, int]]] = {}
            for (tid, day), n in batch.items():
                by_tenant.setdefault(tid, []).append((day, n))
            try:
                for tid, rows in list(by_tenant.items()):
                    try:
                        async with tenant_tx(self._state, tid) as conn:
                            await conn.execute(
                                _UPSERT, [{"tid": tid, "day": d, "n": n} for d, n in rows]
                            )
                    except IntegrityError:
                        log.warning("api calls of unknown tenant %s dropped", tid)
                    except BackendError as exc:
                        log.warning("api calls not flushed (kept for the next flush): %s", exc)
                        continue
                    del by_tenant[tid]
            finally:  # what was not written (a refusal, a cancellation) waits for the next
                for tid, rows in by_tenant.items():
                    for day, n in rows:
                        key = (tid, day)
                        self._pending[key] = self._pending.get(key, 0) + n

    def start(self) -> None:
        """Start flushing every ``interval`` seconds (in the running event loop)."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="coditect-api-calls")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:  # kept for the next flush; the loop must go on
                log.exception("api calls flush failed")

    async def stop(self) -> None:
        """Stop the periodic flush and flush what is left."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()
