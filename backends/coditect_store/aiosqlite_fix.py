"""A guard against a shutdown hang of aiosqlite 0.22.1 under SQLAlchemy's async pool.

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
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiosqlite

_INSTALLED_ATTR = "_coditect_stop_once"
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


def install() -> None:
    """Make ``aiosqlite.Connection.stop`` idempotent (once per process; safe to repeat;
    nothing happens on versions outside ``AFFECTED``)."""
    connection_class: Any = aiosqlite.Connection
    if getattr(connection_class, _INSTALLED_ATTR, False) or not applies():
        return
    original_stop = connection_class.stop

    def stop_once(self: Any) -> asyncio.Future[Any] | None:
        if not getattr(self, "_running", True):
            # already stopping: the worker may be gone, so a new request would never run
            first: asyncio.Future[Any] | None = getattr(self, _FIRST_STOP_ATTR, None)
            return first
        result: asyncio.Future[Any] | None = original_stop(self)
        setattr(self, _FIRST_STOP_ATTR, result)
        return result

    connection_class.stop = stop_once
    setattr(connection_class, _INSTALLED_ATTR, True)
