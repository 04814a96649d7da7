"""The tenant's usage against its tier's quotas (counts over the tenant's rows)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import Table, func, select

from coditect_store.base import StoreBase
from coditect_store.schema import (
    api_calls,
    audit_heads,
    git_sessions,
    members,
    memory_entries,
    projects,
    repos,
)
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.models import (
    API_CALL_DAYS,
    Action,
    ApiCalls,
    ApiCallsDay,
    Resource,
    Usage,
)


def _quota(limit: int) -> int | None:
    return None if limit == -1 else limit


class UsageMixin(StoreBase):
    """What the tenant holds."""

    async def usage(self) -> Usage:
        async with self._op(
            Resource.MEMBERS, Action.READ, method="usage", denied_as="members.usage"
        ) as op:
            # an administrator's view (those who may change the membership), and still
            # a read: a read-only owner sees it
            if self._policy.scope(self._role, Resource.MEMBERS, Action.UPDATE) is None:
                raise PermissionDenied(
                    f"role {self._role!r} may not read the tenant's usage (owners and admins)"
                )
            conn = op.conn

            async def count(table: Table) -> int:
                query = select(func.count()).select_from(table)
                return int(
                    (await conn.execute(query.where(table.c.tenant_id == self._tid))).scalar_one()
                )

            memory = (
                await conn.execute(
                    select(func.count(), func.coalesce(func.sum(memory_entries.c.size), 0)).where(
                        memory_entries.c.tenant_id == self._tid
                    )
                )
            ).one()
            head = (
                await conn.execute(
                    select(audit_heads.c.seq).where(audit_heads.c.tenant_id == self._tid)
                )
            ).scalar()
            tier = self._policy.tier(self._tenant.tier)
            quotas = tier.quotas
            return Usage(
                tier=self._tenant.tier,
                projects=await count(projects),
                projects_quota=_quota(quotas.projects),
                members=await count(members),
                members_quota=_quota(quotas.members),
                repos=await count(repos),
                sessions=await count(git_sessions),
                memory_documents=int(memory[0]),
                memory_bytes=int(memory[1]),
                audit_events=int(head or 0),
                api_calls=await self._api_calls(conn, tier.rate_limits.requests_per_minute)
                if self._serves_api
                else None,
            )

    async def _api_calls(self, conn: Any, per_minute: int) -> ApiCalls:
        """The last API_CALL_DAYS UTC days of the server's flushed counts."""
        today = self._clock().astimezone(UTC).date()
        days = [today - timedelta(days=n) for n in range(API_CALL_DAYS - 1, -1, -1)]
        rows = await conn.execute(
            select(api_calls.c.day, api_calls.c.calls).where(
                api_calls.c.tenant_id == self._tid, api_calls.c.day >= days[0].isoformat()
            )
        )
        counted = {day: int(calls) for day, calls in rows.all()}
        return ApiCalls(
            days=[ApiCallsDay(day=d, calls=counted.get(d.isoformat(), 0)) for d in days],
            per_minute_limit=_quota(per_minute),
        )
