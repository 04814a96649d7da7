"""Who a handle acts as: find the tenant and the membership, provisioning them if asked.

SQLite and PostgreSQL differ only in how the tenant is found (on PostgreSQL row-level
security hides every tenant row until a tenant is set, so a SECURITY DEFINER function
looks it up by name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coditect_store.chain import PendingEvent, link_events
from coditect_store.db_errors import map_db_error, orig_message
from coditect_store.plugin_events import announce, plugin_events, plugins_listen, stamp
from coditect_store.rows import new_id, to_model
from coditect_store.schema import members, tenants
from coditect_tui.core.contract.opening import Provision
from coditect_tui.core.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from coditect_tui.core.models import Tenant, utcnow
from coditect_tui.core.policy import Policy

__all__ = [
    "PG_TENANT_BY_NAME",
    "Provision",
    "Resolved",
    "acting_role",
    "resolve_principal",
    "resolve_principal_pg",
]


class Resolved(NamedTuple):
    """Who a handle acts as: the tenant, the acting role, and when the membership ends
    (None: it does not)."""

    tenant: Tenant
    role: str
    expires_at: datetime | None


async def resolve_principal(
    engine: AsyncEngine,
    tenant_name: str,
    principal: str,
    provision: Provision | None,
    *,
    read_only: bool,
    policy: Policy,
) -> Resolved:
    """Find (or provision) the tenant and the principal's role in it (SQLite).

    Returns:
        The tenant, the role the handle acts in and the membership's end.

    Raises:
        NotFound: the tenant does not exist (and is not provisioned).
        PermissionDenied: the principal is not a member (and is not provisioned).
        BackendUnavailable: the database cannot be read.
    """

    async def lookup(conn: AsyncConnection) -> tuple[Any, Any]:
        tenant_row = (
            await conn.execute(select(tenants).where(tenants.c.name == tenant_name))
        ).first()
        member = None
        if tenant_row is not None:
            member = (
                await conn.execute(
                    select(members.c.role, members.c.expires_at).where(
                        members.c.tenant_id == tenant_row.id, members.c.name == principal
                    )
                )
            ).first()
        return tenant_row, member

    try:
        async with engine.connect() as conn, conn.begin():
            tenant_row, member = await lookup(conn)
        if (tenant_row is None or member is None) and provision is not None and not read_only:
            async with engine.connect() as conn:
                await conn.execution_options(coditect_write=True)
                async with conn.begin():
                    tenant_row, member = await lookup(conn)
                    told = await _provision(
                        conn, tenant_row, member, tenant_name, principal, provision
                    )
                    tenant_row, member = await lookup(conn)
            announce(told)
    except (OperationalError, DBAPIError) as exc:
        raise map_db_error(exc) from None
    return _resolved(tenant_row, member, tenant_name, principal, provision, policy)


def _resolved(
    tenant_row: Any,
    member: Any,
    tenant_name: str,
    principal: str,
    provision: Provision | None,
    policy: Policy,
) -> Resolved:
    """The tenant, acting role and membership end once the lookups (and any provisioning) are done.

    Raises:
        NotFound: no tenant.
        InvalidInput: a ``new_tenant_only`` provision whose tier is not the tenant's.
        PermissionDenied: no membership.
    """
    if tenant_row is None:
        raise NotFound(f"tenant {tenant_name!r} does not exist in this store")
    bootstrap = provision is not None and provision.new_tenant_only
    if bootstrap and provision is not None and tenant_row.tier != provision.tier:
        raise InvalidInput(
            f"tenant {tenant_name!r} already exists in tier {tenant_row.tier!r}, "
            f"not {provision.tier!r} (its tier is not changed here)"
        )
    if member is None:
        hint = " (it already exists: only a new tenant gets its first owner here)"
        raise PermissionDenied(
            f"{principal!r} is not a member of tenant {tenant_name!r}{hint if bootstrap else ''}"
        )
    return Resolved(
        to_model(Tenant, tenant_row),
        acting_role(policy, provision, member.role),
        member.expires_at,
    )


def acting_role(policy: Policy, provision: Provision | None, member_role: str) -> str:
    """The role a handle acts in: the membership's, or the profile's when it asks for less.

    A local profile may act with fewer rights than its membership grants (an owner opening
    as auditor) but never with more: a profile saying ``owner`` in a tenant where the
    principal is a consultant acts as a consultant.
    """
    if provision is None or provision.role == member_role:
        return member_role
    return provision.role if policy.is_within(provision.role, member_role) else member_role


async def _provision(
    conn: AsyncConnection,
    tenant_row: Any,
    member: Any,
    tenant_name: str,
    principal: str,
    provision: Provision,
    tenant_id: str | None = None,
) -> list[tuple[str, Any]]:
    """Create the missing tenant and/or membership inside ``conn``'s write transaction, and
    audit both (the creator of a new tenant is its owner). A ``new_tenant_only`` provision
    adds nobody to a tenant that exists (it may have appeared since the first lookup), and
    no provision adds anybody to a tenant that is not active.
    Returns what to announce to plugins once the transaction commits."""
    if tenant_row is not None and (provision.new_tenant_only or tenant_row.state != "active"):
        return []  # nobody joins a suspended, offboarded or archived tenant by opening it
    now = utcnow()
    events: list[PendingEvent] = []
    if tenant_row is None:
        tenant_id = tenant_id or new_id()
        await conn.execute(
            tenants.insert().values(
                id=tenant_id,
                name=tenant_name,
                display_name=provision.display_name,
                tier=provision.tier,
                created_at=now,
            )
        )
        events.append(
            PendingEvent(
                "tenants.create",
                "tenants",
                tenant_id,
                details={"name": tenant_name, "tier": provision.tier},
            )
        )
        role = "owner"
    else:
        tenant_id = tenant_row.id
        role = provision.role
    if member is None:
        await conn.execute(
            members.insert().values(tenant_id=tenant_id, name=principal, role=role, created_at=now)
        )
        events.append(
            PendingEvent(
                "members.create", "members", principal, details={"role": role, "provisioned": True}
            )
        )
    listening = plugins_listen()
    if listening:
        stamp(events)
    links = await link_events(
        conn, events, tenant_id=str(tenant_id), principal=principal, role=provision.role
    )
    return plugin_events(tenant_name, principal, events, links) if listening else []


_PG_BEGIN_WRITE = text(
    "SELECT set_config('app.tenant_id', :tid, true), "
    "pg_advisory_xact_lock(hashtext('coditect-tenant:' || :tid))"
)
PG_TENANT_BY_NAME = text(
    "SELECT id, name, display_name, tier, created_at FROM coditect_tenant_by_name(:name)"
)
_PG_SET_TENANT = text("SELECT set_config('app.tenant_id', :tid, true)")
_PG_LOCK_NAME = text("SELECT pg_advisory_xact_lock(hashtext('coditect-tenant-name:' || :name))")


async def resolve_principal_pg(
    engine: AsyncEngine,
    tenant_name: str,
    principal: str,
    provision: Provision | None,
    *,
    read_only: bool,
    policy: Policy,
) -> Resolved:
    """``resolve_principal`` for PostgreSQL, where RLS hides every tenant row until a tenant
    is set: the tenant is found by name through the SECURITY DEFINER function
    ``coditect_tenant_by_name`` (migration 0001), then the membership is read under RLS."""

    async def lookup(conn: AsyncConnection) -> tuple[Any, Any]:
        tenant_row = (await conn.execute(PG_TENANT_BY_NAME, {"name": tenant_name})).first()
        member = None
        if tenant_row is not None:
            tid = tenant_row.id
            await conn.execute(_PG_SET_TENANT, {"tid": tid})
            # the whole row (with its lifecycle state, 0007), now visible under RLS
            tenant_row = (await conn.execute(select(tenants).where(tenants.c.id == tid))).first()
            member = (
                await conn.execute(
                    select(members.c.role, members.c.expires_at).where(
                        members.c.tenant_id == tid, members.c.name == principal
                    )
                )
            ).first()
        return tenant_row, member

    try:
        async with engine.connect() as conn, conn.begin():
            tenant_row, member = await lookup(conn)
        if (tenant_row is None or member is None) and provision is not None and not read_only:
            async with engine.connect() as conn, conn.begin():
                # one provisioner per tenant name at a time (the name is unique anyway)
                await conn.execute(_PG_LOCK_NAME, {"name": tenant_name})
                tenant_row, member = await lookup(conn)
                tenant_id = tenant_row.id if tenant_row is not None else new_id()
                await conn.execute(_PG_BEGIN_WRITE, {"tid": tenant_id})
                told = await _provision(
                    conn,
                    tenant_row,
                    member,
                    tenant_name,
                    principal,
                    provision,
                    tenant_id=tenant_id,
                )
                tenant_row, member = await lookup(conn)
            announce(told)
    except IntegrityError as exc:
        raise Conflict(f"conflicts with existing data: {orig_message(exc)}") from None
    except (OperationalError, DBAPIError) as exc:
        raise map_db_error(exc) from None
    except OSError as exc:
        raise BackendUnavailable(f"the database cannot be reached: {exc}") from None
    return _resolved(tenant_row, member, tenant_name, principal, provision, policy)
