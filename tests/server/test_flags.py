"""Feature flags across server replicas over PostgreSQL: each replica keeps the tenants'
stored overrides while its LISTEN connection is up, and a change made through one
replica reaches the next request on the other (its NOTIFY drops the cached copy)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from tests.pg import PgDatabase
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres


class Invalidations:
    """Signals of a replica's ``invalidate_tenant`` calls: the readiness signals of its
    listener (a call for every tenant precedes ``listening``) and of a notification."""

    def __init__(self, state: ServerState) -> None:
        self.calls: list[str | None] = []
        self.changed = asyncio.Event()
        original = state.invalidate_tenant

        def spy(tenant_id: str | None = None) -> None:
            original(tenant_id)
            self.calls.append(tenant_id)
            self.changed.set()

        state.invalidate_tenant = spy  # type: ignore[method-assign]

    async def wait_for(self, tenant_id: str | None) -> None:
        while tenant_id not in self.calls:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)  # a guard, not a wait


async def test_a_change_on_one_replica_holds_for_the_next_request_on_another(
    pg_db: PgDatabase,
) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("flags"), {"vic": "viewer"})
    replicas = [ServerState(ServerConfig(db=pg_db.app_url, pool_size=2)) for _ in range(2)]
    signals = [Invalidations(r) for r in replicas]
    for replica, signal in zip(replicas, signals, strict=True):
        await replica.start()
        await signal.wait_for(None)  # listening from here on
    owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    vic = {"Authorization": f"Bearer {tenant.keys['vic']}"}
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(state=r)), base_url="http://r.test"
        )
        for r in replicas
    ]
    try:
        a, b = clients
        assert (await b.post("/api/v1/memory/count", json={}, headers=vic)).status_code == 200
        tenant_id = (await b.get("/api/v1/tenant", headers=vic)).json()["id"]
        assert tenant_id in replicas[1].flag_cache  # kept while listening
        signals[1].calls.clear()
        flag = {"enabled": False, "stakeholder": "vic"}
        assert (await a.put("/api/v1/flags/memory", json=flag, headers=owner)).status_code == 200
        await signals[1].wait_for(tenant_id)  # the NOTIFY of the flag's audit event
        refused = await b.post("/api/v1/memory/count", json={}, headers=vic)
        assert refused.status_code == 403
        assert "stakeholder override" in refused.json()["detail"]
        # the owner is not the stakeholder; clearing gives vic the feature back
        assert (await b.post("/api/v1/memory/count", json={}, headers=owner)).status_code == 200
        signals[0].calls.clear()
        cleared = await b.delete(
            "/api/v1/flags/memory", params={"stakeholder": "vic"}, headers=owner
        )
        assert cleared.status_code == 204
        assert (await b.post("/api/v1/memory/count", json={}, headers=vic)).status_code == 200
        await signals[0].wait_for(tenant_id)
        assert (await a.post("/api/v1/memory/count", json={}, headers=vic)).status_code == 200
    finally:
        for client in clients:
            await client.aclose()
        for replica in replicas:
            await replica.stop()
