"""Migration 0001's group roles survive a concurrent creation of the same role."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from coditect_store.migrations.postgres import create_role_sql
from tests.pg import superuser_dsn

pytestmark = pytest.mark.postgres


async def _create(conn: asyncpg.Connection, sql: str, created: asyncio.Event) -> None:
    async with conn.transaction():
        await conn.execute(sql)
        created.set()
        # hold the uncommitted role a moment: the other connections' existence checks
        # miss it and their inserts wait on the catalog's unique index, then fail with
        # unique_violation once this commits (unless the statement tolerates it)
        await asyncio.sleep(0.3)


async def test_concurrent_role_creation_is_tolerated() -> None:
    name = f"coditect_test_role_{uuid.uuid4().hex[:12]}"
    sql = create_role_sql(name)
    conns = [await asyncpg.connect(superuser_dsn()) for _ in range(6)]
    try:
        created = asyncio.Event()
        results = await asyncio.gather(
            *(_create(conn, sql, created) for conn in conns), return_exceptions=True
        )
        assert [r for r in results if isinstance(r, BaseException)] == []
        exists = await conns[0].fetchval("SELECT count(*) FROM pg_roles WHERE rolname = $1", name)
        assert exists == 1
    finally:
        await conns[0].execute(f"DROP ROLE IF EXISTS {name}")
        for conn in conns:
            await conn.close()


async def test_an_existing_login_role_is_not_taken_over() -> None:
    name = f"coditect_test_role_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f"CREATE ROLE {name} LOGIN")
        with pytest.raises(asyncpg.RaiseError, match=f"role {name} exists and is not a NOLOGIN"):
            await conn.execute(create_role_sql(name))
    finally:
        await conn.execute(f"DROP ROLE IF EXISTS {name}")
        await conn.close()
