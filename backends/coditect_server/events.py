"""Live events per tenant as server-sent events, fanned out across replicas.

Every change is appended to the tenant's audit chain in the same transaction, and on
PostgreSQL that transaction also sends ``NOTIFY coditect_events`` with the tenant id
(delivered on commit only). Each server process keeps one LISTEN connection and wakes
that tenant's subscribers, which then read the new audit rows through the store (RLS
confined to their tenant) and send them. A SQLite server (one node) polls instead.

Each subscriber sees only what its role may read: full audit events with ``audit.read``,
otherwise ``change`` events for the resources it may read (projects, repos, sessions,
memory, status, members, api_keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from coditect_store.chain import EVENTS_CHANNEL
from coditect_store.engine import asyncpg_url
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.models import Action, Resource

if TYPE_CHECKING:
    from coditect_server.auth import Identity
    from coditect_server.state import ServerState
    from coditect_store.store import SqlStore
    from coditect_tui.core.audit_chain import AuditNotice

log = logging.getLogger("coditect.server.events")
_BATCH = 200
#: Audited actions after which cached API key lookups of the tenant are dropped.
_ACCESS_CHANGES = ("api_keys.", "members.", "tenants.")


class EventHub:
    """One process's LISTEN connection and the wake-up signals of its subscribers."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        #: Whether notifications are being received (the key cache relies on it).
        self.listening = False

    async def start(self) -> None:
        """Start listening (PostgreSQL); a SQLite server polls and needs nothing here."""
        if self.state.postgres:
            self._task = asyncio.create_task(self._listen_forever())

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        self.listening = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._close_conn()

    async def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def _listen_forever(self) -> None:
        import asyncpg

        dsn = asyncpg_url(self.state.config.db).replace("postgresql+asyncpg://", "postgresql://", 1)
        delay = 0.5
        while True:
            try:
                self._conn = await asyncpg.connect(dsn)
                await self._conn.add_listener(EVENTS_CHANNEL, self._on_notify)
                self.state.invalidate_tenant()  # changes may have been missed meanwhile
                self.listening = True
                delay = 0.5
                self.wake_all()  # anything missed while reconnecting is read from the DB
                while not self._conn.is_closed():
                    await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:  # keep trying: events are a convenience, not a duty
                log.warning("event listener: %s; reconnecting in %.1f s", exc, delay)
            self.listening = False
            self.state.invalidate_tenant()
            await self._close_conn()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = orjson.loads(payload)
            tenant_id = data["tenant_id"]
            if data.get("webhooks"):  # deliveries queued: send now, not after the poll
                self.state.webhooks.wake()
            shown = data.get("events", [])
            if data.get("count", 0) > len(shown) or any(
                str(e.get("action", "")).startswith(_ACCESS_CHANGES) for e in shown
            ):
                self.state.invalidate_tenant(tenant_id)
        except (ValueError, KeyError, TypeError, AttributeError):
            self.state.invalidate_tenant()
            return
        for event in self._waiters.get(tenant_id, ()):
            event.set()

    def wake_all(self) -> None:
        """Wake every subscriber (after a reconnect)."""
        for events in self._waiters.values():
            for event in events:
                event.set()

    def subscribe(self, tenant_id: str) -> asyncio.Event:
        """A wake-up signal for ``tenant_id``'s changes."""
        event = asyncio.Event()
        self._waiters.setdefault(tenant_id, set()).add(event)
        self.state.metrics.subscribers(1)
        return event

    def unsubscribe(self, tenant_id: str, event: asyncio.Event) -> None:
        """Drop a signal from ``subscribe``."""
        waiters = self._waiters.get(tenant_id)
        if waiters is not None and event in waiters:
            self.state.metrics.subscribers(-1)
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(tenant_id, None)


