"""Tenant lifecycle: a platform administrator creates tenants and moves them through
their states (docs/security.md, "Tenant lifecycle"); ``StoreBase._check_state`` is what
every call of a tenant then meets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coditect_store.base import StoreBase
from coditect_store.chain import PendingEvent, link_events
from coditect_store.principals import PG_TENANT_BY_NAME
from coditect_store.rows import new_id, to_model
from coditect_store.schema import members, tenants
from coditect_tui.core import limits as lim
from coditect_tui.core.errors import (
    ConfigError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.models import TENANT_STATES, Tenant, TenantState, utcnow

#: The role recorded as the actor's in the chain of the tenant a platform administrator
#: acts on (it holds no role there).
PLATFORM_ADMIN_ROLE = "platform-admin"

#: The audit verb of a move into each state (``tenants.<verb>``).
STATE_VERBS: dict[str, str] = {
    "active": "resume",
    "suspended": "suspend",
    "offboarded": "offboard",
    "archived": "archive",
}

#: The moves the lifecycle allows, from each state.
STATE_MOVES: dict[str, frozenset[str]] = {
    "active": frozenset({"suspended", "offboarded"}),
    "suspended": frozenset({"active", "offboarded"}),
    "offboarded": frozenset({"active", "archived"}),
    "archived": frozenset(),
}

_TENANT_NAME = 100  # tenants.name


def _text(value: str, what: str, limit: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise InvalidInput(f"{what} must not be empty")
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise InvalidInput(f"{what} must be at most {limit} printable characters")
    return value


class LifecycleMixin(StoreBase):
    """``create_tenant`` and ``set_tenant_state`` (a platform administrator's)."""

    async def _platform_check(self, name: str, target: str, method: str) -> None:
        """Refuse (and audit in the open tenant as ``name`` denied) unless this handle is
        a platform administrator's, writable, in a tenant that may act.

        Raises:
            PermissionDenied: not a platform administrator, an expired membership, or
                the open tenant's state forbids it (``ReadOnly``: read-only).
        """
        try:
            await self._check_grant()
            await self._check_state(method, write=True)
            if self._read_only:
                raise ReadOnly(f"read-only: {method} is refused")
            if not self._platform_admin:
                raise PermissionDenied(
                    f"{self._principal!r} is not a platform administrator: {method} is refused"
                )
        except PermissionDenied as exc:
            await self._record_denial(name, target, method, exc)
            raise

    async def _tenant_row(self, name: str) -> Any:
        """The row of the tenant ``name`` (any tenant; on PostgreSQL through the SECURITY
        DEFINER lookup), or None."""
        async with self._tx(write=False) as conn:
            if self._pg:
                return (await conn.execute(PG_TENANT_BY_NAME, {"name": name})).first()
            return (await conn.execute(select(tenants).where(tenants.c.name == name))).first()

    async def create_tenant(
        self, name: str, *, tier: str, owner: str, display_name: str | None = None
    ) -> Tenant:
        name = _text(name, "tenant name", _TENANT_NAME)
        owner = _text(owner, "owner", lim.NAME)
        title = _text(display_name, "display name", 200) if display_name is not None else name
        try:
            self._policy.tier(tier)
        except ConfigError as exc:
            raise InvalidInput(str(exc)) from None
        await self._platform_check("tenants.create", name, "create_tenant")
        if await self._tenant_row(name) is not None:
            raise Conflict(f"tenant {name!r} already exists")
        tenant = Tenant(id=new_id(), name=name, display_name=title, tier=tier, created_at=utcnow())
        async with self._tx(write=True, tenant_id=tenant.id) as conn:
            await conn.execute(tenants.insert().values(**tenant.model_dump()))
            await conn.execute(
                members.insert().values(
                    tenant_id=tenant.id, name=owner, role="owner", created_at=tenant.created_at
                )
            )
            await link_events(
                conn,
                [
                    PendingEvent(
                        "tenants.create",
                        "tenants",
                        tenant.id,
                        details={"name": name, "tier": tier, "owner": owner},
                        names=(owner,),
                    ),
                    PendingEvent(
                        "members.create",
                        "members",
                        owner,
                        details={"role": "owner"},
                        names=(owner,),
                    ),
                ],
                tenant_id=tenant.id,
                principal=self._principal,
                role=PLATFORM_ADMIN_ROLE,
            )
        return tenant

    async def set_tenant_state(self, name: str, state: TenantState) -> Tenant:
        if state not in TENANT_STATES:
            raise InvalidInput(
                f"unknown tenant state {state!r} (one of {', '.join(TENANT_STATES)})"
            )
        verb = STATE_VERBS[state]
        await self._platform_check(f"tenants.{verb}", name, "set_tenant_state")
        if name == self._tenant.name:
            raise InvalidInput(
                f"tenant {name!r} is the one you act in: change its state from another tenant"
            )
        found = await self._tenant_row(name)
        if found is None:
            raise NotFound(f"tenant {name!r} does not exist")
        async with self._tx(write=True, tenant_id=found.id) as conn:
            row = (await conn.execute(select(tenants).where(tenants.c.id == found.id))).one()
            old = row.state
            if old != state:
                if state not in STATE_MOVES.get(old, frozenset()):
                    raise Conflict(f"tenant {name!r} is {old}: it cannot be made {state}")
                await conn.execute(
                    tenants.update().where(tenants.c.id == found.id).values(state=state)
                )
                await link_events(
                    conn,
                    [
                        PendingEvent(
                            f"tenants.{verb}",
                            "tenants",
                            found.id,
                            details={"name": name, "from": old, "to": state},
                        )
                    ],
                    tenant_id=found.id,
                    principal=self._principal,
                    role=PLATFORM_ADMIN_ROLE,
                )
        return to_model(Tenant, row, state=state)
