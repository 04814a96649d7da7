"""A live stream (``/api/v1/events``) opened before its subscriber lost the right to it
ends: a revoked key as soon as the change is announced, a tenant suspended by another
process (SQLite announces nothing) at the next periodic check. The client's reconnect is
then refused like any request."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from coditect_server import auth
from coditect_server.events import head_seq, stream, subscriber_check
from coditect_server.state import ServerConfig, ServerState
from coditect_store.store import SqlStore
from tests.server.conftest import TenantKeys, make_tenant, open_db

#: a safety net only: each stream below ends at once when the check works
ENDS_WITHIN = 20.0


async def _subscribe(state: ServerState, secret: str) -> tuple[AsyncIterator[bytes], SqlStore]:
    header = f"Bearer {secret}"
    identity = await auth.authenticate(state, header)
    store = SqlStore.bind(
        state.db,
        tenant=identity.tenant,
        principal=identity.principal,
        role=identity.role,
        clock=state.now,
    )
    frames = stream(
        state,
        store,
        await head_seq(store),
        still_allowed=subscriber_check(state, store, identity, header),
    )
    assert await anext(frames) == b"retry: 2000\n\n"
    return frames, store


async def _ends(frames: AsyncIterator[bytes]) -> list[bytes]:
    return [frame async for frame in frames]


@contextlib.asynccontextmanager
async def _server(
    tmp_path: Path, **config: float
) -> AsyncIterator[tuple[str, TenantKeys, ServerState]]:
    """A tenant with a viewer "vic" and a started server state on its SQLite file."""
    db = str(tmp_path / "server.db")
    tenant = await make_tenant(db, "acme", {"vic": "viewer"})
    state = ServerState(ServerConfig(db=db, **config))
    await state.start()
    try:
        yield db, tenant, state
    finally:
        await state.stop()


async def test_a_revoked_key_ends_the_stream_when_announced(tmp_path: Path) -> None:
    # no periodic check in this test: only the announced change can end the stream
    async with _server(tmp_path, stream_recheck=3600.0, poll_interval=3600.0) as (
        db,
        tenant,
        state,
    ):
        frames, _store = await _subscribe(state, tenant.keys["vic"])
        owner = await open_db(db, "acme", "owner")
        try:
            await owner.revoke_api_key(tenant.ids["vic"])
        finally:
            await owner.close()
        state.invalidate_tenant()  # what a replica does on the revocation's NOTIFY
        state.hub.wake_all()
        assert await asyncio.wait_for(_ends(frames), ENDS_WITHIN) == []


async def test_a_tenant_suspended_elsewhere_ends_the_stream_at_the_next_check(
    tmp_path: Path,
) -> None:
    async with _server(tmp_path, stream_recheck=0.0, poll_interval=0.05) as (db, tenant, state):
        frames, store = await _subscribe(state, tenant.keys["vic"])
        # another process (``coditect tenants suspend`` on the server's file) changes it
        conn = sqlite3.connect(db)
        try:
            with conn:
                conn.execute("UPDATE tenants SET state = 'suspended' WHERE name = 'acme'")
        finally:
            conn.close()
        assert await asyncio.wait_for(_ends(frames), ENDS_WITHIN) == []
        notices = await store.audit_notices_since(0, limit=1000)
        assert any(n.action == "audit.read" and n.outcome == "denied" for n in notices)
