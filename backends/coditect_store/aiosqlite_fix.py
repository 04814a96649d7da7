"""A guard against a shutdown hang of aiosqlite 0.22 under SQLAlchemy's async pool.

When a task is cancelled in the middle of a query, SQLAlchemy terminates the connection:
a shielded graceful ``close()`` and, when that is cancelled too, a forced ``stop()`` that
ends aiosqlite's worker thread. ``close()`` then calls ``stop()`` a second time in its
``finally`` and awaits the future of a request queued behind the thread's exit: nothing
ever resolves it, and ``asyncio.run``'s shutdown waits for that task for ever. Seen as
``coditect`` hanging on exit about one start in ten when it quit while the store was
opening (tests/store/test_aiosqlite_fix.py reproduces it deterministically); reported
upstream for other programs as omnilib/aiosqlite#369 and wapiti-scanner/wapiti#802.

The fix: a connection whose worker was already told to stop does not queue a second
stop (there is nothing left to stop), so no one waits on a request that cannot run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

_INSTALLED_ATTR = "_coditect_stop_once"


def install() -> None:
    """Make ``aiosqlite.Connection.stop`` idempotent (once per process; safe to repeat)."""
    connection_class: Any = aiosqlite.Connection
    if getattr(connection_class, _INSTALLED_ATTR, False) or not hasattr(connection_class,
                                                                          "stop"):
        return
    original_stop = connection_class.stop

    def stop_once(self: Any) -> asyncio.Future[Any] | None:
        if not getattr(self, "_running", True):
            return None  # already stopping: the worker may be gone
        result: asyncio.Future[Any] | None = original_stop(self)
        return result

    connection_class.stop = stop_once
    setattr(connection_class, _INSTALLED_ATTR, True)
