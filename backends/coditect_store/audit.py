"""Audit queries, export, verification and imports of the store.

The chain itself is appended by ``StoreBase._link``, inside each action's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, select, text

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.chain import PendingEvent
from coditect_store.pseudonyms import with_names
from coditect_store.rows import to_model
from coditect_store.schema import audit_events, audit_heads, principals
from coditect_tui.core.audit_chain import (
    CHAIN_COLUMNS,
    GENESIS_HASH,
    ChainVerifier,
    CheckpointClaim,
    canonical_details,
)
from coditect_tui.core.backend import ProgressCallback
from coditect_tui.core.contract.audit import READ_ONLY_RECORDS
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import (
    Action,
    AuditEvent,
    AuditEventSpec,
    AuditFilter,
    AuditHead,
    Outcome,
    Page,
    Resource,
    VerifyReport,
    format_ts,
)

A = Resource.AUDIT
_VERIFY_BATCH = 20_000
_EXPORT_BATCH = 1_000
_TEXT_IDS = 50  # principals whose name a text filter may stand for
_SELECT_CHAIN = ", ".join(CHAIN_COLUMNS)
_EVENT_COLUMNS = [audit_events.c[name] for name in AuditEvent.model_fields if name != "names"]
_VERIFY_PG = text(
    f"SELECT {_SELECT_CHAIN} FROM audit_events WHERE tenant_id = :tid AND "
    f"seq > :last AND seq <= :upto ORDER BY seq LIMIT {_VERIFY_BATCH}"
)
#: the chain's last seq and the stored head (seq, hash), read in one statement
_HEAD_AND_END = text(
    "SELECT (SELECT max(seq) FROM audit_events WHERE tenant_id = :tid), "
    "(SELECT seq FROM audit_heads WHERE tenant_id = :tid), "
    "(SELECT hash FROM audit_heads WHERE tenant_id = :tid)"
)


def _event(row: Any) -> AuditEvent:
    return to_model(AuditEvent, row, details=orjson.loads(row.details), names={})


@dataclass(frozen=True)
class _Ids:
    """The pseudonymous ids a filter's names stand for (schema 0011): events written
    since name people by id, older ones by name, so a filter by name matches both."""

    actor: tuple[str, ...] = ()
    resource_id: tuple[str, ...] = ()
    text: tuple[str, ...] = ()


async def _filter_ids(conn: Any, tenant_id: str, flt: AuditFilter | None) -> _Ids:
    """The ids of the names ``flt`` filters by (one query or none)."""
    if flt is None or (flt.actor is None and flt.resource_id is None and not flt.text):
        return _Ids()
    p = principals.c
    exact = [v for v in (flt.actor, flt.resource_id) if v is not None]
    cond: ColumnElement[bool] = p.name.in_(exact)
    if flt.text:
        cond = cond | p.name.icontains(flt.text, autoescape=True)
    rows = (
        await conn.execute(
            select(p.name, p.id).where(p.tenant_id == tenant_id, cond).limit(_TEXT_IDS)
        )
    ).all()

    def of(name: str | None) -> tuple[str, ...]:
        return tuple(pid for n, pid in rows if n == name)

    text_ids = tuple(pid for n, pid in rows if flt.text and flt.text.lower() in n.lower())
    return _Ids(actor=of(flt.actor), resource_id=of(flt.resource_id), text=text_ids)


_NO_IDS = _Ids()


def _where(
    stmt: Select[Any], tenant_id: str, flt: AuditFilter | None, ids: _Ids = _NO_IDS
) -> Select[Any]:
    a = audit_events.c
    stmt = stmt.where(a.tenant_id == tenant_id)
    if flt is None:
        return stmt
    if flt.actor is not None:
        stmt = stmt.where(a.actor.in_((flt.actor, *ids.actor)))
    if flt.action is not None:
        stmt = stmt.where(a.action == flt.action)
    if flt.resource_type is not None:
        stmt = stmt.where(a.resource_type == flt.resource_type)
    if flt.resource_id is not None:
        stmt = stmt.where(a.resource_id.in_((flt.resource_id, *ids.resource_id)))
    if flt.outcome is not None:
        stmt = stmt.where(a.outcome == flt.outcome)
    if flt.min_seq is not None:
        stmt = stmt.where(a.seq >= flt.min_seq)
    if flt.max_seq is not None:
        stmt = stmt.where(a.seq <= flt.max_seq)
    # With an equality filter, walk its (..., seq) index newest first and check the time
    # window row by row: `ts || ''` keeps the planner off the ts index, which would scan the
    # whole window and sort it (70 ms instead of 1 ms on 1M events without statistics).
    has_equality = any(
        v is not None
        for v in (
            flt.actor,
            flt.action,
            flt.resource_type,
            flt.resource_id,
            flt.outcome,
            flt.min_seq,
            flt.max_seq,
        )
    )
    ts = a.ts.concat("") if has_equality else a.ts
    if flt.since is not None:
        stmt = stmt.where(ts >= format_ts(flt.since))
    if flt.until is not None:
        stmt = stmt.where(ts < format_ts(flt.until))
    if flt.text:
        found = (
            a.action.icontains(flt.text, autoescape=True)
            | a.resource_id.icontains(flt.text, autoescape=True)
            | a.details.icontains(flt.text, autoescape=True)
        )
        for pid in ids.text:  # a person's name finds the events naming them by id
            found = found | (a.actor == pid) | a.resource_id.contains(pid)
            found = found | a.details.contains(pid)
        stmt = stmt.where(found)
    return stmt


def _filter_names(flt: AuditFilter | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """How a filter recorded in an event names people: (its actor, a principal; its
    resource id and text, which may be one)."""
    if flt is None:
        return (), ()
    maybe = tuple(v for v in (flt.resource_id, flt.text) if v)
    return ((flt.actor,) if flt.actor else ()), maybe


def import_key(spec: AuditEventSpec, ts: str, details: str) -> str:
    """The idempotency key of an imported event: what makes two imports the same event.

    Args:
        spec: the event.
        ts: its canonical timestamp text.
        details: its canonical details text.
    """
    return hashlib.sha256(
        orjson.dumps(
            {
                "source": spec.source,
                "ts": ts,
                "actor": spec.actor,
                "action": spec.action,
                "resource_id": spec.resource_id,
                "details": orjson.Fragment(details),
            }
        )
    ).hexdigest()


class AuditMixin(StoreBase):
    """Reading, exporting and verifying the tenant's audit chain."""

    async def query_audit(
        self,
        filter: AuditFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = 100,
        ascending: bool = False,
    ) -> Page[AuditEvent]:
        kind = "audit-asc" if ascending else "audit"
        after = cursors.decode(kind, cursor, 1)
        limit = cursors.clamp(limit)
        details = {"filter": filter.model_dump(mode="json", exclude_none=True)} if filter else {}
        names, maybe = _filter_names(filter)
        async with self._op(
            A,
            Action.READ,
            method="query_audit",
            read_details=details,
            names=names,
            known_names=maybe,
        ) as op:
            page = await self._audit_page(op.conn, filter, after, limit, ascending)
        return page

    async def _audit_page(
        self,
        conn: Any,
        flt: AuditFilter | None,
        after: list[Any] | None,
        limit: int,
        ascending: bool,
    ) -> Page[AuditEvent]:
        seq = audit_events.c.seq
        ids = await _filter_ids(conn, self._tid, flt)
        stmt = _where(select(*_EVENT_COLUMNS), self._tid, flt, ids)
        if after:
            stmt = stmt.where(seq > after[0] if ascending else seq < after[0])
        stmt = stmt.order_by(seq.asc() if ascending else seq.desc()).limit(limit + 1)
        rows = (await conn.execute(stmt)).all()
        items = await with_names(conn, self._tid, [_event(r) for r in rows[:limit]])
        kind = "audit-asc" if ascending else "audit"
        more = len(rows) > limit
        return Page(
            items=items, next_cursor=cursors.encode(kind, [items[-1].seq]) if more else None
        )

    async def export_audit(
        self, filter: AuditFilter | None = None
    ) -> AsyncGenerator[AuditEvent, None]:
        names, maybe = _filter_names(filter)
        async with self._op(A, Action.EXPORT, method="export_audit", audit_only=True) as op:
            op.record(
                "audit.export",
                None,
                names=names,
                known_names=maybe,
                filter=filter.model_dump(mode="json", exclude_none=True) if filter else {},
            )
        after: list[Any] | None = None
        while True:
            async with self._tx(write=False) as conn:
                page = await self._audit_page(conn, filter, after, _EXPORT_BATCH, True)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            after = [page.items[-1].seq]

    async def verify_audit(
        self, *, checkpoint: tuple[int, str] | None = None, progress: ProgressCallback | None = None
    ) -> VerifyReport:
        claim = CheckpointClaim(*checkpoint) if checkpoint else None
        async with self._op(A, Action.READ, method="verify_audit") as op:
            # one statement, so one snapshot even under READ COMMITTED: rows appended
            # while the chain is read are past ``upto`` and never compared with this head
            upto, head_seq, head_hash = (
                await op.conn.execute(_HEAD_AND_END, {"tid": self._tid})
            ).one()
            if head_seq is None:
                head_seq, head_hash = 0, GENESIS_HASH
            verifier = ChainVerifier(
                self._tid, head_seq=head_seq, head_hash=head_hash, checkpoint=claim
            )
            total = head_seq
            last = 0
            while True:
                bounds = {"tid": self._tid, "last": last, "upto": upto or 0}
                if self._pg:
                    rows = (await op.conn.execute(_VERIFY_PG, bounds)).all()
                else:
                    rows = (
                        await op.conn.exec_driver_sql(
                            f"SELECT {_SELECT_CHAIN} FROM audit_events WHERE tenant_id = ? AND "
                            f"seq > ? AND seq <= ? ORDER BY seq LIMIT {_VERIFY_BATCH}",
                            (self._tid, last, upto or 0),
                        )
                    ).all()
                if not rows:
                    break
                verifier.feed(rows)
                last = rows[-1][0]
                if progress is not None:
                    progress(verifier.rows, max(total, verifier.rows))
        return verifier.report()

    async def audit_head(self) -> AuditHead:
        async with self._op(A, Action.ADMIN, method="audit_head", audit_only=True) as op:
            op.record("audit.checkpoint", None)
        async with self._tx(write=False) as conn:
            row = (
                await conn.execute(
                    select(audit_heads.c.seq, audit_heads.c.hash).where(
                        audit_heads.c.tenant_id == self._tid
                    )
                )
            ).first()
        seq, digest = (row[0], row[1]) if row else (0, GENESIS_HASH)
        return AuditHead(tenant=self._tenant.name, seq=seq, hash=digest)

    async def authorize_event(
        self, resource: Resource, action: Action, name: str, resource_id: str | None = None
    ) -> None:
        _check_event_name(resource, name)
        async with self._op(
            resource,
            action,
            method="authorize_event",
            target=resource_id,
            denied_as=name,
            read_details={"event": name},
        ):
            pass

    async def record_event(
        self,
        resource: Resource,
        action: Action,
        name: str,
        resource_id: str | None,
        *,
        outcome: Outcome = "ok",
        details: dict[str, Any] | None = None,
    ) -> int:
        _check_event_name(resource, name)
        # a read-only principal's run of a command that changes nothing is recorded as
        # auditors' reads are: an append to the chain, never a change to the tenant's data
        as_read = self.read_only and action == Action.READ and name in READ_ONLY_RECORDS
        async with self._op(
            resource,
            action,
            method="authorize_event" if as_read else "record_event",
            target=resource_id,
            denied_as=name,
            audit_only=as_read,
        ) as op:
            links = await self._link(
                op.conn,
                [
                    PendingEvent(
                        name, resource.value, resource_id, outcome=outcome, details=details or {}
                    )
                ],
            )
        return links[0][0]

    async def import_audit_events(self, events: list[AuditEventSpec]) -> int:
        a = audit_events.c
        async with self._op(A, Action.ADMIN, method="import_audit_events") as op:
            stamped = [(format_ts(ev.ts), ev) for ev in events]
            present: set[str] = set()
            by_source: dict[str, list[str]] = {}
            for ts, ev in stamped:
                by_source.setdefault(ev.source, []).append(ts)
            for source, stamps in by_source.items():
                present.update(
                    (
                        await op.conn.execute(
                            select(a.import_key).where(
                                a.tenant_id == self._tid,
                                a.source == source,
                                a.ts.between(min(stamps), max(stamps)),
                            )
                        )
                    ).scalars()
                )
            pending: list[PendingEvent] = []
            for ts, ev in stamped:
                details = canonical_details(ev.details)
                key = import_key(ev, ts, details)
                if key in present:
                    continue
                present.add(key)
                pending.append(
                    PendingEvent(
                        ev.action,
                        ev.resource_type,
                        ev.resource_id,
                        outcome=ev.outcome,
                        details_text=details,
                        actor=ev.actor,
                        role="imported",
                        ts=ts,
                        source=ev.source,
                        import_key=key,
                    )
                )
            if pending:
                await self._link(op.conn, pending)
                op.record(
                    "audit.import",
                    None,
                    events=len(pending),
                    sources=sorted({p.source for p in pending})[:20],
                )
        return len(pending)


def _check_event_name(resource: Resource, name: str) -> None:
    if not name.startswith(f"{resource.value}.") or len(name) > 100:
        raise InvalidInput(f"event name must start with {resource.value + '.'!r}")
