"""A PostgreSQL deployment of the first release (schema 0001) upgraded to 0002: its own
roles hold the grants, PUBLIC cannot connect, the shared 0001 roles hold nothing here, and
the audit head cannot be rewritten by the app role."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from coditect_server.state import check_app_role
from coditect_store import migrate
from coditect_store.engine import make_postgres_engine
from coditect_tui.core.audit_chain import GENESIS_HASH, canonical_event, link_hash
from coditect_tui.core.errors import BackendUnavailable
from tests.pg import APP_LOGIN, HOST, PORT, PgDatabase, cluster_lock, drop_database, superuser_dsn
from tests.server.conftest import assert_head_rewrites_refused, open_db

pytestmark = pytest.mark.postgres

TS = "2026-11-30T12:00:00.000000Z"


async def _migrate_to(db: PgDatabase, revision: str) -> None:
    def run(conn: object) -> None:
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

    engine = make_postgres_engine(db.owner_url, pooled=False)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run)
            await conn.commit()
    finally:
        await engine.dispose()


async def _old_tenant(db: PgDatabase) -> tuple[str, str, int, str]:
    """A tenant with an owner and a two-event chain, written as the 0001 app wrote them."""
    tid, name = str(uuid.uuid4()), f"old-{uuid.uuid4().hex[:8]}"
    prev = GENESIS_HASH
    conn = await asyncpg.connect(db.owner_url)
    try:
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO tenants VALUES ($1, $2, $2, 'internal', $3)", tid, name, TS
            )
            await conn.execute("INSERT INTO members VALUES ($1, 'owner', 'owner', $2)", tid, TS)
            for seq, action in ((1, "tenant.create"), (2, "member.add")):
                event = (tid, seq, TS, "owner", "owner", action, "tenant", tid, "ok", "{}", "")
                digest = link_hash(prev, canonical_event(*event))
                await conn.execute(
                    "INSERT INTO audit_events (tenant_id, seq, ts, actor, role, action, "
                    "resource_type, resource_id, outcome, details, source, prev_hash, hash) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    *event,
                    prev,
                    digest,
                )
                prev = digest
            await conn.execute("INSERT INTO audit_heads VALUES ($1, 2, $2)", tid, prev)
    finally:
        await conn.close()
    return tid, name, 2, prev


@pytest.fixture
async def old_db() -> AsyncIterator[PgDatabase]:
    """A database migrated by the first release's 0001 only (nothing of 0002)."""
    db = PgDatabase(f"coditect_test_old_{uuid.uuid4().hex[:12]}")
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{db.name}"')
    finally:
        await conn.close()
    try:
        async with cluster_lock():  # 0001 creates (or reuses) the shared roles
            await _migrate_to(db, "0001")
        yield db
    finally:
        await drop_database(db)


