"""Two deployments (two databases) on one PostgreSQL cluster are isolated from each other."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from coditect_server.state import check_app_role
from coditect_store.engine import make_postgres_engine
from coditect_tui.core.errors import BackendUnavailable
from tests.pg import (
    HOST,
    PORT,
    PgDatabase,
    create_database,
    drop_database,
    run_sync,
    superuser_dsn,
)
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

_APP_ROLE = (  # whichever role the migration granted the app's access to (no name assumed)
    "SELECT grantee FROM information_schema.role_table_grants "
    "WHERE table_name = 'alembic_version' AND privilege_type = 'SELECT' "
    "AND grantee <> current_user"
)


@pytest.fixture(scope="module")
def deployment2() -> Iterator[PgDatabase]:
    """A second deployment: its own database on the same cluster as ``pg_db``."""
    db = run_sync(lambda: create_database("coditect_test_dep2"))
    try:
        yield db
    finally:
        run_sync(lambda: drop_database(db))


async def _login_of(db: PgDatabase, su: asyncpg.Connection) -> str:
    """A new login role made the way docs/server.md tells an operator, for ``db``."""
    app_role = (await db.fetch(_APP_ROLE))[0][0]
    login = f"coditect_test_login_{uuid.uuid4().hex[:12]}"
    await su.execute(f"CREATE ROLE {login} LOGIN NOSUPERUSER NOBYPASSRLS")
    await su.execute(f"GRANT {app_role} TO {login}")
    return login


async def _refused(conn: asyncpg.Connection, tid: str, statement: str) -> None:
    """``statement`` fails for lack of privilege, even acting in the tenant ``tid``."""
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tid)
            await conn.execute(statement)


def _url(login: str, db: PgDatabase) -> str:
    return f"postgresql://{login}@{HOST}:{PORT}/{db.name}"


async def test_an_app_login_reaches_its_own_deployment_only(
    pg_db: PgDatabase, deployment2: PgDatabase
) -> None:
    victim = await make_tenant(deployment2.app_url, unique("dep2"), {})
    su = await asyncpg.connect(superuser_dsn())
    login1 = await _login_of(pg_db, su)
    try:
        own = await asyncpg.connect(_url(login1, pg_db))
        try:  # its own deployment works
            assert await own.fetchval("SELECT count(*) FROM alembic_version") == 1
        finally:
            await own.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(_url(login1, deployment2))

        # Even where an operator granted CONNECT by mistake, it holds no grant there.
        await su.execute(f'GRANT CONNECT ON DATABASE "{deployment2.name}" TO {login1}')
        other = await asyncpg.connect(_url(login1, deployment2))
        try:
            rows = await deployment2.fetch("SELECT id FROM tenants WHERE name = $1", victim.name)
            tid = rows[0][0]
            for statement in (
                "SELECT count(*) FROM api_keys",
                "SELECT * FROM coditect_api_key('0')",
                "SELECT * FROM coditect_tenant_by_name('x')",
                f"INSERT INTO members VALUES ('{tid}', 'mallory', 'owner', 't')",
                "INSERT INTO tenants VALUES ('x', 'mallory', 'm', 'internal', 't')",
            ):
                await _refused(other, tid, statement)
        finally:
            await other.close()
        # and the server refuses to serve deployment 2 as deployment 1's login
        engine = make_postgres_engine(_url(login1, deployment2), pooled=False)
        try:
            with pytest.raises(BackendUnavailable, match="not a member of"):
                await check_app_role(engine, deployment2.name)
        finally:
            await engine.dispose()
        members = await deployment2.fetch("SELECT name FROM members WHERE tenant_id = $1", tid)
        assert [m[0] for m in members] == ["owner"]
    finally:
        await su.execute(f'REVOKE ALL ON DATABASE "{deployment2.name}" FROM {login1}')
        await su.execute(f"DROP ROLE {login1}")
        await su.close()


async def test_public_has_no_connect_and_roles_differ(
    pg_db: PgDatabase, deployment2: PgDatabase
) -> None:
    roles = {(await db.fetch(_APP_ROLE))[0][0] for db in (pg_db, deployment2)}
    assert len(roles) == 2
    for db in (pg_db, deployment2):
        public = await db.fetch(
            "SELECT a.privilege_type FROM pg_database d, "
            "aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
            "WHERE d.datname = current_database() AND a.grantee = 0"
        )
        assert {p[0] for p in public} & {"CONNECT", "TEMPORARY"} == set()
