"""Reads that run on the SQLite driver's own thread, in one visit.

Through SQLAlchemy's asyncio layer every statement on aiosqlite is a round trip to the
connection's worker thread, and its rows go through result processing: a memory search
reads five things (the tenant's shared contents, the ranked candidates, the count, the
page's entries and their bodies), and those round trips cost about as much as the SQL.
:func:`on_driver` runs one plain function on the worker thread instead, against the
``sqlite3`` connection of the transaction the caller holds; :class:`Compiled` turns a
SQLAlchemy statement into SQL text and positional values once per shape, so the
statements keep their single definition (and the filters theirs) in the store's code.

Only reads run here: nothing here writes, and the caller's transaction (begun by
SQLAlchemy) is the one they read in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


class Compiled:
    """A statement compiled once for SQLite, run with new values each time.

    Args:
        stmt: a SQLAlchemy Core statement; its bound parameters keep their values unless
            a call overrides them by name (``q``, the match text, always is).
        dialect: the connection's dialect (``conn.dialect``).
    """

    __slots__ = ("_compiled", "_dialect", "_processors")

    def __init__(self, stmt: Any, dialect: Any) -> None:
        self._compiled = stmt.compile(dialect=dialect)
        self._dialect = dialect
        self._processors: dict[str, Callable[[Any], Any] | None] = {}

    def sql(self, **values: Any) -> tuple[str, tuple[Any, ...]]:
        """The SQL text and its positional values, with ``values`` overriding by name.

        Lists in ``IN`` are expanded as SQLAlchemy does; every value goes through its
        column type's bind processing (e.g. a datetime becomes the stored text).
        """
        state = self._compiled.construct_expanded_state(values)
        expanded_from = {
            name: base for base, names in state.parameter_expansion.items() for name in names
        }
        args = []
        for name, value in zip(state.positiontup or (), state.positional_parameters, strict=True):
            base = expanded_from.get(name, name)
            if base not in self._processors:
                bind = self._compiled.binds.get(base)
                self._processors[base] = (
                    bind.type.bind_processor(self._dialect) if bind is not None else None
                )
            process = self._processors[base]
            args.append(process(value) if process is not None and value is not None else value)
        return state.statement, tuple(args)


def in_list(count: int) -> str:
    """``(?, ?, …)`` for ``count`` values.

    Raises:
        ValueError: ``count`` is below 1 (``IN ()`` is not SQL).
    """
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return "(" + ", ".join("?" * count) + ")"


def all_rows(db: sqlite3.Connection, sql: str, args: Sequence[Any] = ()) -> list[Any]:
    """Every row of one statement, as tuples."""
    return db.execute(sql, tuple(args)).fetchall()


def mapped_rows(db: sqlite3.Connection, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Every row of one statement, each a dict by column name."""
    cursor = db.execute(sql, tuple(args))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


async def on_driver(conn: AsyncConnection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` on ``conn``'s aiosqlite worker thread with its ``sqlite3`` connection,
    inside the transaction ``conn`` holds.

    aiosqlite has no public call for this: its ``_execute`` (queue a function for the
    worker thread) and ``_connection`` are used, as in every release the project allows
    (pyproject bounds the version; tests/store/test_driver_sqlite.py checks it).

    Args:
        conn: a connection of a SQLite engine (aiosqlite), checked out and in a
            transaction for as long as this runs.
        work: reads only; it runs on another thread, so it must not touch the event loop.

    Returns:
        What ``work`` returns.

    Raises:
        sqlite3.Error: what the statements raise.
        RuntimeError: the driver is not an aiosqlite connection this can reach.
    """
    raw = await conn.get_raw_connection()
    driver = getattr(raw, "driver_connection", None)
    execute = getattr(driver, "_execute", None)
    db = getattr(driver, "_connection", None)
    if execute is None or not isinstance(db, sqlite3.Connection):
        raise RuntimeError(f"cannot reach the sqlite3 connection of {type(driver).__name__}")
    result: T = await execute(work, db)
    return result
