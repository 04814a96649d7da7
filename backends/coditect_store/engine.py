"""Engine set-up for the SQLite store: pragmas, BEGIN IMMEDIATE, the read-only authorizer.

SQLite's default deferred transactions upgrade from a read lock to a write lock midway,
which makes a read-then-write transaction fail or lose updates under concurrency. Every
write transaction therefore starts with ``BEGIN IMMEDIATE`` (the execution option
``coditect_write``), and the driver's own implicit transactions are switched off.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from coditect_store import aiosqlite_fix
from coditect_store.driver_sqlite import reachable
from coditect_store.schema import AUDIT_TABLES
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.paths import create_private_file, make_private_dir, tighten

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
BUSY_TIMEOUT_MS = 30_000

_WRITE_ACTIONS = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_DDL_ACTIONS = {
    code
    for name, code in vars(sqlite3).items()
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_", "SQLITE_ALTER_"))
} | {sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH}


def read_only_authorizer(
    action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None
) -> int:
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

    The file is probed through SQLite itself, never with plain file I/O: on POSIX, closing
    any descriptor of a file drops every lock the process holds on it, so a plain read
    while this process has the store open would silently take the locks of its live
    connections (SQLite's "How To Corrupt An SQLite Database File", section 2.2). SQLite's
    own connections share one lock table per file and keep a closed descriptor open while
    other connections hold locks. The probe reads the header and the schema only; it never
    writes and never creates the file.

    Args:
        path: the database file, which may not exist yet.

    Raises:
        BackendUnavailable: the file is unreadable or not SQLite.
    """
    if not path.exists():
        return
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackendUnavailable(f"{path}: cannot read: {exc}") from None
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
            raise BackendUnavailable(
                f"{path}: not a SQLite database; the file was not changed"
            ) from None
        raise BackendUnavailable(f"{path}: cannot read: {exc}") from None
    finally:
        probe.close()


#: The files SQLite keeps next to a database (WAL mode and rollback journal).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def prepare_sqlite_file(path: Path, *, create: bool) -> None:
    """Make the database file private before SQLite opens it.

    SQLite creates a new database with mode 0644 minus the umask, and its -wal, -shm and
    -journal files with the database file's own mode; so the file is created empty and
    0600 first (SQLite takes an empty file as a new database) in a folder made 0700 if
    it has to be created, and the side files follow. A file that exists is never opened
    here, only tightened: when the user owns it, group and other lose their access to
    it and to its side files (see docs/security.md, "Private files").

    Args:
        path: the database file.
        create: create it (and its folder) when missing; False for read-only handles.

    Raises:
        BackendUnavailable: the folder or the file cannot be created.
    """
    for name in (path.name, *(path.name + side for side in SQLITE_SIDE_FILES)):
        tighten(path.with_name(name))
    if not create:
        return
    try:
        make_private_dir(path.parent)
        create_private_file(path)
    except OSError as exc:
        where = path if os.path.isdir(path.parent) else path.parent
        raise BackendUnavailable(f"{where}: cannot create: {exc.strerror}") from None


def make_sqlite_engine(path: Path, *, read_only: bool) -> AsyncEngine:
    """An async engine on ``path`` with WAL, busy timeout, foreign keys and BEGIN control.

    Args:
        path: the database file.
        read_only: install the read-only authorizer on every connection.
    """
    aiosqlite_fix.install()
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
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        adapter = conn.connection.dbapi_connection
        if not reachable(getattr(adapter, "_connection", None)):
            conn.exec_driver_sql(begin)
            return
        # one visit of aiosqlite's thread (a statement through SQLAlchemy takes three:
        # open a cursor, execute, close it); errors wrapped as SQLAlchemy wraps them
        try:
            adapter.run_async(lambda driver: driver._execute(driver._connection.execute, begin))
        except sqlite3.Error as exc:
            raise OperationalError(begin, (), exc) from exc

    return engine


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://`` or ``+asyncpg``)."""
    return url.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://"))


