"""The API key cache over PostgreSQL (used while the replica's LISTEN connection is up):
a lookup that an invalidation overtook is not cached, so a revocation, role change or
tenant state change that lands while a request is being authenticated holds for the next
request instead of being hidden by a stale cached answer."""

from __future__ import annotations

import pytest

from coditect_server import auth
from coditect_server.state import ServerConfig, ServerState
from coditect_tui.core import api_keys as keyfmt
from tests.pg import PgDatabase
from tests.server.conftest import make_tenant, unique
from tests.server.test_flags import Invalidations

pytestmark = pytest.mark.postgres


async def test_a_lookup_overtaken_by_an_invalidation_is_not_cached(
    pg_db: PgDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await make_tenant(pg_db.app_url, unique("keys"), {"vic": "viewer"})
    state = ServerState(ServerConfig(db=pg_db.app_url, pool_size=2))
    signal = Invalidations(state)
    await state.start()
    try:
        await signal.wait_for(None)  # listening: the cache is in use from here on
        header = f"Bearer {tenant.keys['vic']}"
        digest = keyfmt.key_hash(tenant.keys["vic"])
        read = auth._key_row

        async def overtaken(state_: ServerState, digest_: str) -> object:
            row = await read(state_, digest_)
            state_.invalidate_tenant(row.tenant_id)  # e.g. a NOTIFY of a revocation
            return row

        monkeypatch.setattr(auth, "_key_row", overtaken)
        identity = await auth.authenticate(state, header)
        assert identity.principal == "vic"  # this request is served with what it read
        assert digest not in state.key_cache
        monkeypatch.setattr(auth, "_key_row", read)
        await auth.authenticate(state, header)
        assert digest in state.key_cache  # an undisturbed lookup is kept
    finally:
        await state.stop()
