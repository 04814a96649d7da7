"""Reads that run on the SQLite driver's own thread, in one visit.

Through SQLAlchemy's asyncio layer every statement on aiosqlite is a round trip to the
connection's worker thread, and its rows go through result processing: for a read made
of several statements (a memory search reads five or six) those round trips cost as much
as the SQL. :func:`read_on_driver` runs one plain function on the worker thread instead,
against its ``sqlite3`` connection, in a read transaction it begins and ends in the same
visit (through SQLAlchemy a transaction is three more visits: begin, commit, and the
pool's reset). The statements it runs are SQL text written for SQLite (as
``prepared.py``'s are for both engines). Only reads run here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
#: Values in one ``IN (...)`` list (well below SQLite's bound-parameter limit).
IN_CHUNK = 500


def reachable(driver: Any) -> bool:
    """Whether ``driver`` (an aiosqlite connection) has the internals
    :func:`read_on_driver` and the engine's BEGIN use: its ``_execute`` (queue a
    function for the worker thread) and ``_connection``."""
    return callable(getattr(driver, "_execute", None)) and isinstance(
        getattr(driver, "_connection", None), sqlite3.Connection
    )


def in_list(count: int) -> str:
    """``(?, ?, …)`` for ``count`` values.

    Raises:
        ValueError: ``count`` is below 1 (``IN ()`` is not SQL).
    """
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join("?" * count) + ")"


def in_transaction(adapter: Any) -> bool:
    """Whether the ``sqlite3`` connection behind ``adapter`` has a transaction open (read
    on the event loop: only while nothing runs on its thread)."""
    return bool(adapter._connection._connection.in_transaction)


async def read_on_driver(adapter: Any, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on the aiosqlite worker thread of ``adapter`` with its ``sqlite3``
    connection, in a read transaction begun and ended in the same visit.

    aiosqlite has no public call for this: its ``_execute`` and ``_connection`` are used
    (here, in :func:`in_transaction` and for the BEGIN in engine.py), as in every release
    pyproject allows (tests/memory/test_search_on_driver.py checks them).

    Args:
        adapter: SQLAlchemy's adapter of a pooled aiosqlite connection, checked out raw
            with no transaction open (``StoreBase._read_tx(sqlite_driver=True)``).
        work: reads only; it runs on another thread, so it must not touch the event loop.

    Returns:
        What ``work`` returns.

    Raises:
        sqlite3.Error: what the statements raise.
        RuntimeError: the driver is not an aiosqlite connection this can reach.
    """
    driver: Any = getattr(adapter, "_connection", None)
    if not reachable(driver):
        raise RuntimeError(f"cannot reach the sqlite3 connection of {type(driver).__name__}")

    def in_a_read(db: sqlite3.Connection) -> T:
        db.execute("BEGIN")
        try:
            return work(db)
        finally:
            # a read: COMMIT and ROLLBACK both end it; the connection goes back clean
            if db.in_transaction:
                db.execute("ROLLBACK")

    result: T = await driver._execute(in_a_read, driver._connection)
    return result
