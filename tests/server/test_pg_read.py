"""The read path on PostgreSQL (backends/coditect_store/pg_read.py): every read runs in a
READ ONLY transaction confined to the tenant, through SQLAlchemy's own Result or, for the
prepared hot reads, on the driver with SQL of their own; a failed read leaves nothing on
the pooled connection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Integer, bindparam, select, text
from sqlalchemy.engine import Result

import coditect_store
from coditect_store.engine import make_postgres_engine
from coditect_store.pg_read import fetch
from coditect_store.prepared import prepared
from coditect_store.schema import projects
from coditect_store.store import SqlStore
from coditect_tui.core.errors import InvalidInput, ReadOnly
from coditect_tui.core.models import Action, ProjectSpec, Resource
from tests.pg import PgDatabase
from tests.server.conftest import open_db, unique

pytestmark = pytest.mark.postgres

_READ_STATE = prepared(
    "SELECT current_setting('transaction_read_only') AS ro, "
    "current_setting('app.tenant_id', true) AS tenant, $1::text AS echo",
    "echo",
)


async def _bound(pg_db: PgDatabase, name: str, projects_: tuple[str, ...]) -> SqlStore:
    """A store handle of tenant ``name`` on a one-connection pool (the server's way)."""
    store = await open_db(pg_db.app_url, name, "owner")
    try:
        for project in projects_:
            await store.upsert_project(ProjectSpec(name=project))
        tenant = await store.get_tenant()
    finally:
        await store.close()
    engine = make_postgres_engine(pg_db.app_url, pool_size=1, max_overflow=0)
    bound: SqlStore = SqlStore.bind(engine, tenant=tenant, principal="owner", role="owner")
    return bound


async def test_every_read_is_read_only_in_its_tenant(pg_db: PgDatabase) -> None:
    store = await _bound(pg_db, unique("pgread"), ("alpha", "beta"))
    engine = store._engine
    assert engine is not None
    try:
        tid = (await store.get_tenant()).id
        async with store._op(Resource.PROJECTS, Action.READ, method="list_projects") as op:
            (row,) = await op.rows(_READ_STATE, echo="x")  # on the driver
            assert (row["ro"], row["tenant"], row[2]) == ("on", tid, "x")
            result = await op.conn.execute(
                select(projects.c.name).order_by(projects.c.name)
            )  # through SQLAlchemy, in the same transaction
            assert isinstance(result, Result)
            assert result.scalars().all() == ["alpha", "beta"]
            assert (await op.conn.execute(text("SHOW transaction_read_only"))).scalar() == "on"
        # the hot reads: prepared statements only, the transaction begun on the driver
        async with store._op(
            Resource.PROJECTS, Action.READ, method="list_projects", prepared_only=True
        ) as op:
            (row,) = await op.rows(_READ_STATE, echo="y")
            assert (row["ro"], row["tenant"], row["echo"]) == ("on", tid, "y")
        with pytest.raises(ReadOnly):
            async with store._op(
                Resource.PROJECTS, Action.READ, method="list_projects", prepared_only=True
            ) as op:
                await op.rows(prepared("DELETE FROM projects WHERE id = $1", "id"), id="x")
        page = await store.list_projects(limit=1)  # the hot path: a prepared page
        assert [p.name for p in page.items] == ["alpha"] and page.next_cursor
        page = await store.list_projects(cursor=page.next_cursor)
        assert [p.name for p in page.items] == ["beta"] and page.items[0].created_at.tzinfo
        # a write inside a read transaction is refused by PostgreSQL itself, either way in
        for write in (
            lambda conn: conn.execute(text("DELETE FROM projects")),
            lambda conn: fetch(
                conn, prepared("DELETE FROM projects WHERE id = $1", "id"), {"id": "x"}
            ),
        ):
            with pytest.raises(ReadOnly):
                async with store._read_tx() as (conn, _driver):
                    await write(conn)
        # the one pooled connection came back clean: no transaction, no tenant
        async with engine.connect() as sa_conn:
            raw = (await sa_conn.get_raw_connection()).driver_connection
            assert not raw.is_in_transaction()
            assert await raw.fetchval("SELECT current_setting('app.tenant_id', true)") in (None, "")
            assert await raw.fetchval("SELECT count(*) FROM projects") == 0  # RLS: unset
        assert len((await store.list_projects()).items) == 2  # still usable
    finally:
        await engine.dispose()


async def test_driver_errors_become_typed_errors(pg_db: PgDatabase) -> None:
    store = await open_db(pg_db.app_url, unique("pgerr"), "owner")
    try:
        with pytest.raises(InvalidInput):  # SQLSTATE class 22, raised by PostgreSQL
            async with store._read_tx() as (conn, _driver):
                await conn.execute(text("SELECT CAST('x' AS integer)"))
        with pytest.raises(InvalidInput):  # out of int4 range, refused by asyncpg itself
            async with store._read_tx() as (conn, _driver):
                await conn.execute(select(bindparam("n", type_=Integer)), {"n": 2**40})
        with pytest.raises(InvalidInput):  # the same on the driver
            async with store._read_tx() as (conn, _driver):
                await fetch(conn, prepared("SELECT $1::int4", "n"), {"n": 2**40})
        assert (await store.list_projects()).items == []  # and the store still works
    finally:
        await store.close()


def test_prepared_parameters_match_their_names() -> None:
    stmt = prepared("SELECT 1 FROM projects WHERE tenant_id = $1 AND id = $2", "tid", "id")
    assert stmt.sqlite_sql.endswith("tenant_id = ?1 AND id = ?2")
    assert stmt.args({"id": "b", "tid": "a"}) == ("a", "b")
    with pytest.raises(ValueError, match="do not match"):
        prepared("SELECT $1, $3", "a", "b")


def test_no_sqlalchemy_compiler_internals_in_the_store() -> None:
    internals = re.compile(r"construct_expanded_state|positiontup|bind_processor|post_compile")
    root = Path(coditect_store.__file__).parent
    used = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if internals.search(line)
    ]
    assert used == []
