"""1,000 requests alternating between two tenants over a pool of 2 connections: every row
each answer carries belongs to the asking tenant (the tenant is set per transaction)."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import text

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from tests.pg import PgDatabase
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

REQUESTS = 1000


async def test_alternating_tenants_over_two_connections(pg_db: PgDatabase) -> None:
    names = [unique("left"), unique("right")]
    tenants = [await make_tenant(pg_db.app_url, name, {}) for name in names]
    state = ServerState(ServerConfig(db=pg_db.app_url, pool_size=2, max_overflow=0))
    await state.start()
    app = create_app(state=state)
    wrong: list[str] = []
    seen: Counter[str] = Counter()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://pool.test"
        ) as client:
            for i, tenant in enumerate(tenants):
                h = {"Authorization": f"Bearer {tenant.keys['owner']}"}
                for n in range(3):
                    await client.put(
                        "/api/v1/projects", json={"name": f"{names[i]}-p{n}"}, headers=h
                    )
                await client.put(
                    "/api/v1/memory",
                    json={
                        "path": "shared.md",
                        "kind": "note",
                        "title": names[i],
                        "body": f"common words {names[i]}",
                    },
                    headers=h,
                )
            limiter = asyncio.Semaphore(8)  # more requests in flight than connections

            async def one(i: int) -> None:
                side = i % 2
                mine = names[side]
                h = {"Authorization": f"Bearer {tenants[side].keys['owner']}"}
                async with limiter:
                    kind = i % 4
                    if kind < 2:
                        body = (await client.get("/api/v1/projects", headers=h)).json()
                        got = [p["name"].rsplit("-p", 1)[0] for p in body["items"]]
                    elif kind == 2:
                        hits = (
                            await client.post(
                                "/api/v1/memory/search", json={"query": "common"}, headers=h
                            )
                        ).json()
                        got = [hit["entry"]["title"] for hit in hits]
                    else:
                        got = [(await client.get("/api/v1/tenant", headers=h)).json()["name"]]
                seen[mine] += 1
                if not got or any(name != mine for name in got):
                    wrong.append(f"request {i} as {mine}: {got}")

            await asyncio.gather(*(one(i) for i in range(REQUESTS)))
        assert state.db.pool.size() == 2  # type: ignore[attr-defined]
        async with state.db.connect() as conn:  # a pooled connection holds no tenant
            leftover = (
                await conn.execute(text("SELECT current_setting('app.tenant_id', true)"))
            ).scalar()
            await conn.rollback()
        assert leftover in (None, "")
    finally:
        await state.stop()
    assert wrong == []
    assert seen == {names[0]: REQUESTS // 2, names[1]: REQUESTS // 2}
