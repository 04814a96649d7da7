"""Failed authentication is rate limited per client address: after the burst, the address
gets 429 with Retry-After and no database lookup, until the bucket refills (the server's
clock is injected and moved, never waited for)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_tui.core import api_keys as keyfmt
from tests.server.conftest import make_tenant

#: the shipped defaults: 20 failures at once, 20 per minute (one back every 3 s)
BURST = 20
REFILL_SECONDS = 3


@dataclass
class Clock:
    """The server's clock, moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Served:
    app: Any
    clock: Clock
    key: str
    lookups: list[str]

    def client(self, host: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(host, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    db = tmp_path / "server.db"
    tenant = await make_tenant(str(db), "acme", {})
    clock = Clock(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    state = ServerState(ServerConfig(db=str(db)), clock=clock)
    await state.start()
    lookups: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lookups.append(statement)

    event.listen(state.db.sync_engine, "before_cursor_execute", count)
    try:
        yield Served(create_app(state=state), clock, tenant.keys["owner"], lookups)
    finally:
        await state.stop()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_failed_authentication_is_limited_per_address(served: Served) -> None:
    unknown = _bearer(keyfmt.new_key("usr"))  # well formed: each try costs a lookup
    async with served.client("203.0.113.7") as attacker, served.client("198.51.100.1") as other:
        for _ in range(BURST):
            assert (await attacker.get("/api/v1/whoami", headers=unknown)).status_code == 401
        before = len(served.lookups)
        refused = await attacker.get("/api/v1/whoami", headers=unknown)
        assert refused.status_code == 429, refused.text
        assert refused.headers["retry-after"] == str(REFILL_SECONDS)
        assert refused.json()["code"] == "rate_limited"
        assert "failed authentications" in refused.json()["detail"]
        # a blocked address is refused before any lookup, even with a valid key
        assert (
            await attacker.get("/api/v1/whoami", headers=_bearer(served.key))
        ).status_code == 429
        assert len(served.lookups) == before
        # other addresses are not affected
        assert (await other.get("/api/v1/whoami", headers=_bearer(served.key))).status_code == 200
        # one attempt is back after Retry-After seconds, and only one
        served.clock.now += timedelta(seconds=REFILL_SECONDS)
        assert (await attacker.get("/api/v1/whoami", headers=unknown)).status_code == 401
        assert (await attacker.get("/api/v1/whoami", headers=unknown)).status_code == 429
        served.clock.now += timedelta(seconds=REFILL_SECONDS)
        ok = await attacker.get("/api/v1/whoami", headers=_bearer(served.key))
        assert ok.status_code == 200 and ok.json()["name"] == "owner"


async def test_malformed_and_missing_credentials_count_too(served: Served) -> None:
    async with served.client("203.0.113.8") as attacker:
        for i in range(BURST):
            headers = {} if i % 2 else {"Authorization": "Bearer cdt_opr_x.y"}
            assert (await attacker.get("/api/v1/tenant", headers=headers)).status_code == 401
        assert (await attacker.get("/api/v1/tenant")).status_code == 429


async def test_an_ipv6_host_is_one_address_per_64(served: Served) -> None:
    unknown = _bearer(keyfmt.new_key("usr"))
    async with (
        served.client("2001:db8:1:2::1") as first,
        served.client("2001:db8:1:2:ffff::9") as same_64,
        served.client("2001:db8:1:3::1") as next_64,
    ):
        for _ in range(BURST):
            assert (await first.get("/api/v1/whoami", headers=unknown)).status_code == 401
        assert (await same_64.get("/api/v1/whoami", headers=unknown)).status_code == 429
        assert (await next_64.get("/api/v1/whoami", headers=unknown)).status_code == 401
