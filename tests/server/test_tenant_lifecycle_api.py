"""The tenant lifecycle over HTTP (in-process ASGI app on SQLite): a suspended tenant's
keys still authenticate but every route answers 403 naming the state, the live event
stream included, while ``/tenant`` shows the state and the owner's export still works;
only the server's ``CODITECT_PLATFORM_ADMINS`` may change it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.main import platform_admins_from_env
from coditect_server.state import ServerConfig, ServerState
from coditect_tui.core.errors import ConfigError
from tests.server.conftest import make_tenant


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    db = str(tmp_path / "server.db")
    admins = platform_admins_from_env(" ops/owner , ")  # make_tenant names owners "owner"
    state = ServerState(ServerConfig(db=db, platform_admins=admins))
    await state.start()
    try:
        transport = httpx.ASGITransport(app=create_app(state=state))
        async with httpx.AsyncClient(transport=transport, base_url="http://asgi.test") as c:
            yield db, c
    finally:
        await state.stop()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_suspended_tenant_over_http(client: tuple[str, httpx.AsyncClient]) -> None:
    db, c = client
    ops = await make_tenant(db, "ops", {})
    acme = await make_tenant(db, "acme", {"ed": "editor"})
    root = _auth(ops.keys["owner"])
    owner, ed = _auth(acme.keys["owner"]), _auth(acme.keys["ed"])
    # the tenant's own owner is no platform administrator
    refused = await c.put("/api/v1/tenants/acme/state", json={"state": "suspended"}, headers=owner)
    assert refused.status_code == 403 and "platform administrator" in refused.json()["detail"]
    changed = await c.put("/api/v1/tenants/acme/state", json={"state": "suspended"}, headers=root)
    assert (changed.status_code, changed.json().get("state")) == (200, "suspended"), changed.text
    for headers in (owner, ed):
        answer = await c.get("/api/v1/projects", headers=headers)
        assert answer.status_code == 403 and "'acme' is suspended" in answer.json()["detail"]
        events = await c.get("/api/v1/events", params={"max_events": 1}, headers=headers)
        assert events.status_code == 403
        assert (await c.get("/api/v1/tenant", headers=headers)).json()["state"] == "suspended"
    export = await c.post("/api/v1/tenant/export", json={}, headers=owner)
    assert export.status_code == 200 and '"kind":"members"' in export.text
    assert (await c.post("/api/v1/tenant/export", json={}, headers=ed)).status_code == 403
    resumed = await c.put("/api/v1/tenants/acme/state", json={"state": "active"}, headers=root)
    assert resumed.json()["state"] == "active"
    assert (await c.get("/api/v1/projects", headers=ed)).status_code == 200
    created = await c.post(
        "/api/v1/tenants", json={"name": "globex", "tier": "vendor", "owner": "gina"}, headers=root
    )
    assert (created.status_code, created.json()["tier"]) == (201, "vendor")


def test_platform_admins_setting_is_tenant_slash_principal() -> None:
    assert platform_admins_from_env("ops/root,ops/ana") == {"ops/root", "ops/ana"}
    with pytest.raises(ConfigError, match="tenant/principal"):
        platform_admins_from_env("root")
