"""The stored audit head on PostgreSQL: the app role cannot rewrite it, and verify checks it."""

from __future__ import annotations

import asyncpg
import pytest

from tests.pg import PgDatabase
from tests.server.conftest import (
    HEAD_REWRITES,
    assert_head_rewrites_refused,
    make_tenant,
    open_db,
    unique,
)

pytestmark = pytest.mark.postgres


async def _head(db: PgDatabase, tid: str) -> tuple[int, str]:
    row = (await db.fetch("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1", tid))[0]
    return row[0], row[1]


async def test_app_role_cannot_rewrite_the_head(pg_db: PgDatabase) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("head"), {"ed": "editor"})
    tid = (await pg_db.fetch("SELECT id FROM tenants WHERE name = $1", tenant.name))[0][0]
    seq, digest = await _head(pg_db, tid)
    earlier = (
        await pg_db.fetch("SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = 1", tid)
    )[0][0]
    backwards = ("UPDATE audit_heads SET seq = 1, hash = $1", (earlier,))
    await assert_head_rewrites_refused(pg_db.app_url, tid, (*HEAD_REWRITES, backwards))
    assert await _head(pg_db, tid) == (seq, digest)
    # honest appends still move it forward
    store = await open_db(pg_db.app_url, tenant.name, "owner")
    try:
        await store.add_member("newcomer", "viewer")
        assert (await _head(pg_db, tid))[0] > seq
        assert (await store.verify_audit()).ok
    finally:
        await store.close()


async def test_verify_reports_a_tampered_head(pg_db: PgDatabase) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("headv"), {})
    tid = (await pg_db.fetch("SELECT id FROM tenants WHERE name = $1", tenant.name))[0][0]
    seq, _digest = await _head(pg_db, tid)
    owner = await asyncpg.connect(pg_db.owner_url)
    try:  # only a superuser past the triggers can do this
        async with owner.transaction():
            await owner.execute("SET LOCAL session_replication_role = replica")
            await owner.execute(
                "UPDATE audit_heads SET hash = $1 WHERE tenant_id = $2", "f" * 64, tid
            )
    finally:
        await owner.close()
    store = await open_db(pg_db.app_url, tenant.name, "owner")
    try:
        report = await store.verify_audit()
    finally:
        await store.close()
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "head", seq)
