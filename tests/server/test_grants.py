"""Time-limited grants on the server: on a real uvicorn over PostgreSQL the keys of an
expired membership stop working (401 problem+json naming the membership), an owner extends
the grant through ``PATCH /members/{name}`` and they work again, a non-admin is refused
(403); a live stream ends when the subscriber's grant does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from coditect_server.events import stream
from coditect_server.state import ServerConfig, ServerState
from coditect_store.store import SqlStore
from coditect_tui.core.models import format_ts, utcnow
from tests.contract.harness import FakeClock
from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant, open_db, unique


async def test_live_stream_ends_with_the_grant(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    owner = await open_db(str(db), "acme", "olivia")
    end = utcnow() + timedelta(hours=1)
    try:
        await owner.add_member("alma", "auditor", expires_at=end)
        tenant = await owner.get_tenant()
    finally:
        await owner.close()
    clock = FakeClock(end - timedelta(seconds=1))
    state = ServerState(ServerConfig(db=str(db)), clock=clock)
    await state.start()
    try:
        store = SqlStore.bind(
            state.db,
            tenant=tenant,
            principal="alma",
            role="auditor",
            grant_expires_at=end,
            clock=state.now,
        )
        frames = [f async for f in stream(state, store, 0, max_events=1)]
        assert frames[0] == b"retry: 2000\n\n" and b"event: audit" in frames[1]
        clock.advance(timedelta(seconds=1))  # the grant ends: the stream stops at once
        assert [f async for f in stream(state, store, 0)] == [b"retry: 2000\n\n"]
    finally:
        await state.stop()


@pytest.mark.postgres
async def test_keys_of_an_expired_membership_stop_working(
    pg_server: ServerProcess, pg_db: PgDatabase
) -> None:
    name = unique("grants")
    tenant = await make_tenant(
        pg_server.db_url,
        name,
        {"alma": "auditor", "vic": "viewer"},
        expires={"alma": utcnow() + timedelta(days=30)},
    )
    ended = utcnow() - timedelta(minutes=1)
    # the grant ended a minute ago (written as the database's owner, past the API; no key
    # of alma's has been used yet, so no server holds it in its cache)
    conn = await asyncpg.connect(pg_db.owner_url)
    try:
        await conn.execute(
            "UPDATE members SET expires_at = $1 WHERE name = 'alma' AND tenant_id = "
            "(SELECT id FROM tenants WHERE name = $2)",
            format_ts(ended),
            name,
        )
    finally:
        await conn.close()
    owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    auditor = {"Authorization": f"Bearer {tenant.keys['alma']}"}
    viewer = {"Authorization": f"Bearer {tenant.keys['vic']}"}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        for path in ("/api/v1/whoami", "/api/v1/projects", "/api/v1/members"):
            refused = await client.get(path, headers=auditor)
            assert refused.status_code == 401, path
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["detail"] == (
                f"this API key stopped working: the membership of 'alma' in tenant {name!r} "
                f"expired at {ended:%Y-%m-%d %H:%M} UTC"
            )
        # a viewer may not move a grant; the owner may
        later = utcnow() + timedelta(days=2)
        body = {"expires_at": later.isoformat()}
        denied = await client.patch("/api/v1/members/alma", json=body, headers=viewer)
        assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
        moved = await client.patch("/api/v1/members/alma", json=body, headers=owner)
        assert moved.status_code == 200, moved.text
        assert moved.json()["expires_at"].startswith(format_ts(later)[:19])
        me = await client.get("/api/v1/whoami", headers=auditor)
        assert me.status_code == 200, me.text
        assert (me.json()["name"], me.json()["expires_at"][:19]) == ("alma", format_ts(later)[:19])
        events = (
            await client.post(
                "/api/v1/audit/query",
                json={"filter": {"action": "members.expiry"}, "limit": 10},
                headers=owner,
            )
        ).json()["items"]
        assert [
            (e["names"][e["actor"]], e["names"][e["resource_id"]], e["outcome"]) for e in events
        ] == [("owner", "alma", "ok")]
        assert events[0]["details"]["old_expires_at"] == format_ts(ended)
