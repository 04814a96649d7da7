"""The tenants' stored feature flag overrides, as each request's store handle sees them.

A change through the API takes effect for the next request: on this replica the route
drops the tenant's entry at once (``routes.write``), on the others the ``members.flag_*``
audit event's NOTIFY does (events.py). Entries are kept only while that LISTEN connection
is up (as the API key cache is); otherwise every request reads the overrides (one short
query).
"""

from __future__ import annotations

import time

from coditect_server.state import ServerState
from coditect_store.store import SqlStore

#: How long an entry is reused at most (notifications drop it sooner).
FLAG_CACHE_SECONDS = 30.0
FLAG_CACHE_SIZE = 10_000


async def apply_flags(state: ServerState, store: SqlStore) -> None:
    """Give ``store`` its tenant's stored overrides, from the cache or the database.

    Raises:
        BackendUnavailable: the database cannot be reached.
    """
    tenant_id = store.tenant_id
    listening = state.hub.listening
    cached = state.flag_cache.get(tenant_id) if listening else None
    if cached is not None and time.monotonic() - cached[1] < FLAG_CACHE_SECONDS:
        store.use_flags(cached[0])
        return
    generation = state.invalidations
    flags = tuple(await store.stored_flags())
    store.use_flags(flags)
    # an invalidation while reading may concern what was just read: do not keep it
    if listening and generation == state.invalidations:
        if len(state.flag_cache) >= FLAG_CACHE_SIZE:
            state.flag_cache.clear()
        state.flag_cache[tenant_id] = (flags, time.monotonic())
