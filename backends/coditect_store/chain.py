"""The audit chain append: linking events into a tenant's hash chain, and announcing them.

Every change is audited in the same transaction as the change itself; on PostgreSQL the
transaction also sends ``NOTIFY coditect_events`` (delivered on commit only), which the
server's event hub fans out to that tenant's live event streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.outbox import enqueue_deliveries
from coditect_store.pseudonyms import find_ids, ids_of
from coditect_store.schema import audit_events, audit_heads
from coditect_tui.core.audit_chain import (
    GENESIS_HASH,
    canonical_details,
    canonical_event,
    link_hash,
)
from coditect_tui.core.models import format_ts, utcnow
from coditect_tui.core.pseudonyms import scrub, scrub_id


@dataclass
class PendingEvent:
    """An audit event waiting to be linked into the chain."""

    action: str
    resource_type: str
    resource_id: str | None
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    role: str | None = None
    ts: str | None = None
    source: str = ""
    import_key: str | None = None
    details_text: str | None = None  # canonical details, when the caller already has them
    #: principals the event names besides its actor (schema 0011): each is written as its
    #: pseudonymous id wherever it stands in ``resource_id`` and ``details``
    names: tuple[str, ...] = ()
    #: texts that are written as an id only when they are a principal's name already (a
    #: filter's value: a resource id or a search text may name a person, or not)
    known_names: tuple[str, ...] = ()
    #: the actor and resource id as the chain holds them (set when linked)
    chained: tuple[str, str | None] | None = None


#: The channel audit appends are announced on (PostgreSQL LISTEN/NOTIFY).
EVENTS_CHANNEL = "coditect_events"
_NOTIFY_EVENTS = 20  # events described in one notification (payloads stay far below 8000 B)
_PG_NOTIFY = text(f"SELECT pg_notify('{EVENTS_CHANNEL}', :payload)")


def event_payload(tenant_id: str, rows: Sequence[tuple[Any, ...]], webhooks: int = 0) -> str:
    """The notification of appended audit rows: tenant, newest seq, a few of the events,
    and how many webhook deliveries they queued (the servers' workers wake for those)."""
    shown = [
        {
            "seq": r[1],
            "ts": r[2],
            "actor": r[3],
            "action": r[5],
            "resource_type": r[6],
            "resource_id": (r[7] or "")[:200] or None,
            "outcome": r[8],
        }
        for r in rows[-_NOTIFY_EVENTS:]
    ]
    return orjson.dumps(
        {
            "tenant_id": tenant_id,
            "seq": rows[-1][1] if rows else 0,
            "count": len(rows),
            "events": shown,
            "webhooks": webhooks,
        }
    ).decode()


AUDIT_COLUMNS = (
    "tenant_id",
    "seq",
    "ts",
    "actor",
    "role",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "details",
    "source",
    "import_key",
    "prev_hash",
    "hash",
)
_INSERT_QMARK = (
    f"INSERT INTO audit_events ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})"
)


async def link_events(
    conn: AsyncConnection,
    events: Sequence[PendingEvent],
    *,
    tenant_id: str,
    principal: str,
    role: str,
) -> list[tuple[int, str]]:
    """Append ``events`` to the tenant's chain inside ``conn``'s transaction.

    Args:
        conn: a write transaction of the tenant (it holds the tenant's write lock).
        events: the events, in order.
        tenant_id: the chain's tenant.
        principal: the actor of events that name none.
        role: the role of events that name none.

    Returns:
        (seq, hash) of each appended event.
    """
    if not events:
        return []
    head = (
        await conn.execute(
            select(audit_heads.c.seq, audit_heads.c.hash).where(
                audit_heads.c.tenant_id == tenant_id
            )
        )
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
    now = format_ts(utcnow())
    # nothing personal is hashed: every principal the events name becomes its id (an
    # imported event is another system's record and is kept as that system wrote it)
    ids = await ids_of(
        conn,
        tenant_id,
        {ev.actor or principal for ev in events if ev.import_key is None}
        | {n for ev in events for n in ev.names if n},
    )
    maybe = {n for ev in events for n in ev.known_names if n and n not in ids}
    if maybe:
        ids.update(await find_ids(conn, tenant_id, maybe))
    rows: list[tuple[Any, ...]] = []
    links: list[tuple[int, str]] = []
    for ev in events:
        seq += 1
        if ev.import_key is not None:
            actor, resource_id = ev.actor or principal, ev.resource_id
            details = ev.details_text or canonical_details(ev.details)
        else:
            name = ev.actor or principal
            actor = ids[name]
            named = {n: ids[n] for n in (*ev.names, *ev.known_names) if n in ids}
            # the actor's name in its own event: as the resource id (a provisioned
            # membership) or quoted in a message (a refusal's reason)
            resource_id = scrub_id(ev.resource_id, named)
            if resource_id == name:
                resource_id = actor
            details = ev.details_text or canonical_details(
                scrub(scrub(ev.details, named), {name: actor}, whole=False)
            )
        ev.chained = (actor, resource_id)
        role = ev.role or role
        ts = ev.ts or now
        digest = link_hash(
            prev,
            canonical_event(
                tenant_id,
                seq,
                ts,
                actor,
                role,
                ev.action,
                ev.resource_type,
                resource_id,
                ev.outcome,
                details,
                ev.source,
            ),
        )
        rows.append(
            (
                tenant_id,
                seq,
                ts,
                actor,
                role,
                ev.action,
                ev.resource_type,
                resource_id,
                ev.outcome,
                details,
                ev.source,
                ev.import_key,
                prev,
                digest,
            )
        )
        links.append((seq, digest))
        prev = digest
    if conn.dialect.paramstyle == "qmark":
        # Plain executemany: SQLAlchemy's per-row parameter processing costs more than
        # the insert itself on big imports (bench/bench_audit.py).
        await conn.exec_driver_sql(_INSERT_QMARK, rows)
    else:
        await conn.execute(
            audit_events.insert(), [dict(zip(AUDIT_COLUMNS, row, strict=True)) for row in rows]
        )
    if head:
        await conn.execute(
            update(audit_heads)
            .where(audit_heads.c.tenant_id == tenant_id)
            .values(seq=seq, hash=prev)
        )
    else:
        await conn.execute(audit_heads.insert().values(tenant_id=tenant_id, seq=seq, hash=prev))
    queued = await enqueue_deliveries(conn, tenant_id, rows, now, {v: k for k, v in ids.items()})
    if conn.dialect.name == "postgresql":
        # Delivered on commit only (and dropped on rollback): every replica's LISTEN
        # connection fans it out to that tenant's event streams.
        await conn.execute(_PG_NOTIFY, {"payload": event_payload(tenant_id, rows, queued)})
    return links
