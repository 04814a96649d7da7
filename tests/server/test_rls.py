"""Row-level security as the catalog and the app role see it (PostgreSQL)."""

from __future__ import annotations

import asyncpg
import pytest

from tests.pg import PgDatabase
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres


async def test_every_tenant_table_forces_rls(pg_db: PgDatabase) -> None:
    rows = await pg_db.fetch("""
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND EXISTS (
            SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
            AND a.attname = 'tenant_id' AND NOT a.attisdropped)""")
    assert len(rows) >= 12, [r[0] for r in rows]
    assert [r[0] for r in rows if not (r[1] and r[2])] == []
    tenants = await pg_db.fetch(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tenants'"
    )
    assert tuple(tenants[0]) == (True, True)
    policies = await pg_db.fetch(
        "SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = 'tenant_isolation'"
    )
    assert len(policies) == len(rows) + 1
    for _table, qual, check in policies:
        assert "current_setting('app.tenant_id'::text, true)" in qual
        assert qual == check


async def test_app_role_is_neither_owner_nor_bypassrls(pg_db: PgDatabase) -> None:
    conn = await asyncpg.connect(pg_db.app_url)
    try:
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert tuple(role) == (False, False)
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND pg_has_role(current_user, tableowner, 'USAGE')"
        )
        assert owned == 0
    finally:
        await conn.close()


async def test_unset_tenant_sees_nothing_and_cannot_write(pg_db: PgDatabase) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("rls"), {})
    conn = await asyncpg.connect(pg_db.app_url)
    try:
        for table in ("tenants", "members", "api_keys", "audit_events", "audit_heads"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO projects VALUES ('x', 'nope', 'p', NULL, "
                "'standalone', '', 'me', 't', 't')"
            )
        ids = await pg_db.fetch("SELECT id FROM tenants WHERE name = $1", tenant.name)
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", ids[0][0])
            assert await conn.fetchval("SELECT count(*) FROM members") == 1
        # the setting lived for that transaction only (a pooled connection keeps nothing)
        assert await conn.fetchval("SELECT count(*) FROM members") == 0
    finally:
        await conn.close()


async def test_audit_log_is_append_only(pg_db: PgDatabase) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("append"), {})
    tid = (await pg_db.fetch("SELECT id FROM tenants WHERE name = $1", tenant.name))[0][0]
    conn = await asyncpg.connect(pg_db.app_url)
    try:
        for statement in (
            "UPDATE audit_events SET actor = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DELETE FROM audit_heads",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tid)
                    await conn.execute(statement)
    finally:
        await conn.close()
    owner = await asyncpg.connect(pg_db.owner_url)
    try:  # not even the owner edits the chain: the triggers refuse
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("UPDATE audit_events SET actor = 'x'")
    finally:
        await owner.close()