async def test_a_0001_deployment_is_upgraded(old_db: PgDatabase) -> None:
    db = old_db
    tid, name, seq, digest = await _old_tenant(db)
    shared = ("coditect_app", "coditect_lookup")  # as the first release named them
    # before: the shared roles hold this database's grants (what 0001 did)
    assert (await db.fetch("SELECT has_table_privilege($1, 'projects', 'INSERT')", shared[0]))[0][0]

    async with cluster_lock() as su:  # the upgrade creates roles; the operator's grant
        assert await migrate.upgrade_postgres(db.owner_url) == "0001"
        roles = migrate.deployment_roles(db.name)
        exists = await su.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_LOGIN)
        if not exists:
            await su.execute(f"CREATE ROLE {APP_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS")
        await su.execute(f"GRANT {roles.app} TO {APP_LOGIN}")
    assert (await db.fetch("SELECT version_num FROM alembic_version"))[0][0] == migrate.HEAD

    # this database's own roles hold what the shared ones had
    row = (
        await db.fetch(
            "SELECT has_table_privilege($1, 'projects', 'INSERT'), "
            "has_table_privilege($1, 'audit_heads', 'UPDATE'), "
            "has_table_privilege($1, 'audit_events', 'UPDATE'), "
            "has_function_privilege($1, 'coditect_api_key(text)', 'EXECUTE'), "
            "has_database_privilege($1, current_database(), 'CONNECT'), "
            "has_table_privilege($2, 'api_keys', 'SELECT')",
            roles.app,
            roles.lookup,
        )
    )[0]
    assert tuple(row) == (True, True, False, True, True, True)
    owners = {
        r[0]
        for r in await db.fetch(
            "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname LIKE 'coditect_%' "
            "AND prosecdef"
        )
    }
    assert owners == {roles.lookup}
    policy_roles = {
        tuple(r[0])
        for r in await db.fetch("SELECT roles FROM pg_policies WHERE policyname = 'lookup_read'")
    }
    assert policy_roles == {(roles.lookup,)}

    # PUBLIC cannot connect (nor create temporary tables)
    public = await db.fetch(
        "SELECT a.privilege_type FROM pg_database d, "
        "aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a "
        "WHERE d.datname = current_database() AND a.grantee = 0"
    )
    assert [r[0] for r in public] == []

    # the shared roles still exist (other deployments) but hold nothing in this database
    assert {
        r[0]
        for r in await db.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", list(shared)
        )
    } == set(shared)
    held = await db.fetch(
        "SELECT d.classid::regclass::text, d.deptype FROM pg_shdepend d "
        "JOIN pg_roles r ON r.oid = d.refobjid WHERE r.rolname = ANY($1) "
        "AND d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        list(shared),
    )
    assert [tuple(r) for r in held] == []
    row = (
        await db.fetch(
            "SELECT has_table_privilege($1, 'alembic_version', 'SELECT'), "
            "has_function_privilege($1, 'coditect_api_key(text)', 'EXECUTE'), "
            "EXISTS (SELECT FROM pg_namespace n, aclexplode(n.nspacl) a "  # (PUBLIC's aside)
            "        WHERE n.nspname = current_schema() AND a.grantee = $1::regrole), "
            "has_database_privilege($1, current_database(), 'CONNECT')",
            shared[0],
        )
    )[0]
    assert tuple(row) == (False, False, False, False)

    # the app role cannot rewrite the head; the login passes the server's start-up check
    await assert_head_rewrites_refused(db.app_url, tid)
    assert tuple((await db.fetch("SELECT seq, hash FROM audit_heads"))[0]) == (seq, digest)
    engine = make_postgres_engine(db.app_url, pooled=False)
    try:
        await check_app_role(engine, db.name)
    finally:
        await engine.dispose()

    # a login left in the shared role (the operator has not granted the new one yet) is
    # refused at connection, and told the GRANT to run
    stale = f"coditect_test_login_{uuid.uuid4().hex[:12]}"
    async with cluster_lock() as su:
        await su.execute(f"CREATE ROLE {stale} LOGIN NOSUPERUSER NOBYPASSRLS")
        await su.execute(f"GRANT {shared[0]} TO {stale}")
    try:
        with pytest.raises(BackendUnavailable, match=f"GRANT {roles.app} TO {stale} "):
            await open_db(f"postgresql://{stale}@{HOST}:{PORT}/{db.name}", name, "owner")
    finally:
        async with cluster_lock() as su:
            await su.execute(f"DROP ROLE {stale}")

    # the old data verifies, and honest appends move the head on
    store = await open_db(db.app_url, name, "owner")
    try:
        assert (await store.verify_audit()).ok
        await store.add_member("newcomer", "viewer")
        report = await store.verify_audit()
        assert (report.ok, report.rows) == (True, seq + 1)
    finally:
        await store.close()


_UPGRADE = (
    "import asyncio, sys\n"
    "from coditect_store import migrate\n"
    "print(asyncio.run(migrate.upgrade_postgres(sys.argv[1])))\n"
)


async def test_concurrent_upgrades_run_one_after_the_other(old_db: PgDatabase) -> None:
    # two replicas started with --migrate-url at the same time (two processes)
    async with cluster_lock():
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _UPGRADE,
                old_db.owner_url,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for _ in range(2)
        ]
        outputs = [(await proc.communicate())[0].decode().strip() for proc in procs]
    assert sorted(outputs) == ["0001", migrate.HEAD]
    assert (await old_db.fetch("SELECT version_num FROM alembic_version"))[0][0] == migrate.HEAD
