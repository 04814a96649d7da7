"""Tenants, members and API keys of the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.base import StoreBase
from coditect_store.pseudonyms import find_ids
from coditect_store.rows import new_id, to_model, to_models
from coditect_store.schema import api_keys, feature_flags, members, tenants
from coditect_tui.core import api_keys as keyfmt
from coditect_tui.core.errors import ConfigError, Conflict, InvalidInput
from coditect_tui.core.grants import check_grant_expiry
from coditect_tui.core.models import (
    Action,
    ApiKeyInfo,
    Member,
    NewApiKey,
    Principal,
    Resource,
    Scope,
    Tenant,
    format_ts,
    utcnow,
)
from coditect_tui.core.policy import PORTFOLIO, PRIVILEGED_ROLES
from coditect_tui.core.pseudonyms import is_pseudonym

MB = Resource.MEMBERS
K = Resource.API_KEYS


def check_member_name(name: str) -> None:
    """Refuse a name no member may have: empty, or shaped like a pseudonymous id (the
    audit log's readers would take it for one).

    Raises:
        InvalidInput: such a name.
    """
    if not name.strip():
        raise InvalidInput("member name must not be empty")
    if is_pseudonym(name):
        raise InvalidInput(f"{name!r} is shaped like a pseudonymous principal id: choose another")


class MembersMixin(StoreBase):
    """Who may act in the tenant, in which role, and with which keys."""

    async def whoami(self) -> Principal:
        await self._tenant_read("whoami")
        async with self._tx(write=False) as conn:
            ids = await find_ids(conn, self._tid, [self._principal])
        return Principal(
            name=self._principal,
            role=self._role,
            tenant=self._tenant.name,
            read_only=self._read_only,
            expires_at=self._grant_ends,
            id=ids.get(self._principal),
        )

    async def get_tenant(self) -> Tenant:
        await self._tenant_read("get_tenant")
        return self._tenant

    async def list_tenants(self) -> list[Tenant]:
        await self._tenant_read("list_tenants", feature=PORTFOLIO)
        async with self._tx(write=False) as conn:
            if self._pg:  # RLS hides other tenants: the SECURITY DEFINER lookup (0001)
                rows = (
                    await conn.execute(
                        text(
                            "SELECT id, name, display_name, tier, created_at, state FROM "
                            "coditect_principal_tenants(:p)"
                        ),
                        {"p": self._principal},
                    )
                ).all()
                return to_models(Tenant, rows)
            rows = (
                await conn.execute(
                    select(tenants)
                    .join(members, members.c.tenant_id == tenants.c.id)
                    .where(members.c.name == self._principal)
                    .order_by(tenants.c.name)
                )
            ).all()
        return to_models(Tenant, rows)

    async def list_key_tenants(self) -> list[Tenant]:
        """``list_tenants`` as the tenant API answers it: the open tenant only (a key's
        principal is a member of that tenant only), decided by the tier (``portfolio``)
        and audited like ``list_tenants``.

        Returns:
            The open tenant, as a list.

        Raises:
            PermissionDenied: the tier lacks ``portfolio`` (audited as denied).
        """
        await self._tenant_read("list_tenants", feature=PORTFOLIO)
        return [self._tenant]

    def _check_role_name(self, role: str) -> None:
        try:
            self._policy.role(role)
        except ConfigError as exc:
            raise InvalidInput(str(exc)) from None

    async def list_members(self) -> list[Member]:
        async with self._op(MB, Action.READ, method="list_members") as op:
            rows = (
                await op.conn.execute(
                    select(members).where(members.c.tenant_id == self._tid).order_by(members.c.name)
                )
            ).all()
        return to_models(Member, rows)

    async def add_member(
        self, name: str, role: str, *, expires_at: datetime | None = None
    ) -> Member:
        self._check_role_name(role)
        check_member_name(name)
        check_grant_expiry(self._policy, role, expires_at, self._clock())
        async with self._op(
            MB, Action.CREATE, method="add_member", target=name, names=(name,)
        ) as op:
            if role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            await self._check_not_member(op.conn, name, quota=True)
            now = utcnow()
            await op.conn.execute(
                members.insert().values(
                    tenant_id=self._tid, name=name, role=role, created_at=now, expires_at=expires_at
                )
            )
            if expires_at is None:
                op.record("members.create", name, names=(name,), role=role)
            else:
                op.record(
                    "members.create",
                    name,
                    names=(name,),
                    role=role,
                    expires_at=format_ts(expires_at),
                )
        return Member(name=name, role=role, created_at=now, expires_at=expires_at)

    async def _member_row(self, conn: AsyncConnection, name: str) -> Any:
        return await self._one(
            conn,
            select(members).where(members.c.tenant_id == self._tid, members.c.name == name),
            f"member {name!r}",
        )

    async def set_member_role(self, name: str, role: str) -> Member:
        self._check_role_name(role)
        async with self._op(
            MB, Action.UPDATE, method="set_member_role", target=name, names=(name,)
        ) as op:
            row = await self._member_row(op.conn, name)
            old = row.role
            if old in PRIVILEGED_ROLES or role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            if old == "owner" and role != "owner" and await self._owners(op.conn) <= 1:
                raise Conflict("the tenant would be left without an owner")
            if row.expires_at is None and self._policy.role(role).requires_grant_expiry:
                raise InvalidInput(
                    f"{role!r} memberships must have an expiry: set one for {name!r} first"
                )
            await op.conn.execute(
                members.update()
                .where(members.c.tenant_id == self._tid, members.c.name == name)
                .values(role=role)
            )
            op.record("members.update", name, names=(name,), old_role=old, role=role)
        return Member(name=name, role=role, created_at=row.created_at, expires_at=row.expires_at)

    async def remove_member(self, name: str) -> None:
        async with self._op(
            MB, Action.DELETE, method="remove_member", target=name, names=(name,)
        ) as op:
            row = await self._member_row(op.conn, name)
            if row.role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            if row.role == "owner" and await self._owners(op.conn) <= 1:
                raise Conflict("the tenant would be left without an owner")
            await op.conn.execute(
                members.delete().where(members.c.tenant_id == self._tid, members.c.name == name)
            )
            revoked = await op.conn.execute(
                api_keys.update()
                .where(
                    api_keys.c.tenant_id == self._tid,
                    api_keys.c.principal == name,
                    api_keys.c.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            # the member's feature flag overrides go with the membership
            flags = await op.conn.execute(
                feature_flags.delete().where(
                    feature_flags.c.tenant_id == self._tid, feature_flags.c.stakeholder == name
                )
            )
            cleared: dict[str, Any] = {"flags_cleared": flags.rowcount} if flags.rowcount else {}
            op.record(
                "members.delete",
                name,
                names=(name,),
                role=row.role,
                keys_revoked=revoked.rowcount or 0,
                **cleared,
            )
        if cleared:
            await self._load_flags()

    async def create_api_key(
        self,
        *,
        principal: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewApiKey:
        target = principal or self._principal
        if role is not None:
            self._check_role_name(role)
        now = utcnow()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("the expiry is in the past")
        async with self._op(
            K, Action.CREATE, method="create_api_key", target=target, names=(target,)
        ) as op:
            if target != self._principal:
                op.authorize(Action.ADMIN)
            member = await self._member_row(op.conn, target)
            member_role: str = member.role
            key_role = role or member_role
            if not self._policy.is_within(key_role, member_role):
                raise InvalidInput(f"a {key_role!r} key exceeds {target!r}'s role {member_role!r}")
            if self._policy.role(key_role).requires_key_expiry and expires_at is None:
                raise InvalidInput(f"{key_role!r} keys must have an expiry")
            secret = keyfmt.new_key("aud" if self._policy.is_read_only(key_role) else "usr")
            key_id = new_id()
            info = ApiKeyInfo(
                id=key_id,
                prefix=keyfmt.display_prefix(secret),
                principal=target,
                role=key_role,
                created_by=self._principal,
                created_at=now,
                expires_at=expires_at,
            )
            await op.conn.execute(
                api_keys.insert().values(
                    tenant_id=self._tid,
                    key_hash=keyfmt.key_hash(secret),
                    **info.model_dump(exclude={"revoked_at"}),
                )
            )
            op.record(
                "api_keys.create",
                key_id,
                names=(target,),
                principal=target,
                role=key_role,
                prefix=info.prefix,
                expires_at=info.model_dump(mode="json")["expires_at"],
            )
        return NewApiKey(info=info, secret=secret)

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        async with self._op(K, Action.READ, method="list_api_keys") as op:
            stmt = select(api_keys).where(api_keys.c.tenant_id == self._tid)
            if op.scope is Scope.OWN:
                stmt = stmt.where(api_keys.c.principal == self._principal)
            rows = (
                await op.conn.execute(stmt.order_by(api_keys.c.created_at.desc(), api_keys.c.id))
            ).all()
        return to_models(ApiKeyInfo, rows)

    async def revoke_api_key(self, key_id: str) -> ApiKeyInfo:
        async with self._op(K, Action.DELETE, method="revoke_api_key", target=key_id) as op:
            row = await self._one(
                op.conn,
                select(api_keys).where(api_keys.c.tenant_id == self._tid, api_keys.c.id == key_id),
                "API key",
            )
            op.authorize(Action.DELETE, owner=row.principal)
            if row.revoked_at is None:
                await op.conn.execute(
                    api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=utcnow())
                )
                op.record(
                    "api_keys.delete", key_id, names=(row.principal,), principal=row.principal
                )
            result = await self._one(
                op.conn, select(api_keys).where(api_keys.c.id == key_id), "API key"
            )
        return to_model(ApiKeyInfo, result)