def asyncpg_url(url: str) -> str:
    """``url`` with the asyncpg driver named (``postgresql+asyncpg://...``)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise BackendUnavailable(f"not a PostgreSQL URL: {redact_url(url)}")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    shown = f"{user}:***" if ":" in credentials else user
    return f"{scheme}://{shown}@{host}"


def make_postgres_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, pooled: bool = True
) -> AsyncEngine:
    """An async engine on PostgreSQL through asyncpg.

    The tenant is never set on the connection, only on a transaction: a transaction of a
    connection whose execution options carry ``coditect_tenant`` starts with
    ``BEGIN; SELECT set_config('app.tenant_id', <tenant>, true)`` (``is_local = true``:
    it ends with the transaction, so a pooled connection carries nothing into the next
    request); with ``coditect_read_only`` it is ``BEGIN READ ONLY``; with ``coditect_write``
    it adds the tenant's advisory transaction lock, which
    serialises the tenant's writes and audit appends (as BEGIN IMMEDIATE does on SQLite).
    Sent as one simple query, that is one round trip instead of three. asyncpg itself is
    put in autocommit mode so that only these BEGIN/COMMIT/ROLLBACK are ever sent;
    ``coditect_autocommit`` runs a connection's statements without any transaction.

    Args:
        url: ``postgresql://`` or ``postgresql+asyncpg://`` URL of the app role.
        pool_size: connections kept open.
        max_overflow: extra connections allowed under load.
        pooled: False for a throw-away engine (one connection per checkout).

    Raises:
        ConfigError: asyncpg is not installed (it comes with the ``server`` extra).
    """
    from sqlalchemy.pool import NullPool
    from sqlalchemy.util import await_only

    from coditect_tui.core.extras import POSTGRES_MODULES, require_extra

    require_extra("a PostgreSQL database", POSTGRES_MODULES)

    options: dict[str, Any] = (
        {"pool_size": pool_size, "max_overflow": max_overflow, "pool_pre_ping": False}
        if pooled
        else {"poolclass": NullPool}
    )
    # Transactions end in the COMMIT/ROLLBACK events below (SQLAlchemy rolls back any
    # transaction still open when a connection is closed), so the pool's own reset, a
    # no-op in autocommit mode, is skipped.
    engine = create_async_engine(
        asyncpg_url(url), isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **options
    )

    def raw(conn: Any) -> Any:
        return conn.connection.driver_connection

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        opts = conn.get_execution_options()
        if opts.get("coditect_autocommit"):
            return
        statement = "BEGIN READ ONLY" if opts.get("coditect_read_only") else "BEGIN"
        tenant = opts.get("coditect_tenant")
        if tenant is not None:
            literal = pg_literal(tenant)
            statement += f"; SELECT set_config('app.tenant_id', {literal}, true)"
            if opts.get("coditect_write"):
                statement += (
                    f"; SELECT pg_advisory_xact_lock(hashtext('coditect-tenant:' || {literal}))"
                )
        await_only(raw(conn).execute(statement))

    @event.listens_for(engine.sync_engine, "commit")
    def _on_commit(conn: Any) -> None:
        if not conn.get_execution_options().get("coditect_autocommit"):
            await_only(raw(conn).execute("COMMIT"))

    @event.listens_for(engine.sync_engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        if conn.get_execution_options().get("coditect_autocommit"):
            return
        try:
            await_only(raw(conn).execute("ROLLBACK"))
        except Exception:  # a broken connection: the pool discards it on its next error
            return

    return engine


def pg_literal(value: str) -> str:
    """``value`` as a PostgreSQL string literal (ids only: letters, digits, ``-`` and ``_``).

    Raises:
        ValueError: anything else (ids are made by the store; nothing else is inlined).
    """
    if _ID.fullmatch(value) is None:
        raise ValueError(f"not a tenant id: {value!r}")
    return f"'{value}'"
