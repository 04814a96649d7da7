"""Read transactions on PostgreSQL, and the hot reads that run on the driver.

A read operation runs in a SQLAlchemy transaction that the engine begins with ``BEGIN READ
ONLY`` and the tenant's ``set_config(..., true)`` as one simple query
(``engine.make_postgres_engine``, option ``coditect_read_only``): READ ONLY is a third wall
behind the store's ``ReadOnly`` and the grants, and the tenant lives only as long as the
transaction. Core statements run through SQLAlchemy as anywhere else and answer with its
own ``Result``.

Why the driver: through SQLAlchemy's async engine a one-query read pays for greenlet hops,
a transaction object, an execution context and a CursorResult, several times the driver's
own cost, and reads are the tenant API's hot path (bench/bench_api.py,
docs/benchmarks.md). So the hot reads (pages and lookups of projects and repos) are
``Prepared`` statements that own their SQL, and their operations pass ``prepared_only``:
``driver_read_transaction`` then begins and ends the READ ONLY transaction on the pooled
connection's asyncpg handle (``AsyncEngine.raw_connection()``) and the SQL runs
as written; rows are asyncpg ``Record`` objects (by position and by column name). A
prepared statement inside a SQLAlchemy transaction runs on the driver too (``fetch``).
No SQLAlchemy compiler is involved either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from coditect_store.engine import pg_literal
from coditect_store.prepared import Prepared

#: What the driver raises for a statement PostgreSQL refused (e.g. a malformed tsquery).
STATEMENT_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError,)


async def fetch(
    conn: AsyncConnection, stmt: Prepared, params: Mapping[str, Any]
) -> Sequence[asyncpg.Record]:
    """The rows of ``stmt`` in ``conn``'s transaction (begun: the engine sends BEGIN on
    ``begin()``), run on its asyncpg connection.

    Raises:
        asyncpg.PostgresError, asyncpg.InterfaceError, ValueError, OSError: as the driver
            raises them (the store's read transaction maps them to typed errors).
    """
    driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
    records: list[asyncpg.Record] = await driver.fetch(stmt.sql, *stmt.args(params))
    return records


@asynccontextmanager
async def driver_read_transaction(
    engine: AsyncEngine, tenant_id: str
) -> AsyncIterator[asyncpg.Connection]:
    """A ``READ ONLY`` transaction of ``tenant_id`` begun and ended on the driver, for reads
    made of prepared statements only (``StoreBase._op(prepared_only=True)``).

    The pooled connection is checked out raw (``AsyncEngine.raw_connection()``): the
    engine runs asyncpg in autocommit mode and SQLAlchemy begins nothing here. The
    transaction is ``BEGIN READ ONLY; SELECT set_config(...)`` as one simple query, then
    ``COMMIT``, all on the driver. A connection whose transaction could not be ended
    cleanly is invalidated, never returned to the pool.

    Yields:
        The asyncpg connection.

    Raises:
        asyncpg.PostgresError, asyncpg.InterfaceError, OSError: from the driver.
    """
    fairy = await engine.raw_connection()
    driver: asyncpg.Connection = fairy.driver_connection
    clean = False
    try:
        await driver.execute(
            f"BEGIN READ ONLY; SELECT set_config('app.tenant_id', {pg_literal(tenant_id)}, true)"
        )
        yield driver
        await driver.execute("COMMIT")
        clean = True
    finally:
        if not clean:
            try:
                if not driver.is_closed():
                    await driver.execute("ROLLBACK")
                    clean = True
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass
            if not clean:
                with contextlib.suppress(Exception):
                    await greenlet_spawn(fairy.invalidate)
        # the pool may close the connection on check-in (overflow): I/O through SQLAlchemy
        await greenlet_spawn(fairy.close)
