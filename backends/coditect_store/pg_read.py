"""Read transactions on PostgreSQL, and the hot reads that run on the driver.

A read operation runs in a SQLAlchemy transaction that the engine begins with ``BEGIN READ
ONLY`` and the tenant's ``set_config(..., true)`` as one simple query
(``engine.make_postgres_engine``, option ``coditect_read_only``): READ ONLY is a third wall
behind the store's ``ReadOnly`` and the grants, and the tenant lives only as long as the
transaction. Core statements run through SQLAlchemy as anywhere else and answer with its
own ``Result``.

Why the driver: through SQLAlchemy's async engine a one-query read pays for greenlet hops,
an execution context and a CursorResult, several times the driver's own cost, and reads
are the tenant API's hot path (bench/bench_api.py, docs/benchmarks.md). So the hot reads
(pages of projects and repos) are ``Prepared`` statements that own their SQL and run as
written on the transaction's asyncpg connection (``AsyncConnection.get_raw_connection()``),
inside the same READ ONLY transaction; their rows are asyncpg ``Record`` objects (by
position and by column name). No SQLAlchemy compiler is involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

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
