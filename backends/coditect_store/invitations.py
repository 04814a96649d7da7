"""Invitations of the store: one-time tokens that make their holder a member.

Only the token's sha256 is stored. Creating, listing and revoking are authorized like
``add_member``; accepting is authorized by the token alone (the tenant API's
``POST /api/v1/join`` binds a handle to the token's tenant for the invited name, see
``find_invitation``), spends it in the same transaction that adds the membership, and
refuses an unknown, used, revoked or expired token with one message.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coditect_store.base import StoreBase
from coditect_store.chain import PendingEvent
from coditect_store.db_errors import map_db_error
from coditect_store.members import check_member_name
from coditect_store.rows import lookup_tenant, new_id, to_model
from coditect_store.schema import api_keys, invitations, members
from coditect_tui.core import api_keys as keyfmt
from coditect_tui.core import invitations as inv
from coditect_tui.core.errors import (
    BackendError,
    ConfigError,
    Conflict,
    InvalidInput,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.grants import check_grant_expiry
from coditect_tui.core.invitations import Invitation, Joined, NewInvitation
from coditect_tui.core.models import (
    Action,
    ApiKeyInfo,
    NewApiKey,
    Resource,
    Tenant,
    format_ts,
)
from coditect_tui.core.policy import PRIVILEGED_ROLES

MB = Resource.MEMBERS


def _ts(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


class InvitationsMixin(StoreBase):
    """Invitations to the tenant."""

    def _pending(self) -> Any:
        return (
            (invitations.c.tenant_id == self._tid)
            & invitations.c.used_at.is_(None)
            & invitations.c.revoked_at.is_(None)
            & (invitations.c.valid_until > self._clock())
        )

    async def create_invitation(
        self,
        name: str,
        role: str,
        *,
        expires_at: datetime | None = None,
        valid_for: timedelta = inv.DEFAULT_VALIDITY,
    ) -> NewInvitation:
        try:
            self._policy.role(role)
        except ConfigError as exc:
            raise InvalidInput(str(exc)) from None
        check_member_name(name)
        inv.check_validity(valid_for)
        now = self._clock()
        check_grant_expiry(self._policy, role, expires_at, now)
        valid_until = now + valid_for
        if expires_at is not None and expires_at < valid_until:
            raise InvalidInput(
                "the membership would end before the invitation does: shorten --valid "
                "or move the expiry later"
            )
        async with self._op(
            MB,
            Action.CREATE,
            method="create_invitation",
            target=name,
            denied_as="members.invite",
            names=(name,),
        ) as op:
            if role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            if not self._policy.is_within(role, self._role):
                raise PermissionDenied(
                    f"a {self._role!r} may not invite to the role {role!r} (above their own)"
                )
            await self._check_not_member(op.conn, name)
            pending = (
                await op.conn.execute(
                    select(invitations.c.id).where(self._pending(), invitations.c.name == name)
                )
            ).first()
            if pending:
                raise Conflict(
                    f"{name!r} already has a pending invitation ({pending.id}): revoke it first"
                )
            token = inv.new_token()
            info = Invitation(
                id=new_id(),
                name=name,
                role=role,
                expires_at=expires_at,
                valid_until=valid_until,
                prefix=inv.display_prefix(token),
                created_by=self._principal,
                created_at=now,
            )
            await op.conn.execute(
                invitations.insert().values(
                    tenant_id=self._tid, token_hash=inv.token_hash(token), **info.model_dump()
                )
            )
            op.record(
                "members.invite",
                info.id,
                names=(name,),
                name=name,
                role=role,
                prefix=info.prefix,
                expires_at=_ts(expires_at),
                valid_until=format_ts(valid_until),
            )
        return NewInvitation(info=info, token=token)

    async def list_invitations(self) -> list[Invitation]:
        async with self._op(MB, Action.READ, method="list_invitations") as op:
            # those who may invite may list (a read: allowed on a read-only handle too)
            if self._policy.is_read_only(self._role):
                raise PermissionDenied(f"a {self._role!r} does not list invitations")
            self._policy.authorize(
                role=self._role,
                principal=self._principal,
                tier=self._subject,
                resource=MB,
                action=Action.CREATE,
                read_only=False,
            )
            rows = (
                await op.conn.execute(
                    select(*(invitations.c[f] for f in Invitation.model_fields))
                    .where(self._pending())
                    .order_by(invitations.c.created_at.desc(), invitations.c.id)
                )
            ).all()
        return [to_model(Invitation, row) for row in rows]

    async def revoke_invitation(self, invitation_id: str) -> None:
        async with self._op(
            MB,
            Action.CREATE,
            method="revoke_invitation",
            target=invitation_id,
            denied_as="members.invite_revoke",
        ) as op:
            row = await self._one(
                op.conn,
                select(invitations).where(self._pending(), invitations.c.id == invitation_id),
                f"pending invitation {invitation_id!r}",
            )
            if row.role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            await op.conn.execute(
                invitations.update()
                .where(invitations.c.id == invitation_id)
                .values(revoked_at=self._clock())
            )
            op.record(
                "members.invite_revoke",
                invitation_id,
                names=(row.name,),
                name=row.name,
                role=row.role,
            )

    async def accept_invitation(self, token: str) -> Joined:
        digest = inv.token_hash(token)
        denied: Any = None
        joined: Joined | None = None
        refused: ReadOnly | None = None
        async with self._tx(write=True) as conn:
            row: Any = (
                await conn.execute(
                    select(invitations).where(
                        invitations.c.tenant_id == self._tid, invitations.c.token_hash == digest
                    )
                )
            ).first()
            # the lookup was by hash; compare again in constant time all the same
            found = row is not None and secrets.compare_digest(row.token_hash, digest)
            # a read-only handle refuses, unless it is the tenant API's handle of the
            # invited principal itself (an auditor's invitation binds a read-only one)
            if self._read_only and not (found and row.name == self._principal):
                refused = ReadOnly("read-only: accept_invitation is refused")
            now = self._clock()
            if refused is not None:
                pass
            elif found and (
                row.used_at is not None or row.revoked_at is not None or row.valid_until <= now
            ):
                denied = row
            elif found:
                joined = await self._join(conn, row, now)
        if refused is not None:
            await self._record_denial("members.join", None, "accept_invitation", refused)
            raise refused
        if denied is not None:
            why = "used" if denied.used_at else "revoked" if denied.revoked_at else "expired"
            # the refusal stands even when its record cannot be written
            with contextlib.suppress(BackendError):
                await self.append_events(
                    [
                        PendingEvent(
                            "members.join",
                            "members",
                            denied.name,
                            outcome="denied",
                            details={"invitation": denied.id, "reason": why},
                            actor=denied.name,
                            role=denied.role,
                        )
                    ]
                )
        if joined is None:
            raise PermissionDenied(inv.INVALID_TOKEN)
        return joined

    async def _join(self, conn: AsyncConnection, row: Any, now: datetime) -> Joined:
        """Spend the invitation ``row`` and add its membership and first key, in ``conn``'s
        transaction."""
        spent = await conn.execute(
            invitations.update()
            .where(invitations.c.id == row.id, invitations.c.used_at.is_(None))
            .values(used_at=now)
        )
        if spent.rowcount != 1:  # spent by a concurrent acceptance
            raise PermissionDenied(inv.INVALID_TOKEN)
        await self._check_not_member(conn, row.name, quota=True)
        await conn.execute(
            members.insert().values(
                tenant_id=self._tid,
                name=row.name,
                role=row.role,
                created_at=now,
                expires_at=row.expires_at,
            )
        )
        secret = keyfmt.new_key("aud" if self._policy.is_read_only(row.role) else "usr")
        info = ApiKeyInfo(
            id=new_id(),
            prefix=keyfmt.display_prefix(secret),
            principal=row.name,
            role=row.role,
            created_by=row.name,
            created_at=now,
            expires_at=row.expires_at,
        )
        await conn.execute(
            api_keys.insert().values(
                tenant_id=self._tid,
                key_hash=keyfmt.key_hash(secret),
                **info.model_dump(exclude={"revoked_at"}),
            )
        )
        who = {"actor": row.name, "role": row.role}
        await self._link(
            conn,
            [
                PendingEvent(
                    "members.join",
                    "members",
                    row.name,
                    details={
                        "invitation": row.id,
                        "role": row.role,
                        "invited_by": row.created_by,
                        "expires_at": _ts(row.expires_at),
                    },
                    names=(row.created_by,),
                    **who,
                ),
                PendingEvent(
                    "api_keys.create",
                    "api_keys",
                    info.id,
                    details={"principal": row.name, "role": row.role, "prefix": info.prefix},
                    names=(row.name,),
                    **who,
                ),
            ],
        )
        return Joined(
            tenant=self._tenant,
            principal=row.name,
            role=row.role,
            expires_at=row.expires_at,
            key=NewApiKey(info=info, secret=secret),
        )


_PG_INVITATION = text("SELECT * FROM coditect_invitation(:h)")
_SQLITE_INVITATION = text(
    "SELECT i.tenant_id, t.name AS tenant_name, t.display_name, t.tier, "
    "t.created_at AS tenant_created_at, i.name, i.role, t.state AS tenant_state "
    "FROM invitations i JOIN tenants t ON t.id = i.tenant_id WHERE i.token_hash = :h"
)


async def find_invitation(engine: AsyncEngine, token: str) -> tuple[Tenant, str, str] | None:
    """The tenant, invited name and role of a token, before any tenant is known (the
    tenant API's join; on PostgreSQL through the SECURITY DEFINER lookup of 0008).

    Whether the token can still be used is decided by ``accept_invitation``.

    Args:
        engine: the server's engine.
        token: the invitation's token.

    Returns:
        (tenant, name, role), or None for an unknown token.

    Raises:
        BackendUnavailable: the database cannot be reached.
    """
    digest = inv.token_hash(token)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = await conn.execution_options(coditect_autocommit=True)
                row: Row[Any] | None = (await conn.execute(_PG_INVITATION, {"h": digest})).first()
            else:
                row = (await conn.execute(_SQLITE_INVITATION.bindparams(h=digest))).first()
                await conn.rollback()
    except (OperationalError, DBAPIError) as exc:
        raise map_db_error(exc) from None
    if row is None:
        return None
    return lookup_tenant(row), row.name, row.role
