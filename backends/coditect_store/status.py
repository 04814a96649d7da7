"""Status snapshots of the store (the history behind dashboards and trends)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, tuple_

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.rows import new_id, to_model
from coditect_store.schema import status_snapshots
from coditect_tui.core.models import (
    Action,
    Page,
    Resource,
    StatusSnapshot,
    StatusSnapshotSpec,
    format_ts,
    utcnow,
)

ST = Resource.STATUS


def _snapshot(row: Any) -> StatusSnapshot:
    return to_model(
        StatusSnapshot, row, summary=orjson.loads(row.summary), repos=orjson.loads(row.repos)
    )


class StatusMixin(StoreBase):
    """Recorded status runs."""

    async def record_status(self, spec: StatusSnapshotSpec) -> StatusSnapshot:
        async with self._op(ST, Action.CREATE, method="record_status") as op:
            snapshot_id = new_id()
            await op.conn.execute(
                status_snapshots.insert().values(
                    id=snapshot_id,
                    tenant_id=self._tid,
                    taken_at=utcnow(),
                    source=spec.source,
                    summary=orjson.dumps(spec.summary).decode(),
                    repos=orjson.dumps(spec.repos).decode(),
                    created_by=self._principal,
                )
            )
            op.record("status.create", snapshot_id, source=spec.source, repos=len(spec.repos))
            row = await self._one(
                op.conn,
                select(status_snapshots).where(status_snapshots.c.id == snapshot_id),
                "snapshot",
            )
        return _snapshot(row)

    async def list_status(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[StatusSnapshot]:
        after = cursors.decode("status", cursor, 2)
        limit = cursors.clamp(limit)
        async with self._op(ST, Action.READ, method="list_status") as op:
            t = status_snapshots.c
            stmt = select(status_snapshots).where(t.tenant_id == self._tid)
            if since is not None:
                stmt = stmt.where(t.taken_at >= since)
            if until is not None:
                stmt = stmt.where(t.taken_at < until)
            if after:
                stmt = stmt.where(tuple_(t.taken_at, t.id) < tuple_(*after))
            rows = (
                await op.conn.execute(
                    stmt.order_by(t.taken_at.desc(), t.id.desc()).limit(limit + 1)
                )
            ).all()
        items = [_snapshot(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(
            items=items,
            next_cursor=cursors.encode("status", [format_ts(items[-1].taken_at), items[-1].id])
            if more
            else None,
        )

    async def prune_status(self, before: datetime) -> int:
        async with self._op(ST, Action.DELETE, method="prune_status") as op:
            result = await op.conn.execute(
                status_snapshots.delete().where(
                    status_snapshots.c.tenant_id == self._tid, status_snapshots.c.taken_at < before
                )
            )
            deleted = result.rowcount or 0
            op.record("status.delete", None, before=format_ts(before), deleted=deleted)
        return deleted
