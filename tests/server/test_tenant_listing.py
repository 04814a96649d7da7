"""``GET /api/v1/tenants`` lists the key's own tenant only: a member name shared with
another tenant reveals nothing of it (real uvicorn, on PostgreSQL and on SQLite)."""

from __future__ import annotations

import httpx
import pytest

from tests.pg import ServerProcess
from tests.server.conftest import ThreadServer, make_tenant, unique


async def _bob_sees(db: str, url: str) -> None:
    # Tenant B has a member "bob"; the owner of A adds a member of the same name to A and
    # makes a key for it. That key must see A only, never B's id, name, tier or date.
    b = await make_tenant(db, unique("victim"), {"bob": "editor"}, tier="customer_enterprise")
    a = await make_tenant(db, unique("attacker"), {"bob": "viewer"})
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.get(
            "/api/v1/tenants", headers={"Authorization": f"Bearer {a.keys['bob']}"}
        )
        assert response.status_code == 200, response.text
        assert [t["name"] for t in response.json()] == [a.name]
        assert b.name not in response.text
        victim = await client.get(
            "/api/v1/tenant", headers={"Authorization": f"Bearer {b.keys['bob']}"}
        )
        assert victim.json()["id"] not in response.text
        # B's own bob still sees B (and only B)
        own = await client.get(
            "/api/v1/tenants", headers={"Authorization": f"Bearer {b.keys['bob']}"}
        )
        assert [t["id"] for t in own.json()] == [victim.json()["id"]]


@pytest.mark.postgres
async def test_tenants_lists_only_the_keys_tenant_on_postgres(pg_server: ServerProcess) -> None:
    await _bob_sees(pg_server.db_url, pg_server.url)


async def test_tenants_lists_only_the_keys_tenant_on_sqlite(thread_server: ThreadServer) -> None:
    await _bob_sees(str(thread_server.db), thread_server.url)
