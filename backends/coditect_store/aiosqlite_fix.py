"""Two guards for aiosqlite under SQLAlchemy's async pool: a close that keeps the write
lock, and a shutdown hang of aiosqlite 0.22.1.

**A closed connection that keeps its lock.** When a task is cancelled inside a write
transaction while a statement is still pending (a SELECT whose rows were not all fetched),
SQLAlchemy closes the connection without a ROLLBACK. ``sqlite3.Connection.close()`` on a
connection with an unfinalized statement leaves a "zombie" (``sqlite3_close_v2``): the
transaction, and with it the database's write lock, lives on until the statement is
garbage collected, which can be never while a traceback refers to it. Every other writer
then waits for the busy timeout and fails with "database is locked". Seen when a pane's
worker was cancelled by its next reload in the middle of recording an audit event; the
fix: every close and every forced stop rolls back any open transaction first, on the
connection's own worker thread, queued just before the close.

A close also waits for the worker thread to end, so nothing outlives its owner.

**The shutdown hang.**

When a task is cancelled in the middle of a query, SQLAlchemy terminates the connection:
a shielded graceful ``close()`` and, when that is cancelled too, a forced ``stop()`` that
ends aiosqlite's worker thread. ``close()`` then calls ``stop()`` a second time in its
``finally`` and awaits the future of a request queued behind the thread's exit: nothing
ever resolves it, and ``asyncio.run``'s shutdown waits for that task for ever. The same
happens whenever a ``close()`` ends after a ``stop()``, cancelled or not. Seen as
``coditect`` hanging on exit about one start in ten when it quit while the store was
opening; tests/store/test_aiosqlite_fix.py reproduces it deterministically. Reported for
another program as wapiti-scanner/wapiti#802 (related: omnilib/aiosqlite#369, #370).

The fix: a connection whose worker was already told to stop queues no second stop; the
caller gets the first stop's future, which the worker resolves as it ends. Applied to the
versions known to need it (0.22.1 up to 0.23); the test asserts the behaviour, so a later
release that still hangs fails it and can be added here.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiosqlite

_INSTALLED_ATTR = "_coditect_stop_once"
_ROLLBACK_ATTR = "_coditect_rollback_on_close"
_FIRST_STOP_ATTR = "_coditect_first_stop"
#: aiosqlite versions with ``Connection.stop()`` and the double-stop hang: [low, high).
AFFECTED = ((0, 22, 1), (0, 23, 0))


def applies() -> bool:
    """Whether the installed aiosqlite is one this guard is for."""
    try:
        installed = tuple(int(part) for part in version("aiosqlite").split(".")[:3])
    except (PackageNotFoundError, ValueError):
        return False
    low, high = AFFECTED
    return low <= installed < high and hasattr(aiosqlite.Connection, "stop")


def _rollback_quietly(connection: sqlite3.Connection) -> None:
    """Roll back ``connection``'s open transaction, if any (runs on its worker thread)."""
    with contextlib.suppress(sqlite3.Error):
        if connection.in_transaction:
            connection.rollback()


def _queue_rollback(conn: Any) -> None:
    """Queue a rollback of ``conn``'s transaction ahead of whatever is queued next."""
    raw = getattr(conn, "_connection", None)
    if raw is not None and getattr(conn, "_running", False):
        conn._tx.put_nowait((None, lambda: _rollback_quietly(raw)))


def _join_worker(conn: Any) -> None:
    """Wait for ``conn``'s worker thread to end after a completed close.

    The worker resolves the close's future just before it leaves its loop, so without
    this the thread can still be alive when the caller goes on (a command that counts
    its threads on exit saw it now and then). The wait is the worker's last few
    bytecodes; the timeout only guards against a worker that never got the stop.
    """
    thread = getattr(conn, "_thread", None)
    if (
        isinstance(thread, threading.Thread)
        and thread.ident is not None
        and thread is not threading.current_thread()
    ):
        thread.join(timeout=1.0)


def install() -> None:
    """Roll back before every close and stop, and (on versions in ``AFFECTED``) make
    ``aiosqlite.Connection.stop`` idempotent. Once per process; safe to repeat."""
    connection_class: Any = aiosqlite.Connection
    if not getattr(connection_class, _ROLLBACK_ATTR, False):
        original_close = connection_class.close

        async def close_rolled_back(self: Any) -> None:
            _queue_rollback(self)
            await original_close(self)
            _join_worker(self)

        connection_class.close = close_rolled_back
        setattr(connection_class, _ROLLBACK_ATTR, True)
        _install_stop(connection_class)


def _install_stop(connection_class: Any) -> None:
    """Make ``stop()`` roll back first; on versions in ``AFFECTED``, also idempotent."""
    if getattr(connection_class, _INSTALLED_ATTR, False) or not hasattr(connection_class, "stop"):
        return
    original_stop = connection_class.stop
    once = applies()

    def stop_once(self: Any) -> asyncio.Future[Any] | None:
        _queue_rollback(self)
        if once and not getattr(self, "_running", True):
            # already stopping: the worker may be gone, so a new request would never run
            first: asyncio.Future[Any] | None = getattr(self, _FIRST_STOP_ATTR, None)
            return first
        result: asyncio.Future[Any] | None = original_stop(self)
        setattr(self, _FIRST_STOP_ATTR, result)
        return result

    connection_class.stop = stop_once
    setattr(connection_class, _INSTALLED_ATTR, True)
