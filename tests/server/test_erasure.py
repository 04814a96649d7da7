"""Erasure on the server: on a real uvicorn over PostgreSQL a non-admin's
``POST /erasures`` is refused (403) whatever its body, an owner's erases, the
erased person's key stops working (401), and the audit log names them only as an erased
principal while ``audit verify`` still passes."""

from __future__ import annotations

import httpx
import pytest

from tests.pg import ServerProcess
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

ZELDA = "zelda-erasure-8842"


async def test_only_an_admin_erases_and_the_key_stops(pg_server: ServerProcess) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("erase"), {ZELDA: "editor", "ed": "editor"})
    owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    editor = {"Authorization": f"Bearer {tenant.keys['ed']}"}
    zelda = {"Authorization": f"Bearer {tenant.keys[ZELDA]}"}
    path = "/api/v1/erasures"
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        made = await client.put("/api/v1/projects", json={"name": "atlas"}, headers=zelda)
        assert made.status_code in (200, 201), made.text
        for body in ({"name": ZELDA}, {"name": ZELDA, "keep_chained": True}):
            refused = await client.post(path, json=body, headers=editor)
            assert refused.status_code == 403, refused.text
        assert (await client.get("/api/v1/whoami", headers=zelda)).status_code == 200

        done = await client.post(path, json={"name": ZELDA}, headers=owner)
        assert done.status_code == 200, done.text
        pid = done.json()["principal_id"]
        assert done.json()["keys_revoked"] == 1 and done.json()["chained_events"] == 0
        assert (await client.get("/api/v1/whoami", headers=zelda)).status_code == 401

        events = (
            await client.post("/api/v1/audit/query", json={"limit": 200}, headers=owner)
        ).json()["items"]
        hers = [e for e in events if e["actor"] == pid]
        assert hers and {e["names"][pid] for e in hers} == {f"erased principal #{pid}"}
        assert ZELDA not in str(events)
        verdict = await client.post("/api/v1/audit/verify", json={}, headers=owner)
        assert verdict.status_code == 200 and '"ok":true' in verdict.text.replace(" ", "")