def _visible(store: SqlStore, row: AuditNotice) -> tuple[str, dict[str, Any]] | None:
    """The SSE event of an audit row for this subscriber, or None when it may not see it."""
    if store.may(Resource.AUDIT, Action.READ):
        return "audit", {
            "seq": row.seq,
            "ts": row.ts,
            "actor": row.actor,
            "action": row.action,
            "resource_type": row.resource_type,
            "resource_id": row.resource_id,
            "outcome": row.outcome,
        }
    try:
        resource = Resource(row.resource_type)
    except ValueError:
        return None
    if row.outcome != "ok" or resource is Resource.AUDIT:
        return None
    if not store.may(resource, Action.READ):
        return None
    return "change", {
        "seq": row.seq,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
    }


def subscriber_check(
    state: ServerState, store: SqlStore, identity: Identity, authorization: str | None
) -> Callable[[], Awaitable[bool]]:
    """What a live stream asks before going on: the request's credential still
    authenticates as the same principal and role (not revoked, expired or changed) and
    the tenant is still active, read afresh (a refusal is audited like the opening's).

    Args:
        state: the server.
        store: the subscriber's handle.
        identity: who opened the stream.
        authorization: the request's ``Authorization`` header.
    """
    from coditect_server.auth import Unauthorized, authenticate

    async def still_allowed() -> bool:
        try:
            now = await authenticate(state, authorization)
            if (now.principal, now.role, now.tenant.id) != (
                identity.principal,
                identity.role,
                identity.tenant.id,
            ):
                return False
            await store.require_active("audit.read", method="events", fresh=True)
        except (Unauthorized, PermissionDenied):
            return False
        return True

    return still_allowed


async def head_seq(store: SqlStore) -> int:
    """The tenant's newest audit seq (0 for an empty chain)."""
    return await store.audit_head_seq()


async def stream(
    state: ServerState,
    store: SqlStore,
    last_seq: int,
    *,
    max_events: int | None = None,
    still_allowed: Callable[[], Awaitable[bool]] | None = None,
) -> AsyncIterator[bytes]:
    """SSE frames of ``store``'s tenant from ``last_seq`` on, until the client leaves,
    the subscriber's grant ends, or ``still_allowed`` says no (a reconnect is then
    refused like any request).

    Args:
        state: the server (hub, heartbeat, poll interval, recheck interval).
        store: a handle of the subscriber (its tenant and role decide what it sees).
        last_seq: send events after this seq (``Last-Event-ID`` resumes a stream).
        max_events: stop after this many events (for tests and tools); None: never.
        still_allowed: asked again whenever a change is announced (``invalidations``)
            and every ``stream_recheck`` seconds: whether the key, role and tenant state
            still allow the stream (``subscriber_check``).
    """
    wake = state.hub.subscribe(store.tenant_id)
    sent = 0
    loop = asyncio.get_running_loop()
    quiet_since = checked_at = loop.time()
    seen = state.invalidations
    try:
        yield b"retry: 2000\n\n"
        while not store.grant_ended():
            if still_allowed is not None and (
                seen != state.invalidations
                or loop.time() - checked_at >= state.config.stream_recheck
            ):
                seen, checked_at = state.invalidations, loop.time()
                if not await still_allowed():
                    return
            wake.clear()  # before reading: a commit after the read wakes the wait below
            rows = await store.audit_notices_since(last_seq, limit=_BATCH)
            for row in rows:
                last_seq = row.seq
                shown = _visible(store, row)
                if shown is None:
                    continue
                kind, data = shown
                yield (
                    f"id: {row.seq}\nevent: {kind}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"
                )
                quiet_since = loop.time()
                sent += 1
                if max_events is not None and sent >= max_events:
                    return
            if len(rows) == _BATCH:
                continue
            timeout = state.config.heartbeat if state.postgres else state.config.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)
            if loop.time() - quiet_since >= state.config.heartbeat:
                yield b": keep-alive\n\n"
                quiet_since = loop.time()
    finally:
        state.hub.unsubscribe(store.tenant_id, wake)
