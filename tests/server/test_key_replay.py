"""An API key's secret is shown once: the idempotency table never keeps it, and a replay
of ``POST /api-keys`` answers 409 naming the key instead of the secret (real server over
PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest

from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres


async def test_a_replayed_key_creation_never_returns_or_stores_the_secret(
    pg_server: ServerProcess, pg_db: PgDatabase
) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("keyreplay"), {"ann": "editor"})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}", "Idempotency-Key": "key-once"}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        first = await client.post("/api/v1/api-keys", json={"principal": "ann"}, headers=h)
        assert first.status_code == 201
        secret, key_id = first.json()["secret"], first.json()["info"]["id"]
        assert secret.startswith("cdt_usr_")
        again = await client.post("/api/v1/api-keys", json={"principal": "ann"}, headers=h)
        keys = (await client.get("/api/v1/api-keys", headers=h)).json()

    rows = await pg_db.fetch(
        "SELECT state, status, body FROM api_idempotency WHERE key = 'key-once'"
    )
    assert len(rows) == 1 and rows[0]["state"] == "done"
    # neither the secret nor its random part (what a leak would need) is kept
    assert secret not in rows[0]["body"] and secret[8:38] not in rows[0]["body"]
    assert key_id in rows[0]["body"]

    assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in again.headers  # the remote client must not retry it
    problem = again.json()
    assert problem["code"] == "conflict" and key_id in problem["detail"]
    assert secret not in again.text and secret[8:38] not in again.text
    # the request ran once: one key for ann, not two
    assert sorted(k["id"] for k in keys if k["principal"] == "ann") == sorted(
        [tenant.ids["ann"], key_id]
    )
