"""The webhook outbox: queued with the audit append, claimed and settled by the server.

``enqueue_deliveries`` runs inside the transaction that appends events to a tenant's
audit chain (``chain.link_events``), so an event and its deliveries commit together or
not at all: a crash loses neither. The tenant API server's worker
(``coditect_server.webhooks``) finds tenants with deliveries due (:func:`due_tenants`),
claims a batch (:func:`claim`: a lease pushes the row's due time forward, so a worker
that dies mid-delivery leaves it due again when the lease ends; on PostgreSQL ``FOR
UPDATE SKIP LOCKED`` keeps concurrent workers off each other's rows) and records each
outcome (:func:`settle`, one transaction per tenant and round).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coditect_store.schema import webhook_deliveries, webhook_subscriptions
from coditect_tui.core.models import format_ts
from coditect_tui.core.pseudonyms import mentioned
from coditect_tui.core.webhooks import matches

D = webhook_deliveries.c
S = webhook_subscriptions.c
_DUE_PG = text("SELECT tenant_id FROM coditect_webhook_due(:now, :limit)")


def new_delivery_id() -> str:
    """A delivery's id: the ``webhook-id`` header of each of its attempts."""
    return "msg_" + uuid.uuid4().hex


async def enqueue_deliveries(
    conn: AsyncConnection,
    tenant_id: str,
    rows: Sequence[tuple[Any, ...]],
    now: str,
    names: dict[str, str] | None = None,
) -> int:
    """Queue a delivery of each appended event to each enabled subscription it matches.

    Args:
        conn: the audit append's transaction.
        tenant_id: the tenant.
        rows: the appended audit rows (``chain.AUDIT_COLUMNS`` order).
        now: canonical "now" (the rows are due at once).
        names: principal id -> name of the principals the rows name; a payload carries
            those of its event as ``data.names`` (erasing the person purges the payload).

    Returns:
        How many deliveries were queued.
    """
    subs = (
        await conn.execute(
            select(S.id, S.events).where(S.tenant_id == tenant_id, S.enabled.is_(True))
        )
    ).all()
    if not subs:
        return 0
    patterns = [(sub.id, orjson.loads(sub.events)) for sub in subs]
    queued: list[dict[str, Any]] = []
    for row in rows:
        action = row[5]
        targets = [sid for sid, pats in patterns if matches(pats, action)]
        if not targets:
            continue
        payload = orjson.dumps(
            {
                "type": action,
                "timestamp": row[2],
                "data": {
                    "tenant_id": tenant_id,
                    "seq": row[1],
                    "actor": row[3],
                    "role": row[4],
                    "action": action,
                    "resource_type": row[6],
                    "resource_id": row[7],
                    "outcome": row[8],
                    "details": orjson.Fragment(row[9]),
                    "hash": row[13],
                    "names": {
                        pid: names[pid]
                        for pid in sorted(mentioned([row[3], row[7], row[9]]))
                        if names and pid in names
                    },
                },
            }
        ).decode()
        queued.extend(
            {
                "id": new_delivery_id(),
                "tenant_id": tenant_id,
                "subscription_id": sid,
                "event_seq": row[1],
                "event": action,
                "payload": payload,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for sid in targets
        )
    if queued:
        await conn.execute(webhook_deliveries.insert(), queued)
    return len(queued)


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for one attempt."""

    id: str
    tenant_id: str
    subscription_id: str
    url: str
    #: the subscription's secret as stored: sealed (``secrets_key.open_secret`` opens it)
    secret: str
    payload: str
    attempts: int
    #: when it fell due (canonical text): the outbox lag is measured from it
    due_at: datetime


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended.

    Attributes:
        ok: the receiver answered 2xx.
        status: its HTTP status (None: no answer).
        error: why it failed, one line (None on success).
        attempted: False when nothing was sent because of the server itself (its
            secrets key does not open the subscription's secret): the delivery stays
            pending without counting an attempt or a failure of the subscription.
    """

    ok: bool
    status: int | None
    error: str | None
    attempted: bool = True


def _tenant_tx(engine: AsyncEngine, tenant_id: str) -> Any:
    """Execution options of a write transaction acting in ``tenant_id`` (engine.py sets
    the tenant for row-level security on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    if engine.dialect.name == "postgresql":
        return {"coditect_tenant": tenant_id, "coditect_write": True, "coditect_read_only": False}
    return {"coditect_write": True}


async def due_tenants(engine: AsyncEngine, now: datetime, *, limit: int = 100) -> list[str]:
    """Tenants with deliveries due at ``now``.

    On PostgreSQL through ``coditect_webhook_due`` (migration 0005): row-level security
    hides every tenant's rows from an app-role connection that acts in none.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            result = await conn.execute(_DUE_PG, {"now": format_ts(now), "limit": limit})
        else:
            result = await conn.execute(
                select(D.tenant_id)
                .where(D.state == "pending", D.next_attempt_at <= format_ts(now))
                .distinct()
                .limit(limit)
            )
        tenants = list(result.scalars())
        await conn.rollback()
    return tenants


async def claim(
    engine: AsyncEngine, tenant_id: str, now: datetime, *, lease: float, limit: int
) -> list[Claimed]:
    """Claim up to ``limit`` of the tenant's due deliveries for ``lease`` seconds.

    The claim moves each row's due time to ``now + lease``: settled before then it is
    done or rescheduled; if the worker dies, it is due again then (at least once).
    """
    until = format_ts(now + timedelta(seconds=lease))
    stmt = (
        select(D.id, D.subscription_id, D.payload, D.attempts, D.next_attempt_at, S.url, S.secret)
        .join(webhook_subscriptions, S.id == D.subscription_id)
        .where(
            D.tenant_id == tenant_id,
            D.state == "pending",
            D.next_attempt_at <= format_ts(now),
            S.enabled.is_(True),
        )
        .order_by(D.next_attempt_at, D.event_seq)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=webhook_deliveries, skip_locked=True)
    async with engine.connect() as conn:
        await conn.execution_options(**_tenant_tx(engine, tenant_id))
        async with conn.begin():
            rows = (await conn.execute(stmt)).all()
            if rows:
                await conn.execute(
                    update(webhook_deliveries)
                    .where(D.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=until)
                )
    return [
        Claimed(
            r.id,
            tenant_id,
            r.subscription_id,
            r.url,
            r.secret,
            r.payload,
            r.attempts,
            r.next_attempt_at,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Settled:
    """One attempt to record: the delivery, how it ended, and when to try again.

    Attributes:
        item: the claimed delivery.
        outcome: how the attempt ended.
        retry_at: after a failure, when to try again (None: give up, state ``failed``).
    """

    item: Claimed
    outcome: Outcome
    retry_at: datetime | None = None


async def settle(
    engine: AsyncEngine,
    tenant_id: str,
    attempts: Sequence[Settled],
    now: datetime,
    *,
    disable_after: int,
) -> dict[str, str]:
    """Record a round's attempts in one of the tenant's deliveries, in one transaction.

    A subscription with a success in the round starts counting failures afresh (from the
    failures that followed it is not knowable: the attempts ran concurrently); otherwise
    its failures in a row grow by the round's failures, and reaching ``disable_after``
    disables it with the reason. A delivery the server did not send (``attempted`` false)
    stays pending until its ``retry_at`` with its error, and counts for nothing.

    Args:
        engine: the server's engine.
        tenant_id: the tenant of every attempt.
        attempts: the round's attempts in that tenant.
        now: when they ended.
        disable_after: failed attempts in a row after which a subscription is disabled.

    Returns:
        subscription id -> the reason it was disabled by this round.
    """
    stamp = format_ts(now)
    by_sub: dict[str, list[Settled]] = {}
    for attempt in attempts:
        by_sub.setdefault(attempt.item.subscription_id, []).append(attempt)
    disabled: dict[str, str] = {}
    async with engine.connect() as conn:
        await conn.execution_options(**_tenant_tx(engine, tenant_id))
        async with conn.begin():
            # the successes, one statement per status (200, 204, ...)
            for status in {a.outcome.status for a in attempts if a.outcome.ok}:
                ids = [a.item.id for a in attempts if a.outcome.ok and a.outcome.status == status]
                await conn.execute(
                    update(webhook_deliveries)
                    .where(D.id.in_(ids))
                    .values(
                        state="delivered",
                        attempts=D.attempts + 1,
                        last_status=status,
                        last_error=None,
                        next_attempt_at=None,
                        delivered_at=stamp,
                    )
                )
            for attempt in attempts:
                if attempt.outcome.ok:
                    continue
                if not attempt.outcome.attempted:  # the server's fault: wait, count nothing
                    await conn.execute(
                        update(webhook_deliveries)
                        .where(D.id == attempt.item.id)
                        .values(
                            last_status=None,
                            last_error=(attempt.outcome.error or "")[:500],
                            next_attempt_at=format_ts(attempt.retry_at or now),
                        )
                    )
                    continue
                retry_at = attempt.retry_at
                await conn.execute(
                    update(webhook_deliveries)
                    .where(D.id == attempt.item.id)
                    .values(
                        state="pending" if retry_at is not None else "failed",
                        attempts=D.attempts + 1,
                        last_status=attempt.outcome.status,
                        last_error=(attempt.outcome.error or "")[:500],
                        next_attempt_at=format_ts(retry_at) if retry_at is not None else None,
                    )
                )
            for sub_id, all_mine in by_sub.items():
                mine = [a for a in all_mine if a.outcome.attempted]
                if not mine:
                    continue
                failed = [a for a in mine if not a.outcome.ok]
                if len(failed) < len(mine):
                    await conn.execute(
                        update(webhook_subscriptions)
                        .where(S.id == sub_id)
                        .values(failures=len(failed))
                    )
                    continue
                row = (
                    await conn.execute(
                        update(webhook_subscriptions)
                        .where(S.id == sub_id)
                        .values(failures=S.failures + len(failed))
                        .returning(S.failures, S.enabled)
                    )
                ).one()
                if row.enabled and row.failures >= disable_after:
                    last = failed[-1].outcome
                    reason = (
                        f"disabled at {stamp} after {row.failures} failed deliveries in a "
                        f"row; last: {last.error or last.status}"
                    )[:500]
                    await conn.execute(
                        update(webhook_subscriptions)
                        .where(S.id == sub_id)
                        .values(enabled=False, disabled_reason=reason)
                    )
                    # nothing more goes out for it: its queue ends, and is logged as such
                    await conn.execute(
                        update(webhook_deliveries)
                        .where(D.subscription_id == sub_id, D.state == "pending")
                        .values(
                            state="failed",
                            next_attempt_at=None,
                            last_error="not sent: the subscription was disabled",
                        )
                    )
                    disabled[sub_id] = reason
    return disabled
