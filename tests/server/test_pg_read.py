"""The driver-level read path on PostgreSQL (backends/coditect_store/pg_read.py): the
transaction is READ ONLY and confined to the tenant, a failed read leaves nothing on the
pooled connection, and rows answer like SQLAlchemy's."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, select, text

from coditect_store.engine import make_postgres_engine
from coditect_store.pg_read import plan_of, read_transaction
from coditect_store.prepared import prepared
from coditect_store.schema import projects
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import ProjectSpec
from tests.pg import PgDatabase
from tests.server.conftest import open_db, unique

pytestmark = pytest.mark.postgres


async def test_read_transaction_is_read_only_and_leaves_nothing_behind(pg_db: PgDatabase) -> None:
    name = unique("pgread")
    store = await open_db(pg_db.app_url, name, "owner")
    try:
        await store.upsert_project(ProjectSpec(name="alpha"))
        await store.upsert_project(ProjectSpec(name="beta"))
        tenant_id = (await store.get_tenant()).id
    finally:
        await store.close()
    engine = make_postgres_engine(pg_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with read_transaction(engine, tenant_id) as conn:
            rows = (await conn.execute(select(projects.c.name).order_by(projects.c.name))).all()
            assert [r.name for r in rows] == ["alpha", "beta"]
        # a write inside a read transaction is refused by PostgreSQL itself
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            async with read_transaction(engine, tenant_id) as conn:
                await conn.execute(text("DELETE FROM projects"))
        # the one pooled connection came back clean: no transaction, no tenant
        async with engine.connect() as sa_conn:
            raw = (await sa_conn.get_raw_connection()).driver_connection
            assert not raw.is_in_transaction()
            assert await raw.fetchval("SELECT current_setting('app.tenant_id', true)") in (None, "")
            assert await raw.fetchval("SELECT count(*) FROM projects") == 0  # RLS: unset
        async with read_transaction(engine, tenant_id) as conn:
            assert (await conn.execute(select(projects.c.id))).all()  # still usable
    finally:
        await engine.dispose()


async def test_rows_answer_like_sqlalchemy_results(pg_db: PgDatabase) -> None:
    name = unique("pgrows")
    store = await open_db(pg_db.app_url, name, "owner")
    try:
        for n in ("a", "b", "c"):
            await store.upsert_project(ProjectSpec(name=n))
        tenant_id = (await store.get_tenant()).id
    finally:
        await store.close()
    engine = make_postgres_engine(pg_db.app_url, pool_size=1, max_overflow=0)
    by_name = prepared(select(projects).where(projects.c.name == bindparam("n")))
    in_list = (
        select(projects.c.name).where(projects.c.name.in_(["a", "c"])).order_by(projects.c.name)
    )
    try:
        async with read_transaction(engine, tenant_id) as conn:
            row = (await conn.execute(by_name, {"n": "b"})).one()
            assert row.name == row._mapping["name"] == row[2] == "b"
            assert row.created_at.tzinfo is not None  # UTCDateTime parsed as SQLAlchemy does
            assert (await conn.execute(by_name, {"n": "zz"})).first() is None
            assert (await conn.execute(in_list)).scalars().all() == ["a", "c"]
            assert (
                await conn.execute(select(projects.c.name).order_by(projects.c.name))
            ).scalar() == "a"
    finally:
        await engine.dispose()
    with pytest.raises(TypeError, match="in_"):
        plan_of(prepared(in_list), engine.dialect)


async def test_driver_errors_become_typed_errors(pg_db: PgDatabase) -> None:
    store = await open_db(pg_db.app_url, unique("pgerr"), "owner")
    try:
        with pytest.raises(InvalidInput):  # SQLSTATE class 22, raised by PostgreSQL
            async with store._read_tx() as conn:
                await conn.execute(text("SELECT CAST('x' AS integer)"))
        with pytest.raises(InvalidInput):  # out of int4 range, refused by asyncpg itself
            async with store._read_tx() as conn:
                await conn.execute(select(bindparam("n", type_=Integer)), {"n": 2**40})
        assert (await store.list_projects()).items == []  # and the store still works
    finally:
        await store.close()
