"""Time-limited grants of the store: extending or shortening a membership's end.

Enforcement of the end lives in ``StoreBase`` (every call checks it); this module holds
the one contract method that changes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coditect_store.base import StoreBase
from coditect_store.schema import members
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.grants import check_grant_expiry
from coditect_tui.core.models import Action, Member, Resource, format_ts
from coditect_tui.core.policy import PRIVILEGED_ROLES


def _ts(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


class GrantsMixin(StoreBase):
    """When memberships end."""

    async def set_member_expiry(self, name: str, expires_at: datetime | None) -> Member:
        async with self._op(
            Resource.MEMBERS,
            Action.UPDATE,
            method="set_member_expiry",
            target=name,
            names=(name,),
        ) as op:
            if name == self._principal:
                raise PermissionDenied("nobody changes their own grant: ask another admin")
            row = await self._one(
                op.conn,
                select(members).where(members.c.tenant_id == self._tid, members.c.name == name),
                f"member {name!r}",
            )
            if row.role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            check_grant_expiry(self._policy, row.role, expires_at, self._clock())
            await op.conn.execute(
                members.update()
                .where(members.c.tenant_id == self._tid, members.c.name == name)
                .values(expires_at=expires_at)
            )
            op.record(
                "members.expiry",
                name,
                names=(name,),
                role=row.role,
                old_expires_at=_ts(row.expires_at),
                expires_at=_ts(expires_at),
            )
        return Member(name=name, role=row.role, created_at=row.created_at, expires_at=expires_at)
