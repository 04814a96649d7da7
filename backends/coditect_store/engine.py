"""Engine set-up for the SQLite store: pragmas, BEGIN IMMEDIATE, the read-only authorizer.

SQLite's default deferred transactions upgrade from a read lock to a write lock midway,
which makes a read-then-write transaction fail or lose updates under concurrency. Every
write transaction therefore starts with ``BEGIN IMMEDIATE`` (the execution option
``coditect_write``), and the driver's own implicit transactions are switched off.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from coditect_store.schema import AUDIT_TABLES
from coditect_tui.core.errors import BackendUnavailable

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000

_WRITE_ACTIONS = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_DDL_ACTIONS = {
    code for name, code in vars(sqlite3).items()
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_", "SQLITE_ALTER_"))
} | {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def read_only_authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None,
                         source: str | None) -> int:
    """SQLite authorizer of a read-only handle: writes only to the audit tables, no DDL.

    The store already refuses mutating calls with ReadOnly before any SQL runs; this is
    the second wall, at the lowest level, should any code path forget.
    """
    if action in _DDL_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action in _WRITE_ACTIONS and arg1 not in AUDIT_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists but is not a SQLite database, before touching it.

    Raises:
        BackendUnavailable: the file is unreadable or not SQLite.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise BackendUnavailable(f"{path}: cannot read: {exc.strerror}") from None
    if header and header != SQLITE_MAGIC:
        raise BackendUnavailable(f"{path}: not a SQLite database; the file was not changed")


def make_sqlite_engine(path: Path, *, read_only: bool) -> AsyncEngine:
    """An async engine on ``path`` with WAL, busy timeout, foreign keys and BEGIN control.

    Args:
        path: the database file.
        read_only: install the read-only authorizer on every connection.
    """
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
        if read_only:
            async def install(conn: Any) -> None:
                await conn.set_authorizer(read_only_authorizer)

            dbapi_connection.run_async(install)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("coditect_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
