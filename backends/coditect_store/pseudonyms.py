"""The tenant's pseudonymous principal ids (table ``principals``, migration 0011).

``ids_of`` finds or creates the id of each name inside the audit append's transaction
(the tenant's writes are serialised, so two appends never race for one name); ``names_of``
gives readers the name of each id, or its erased label.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.schema import principals
from coditect_tui.core.models import AuditEvent, utcnow
from coditect_tui.core.pseudonyms import erased_label, mentioned, new_pseudonym

_CHUNK = 500  # names or ids per IN list


def _chunks(values: Collection[str]) -> Iterable[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


async def find_ids(conn: AsyncConnection, tenant_id: str, names: Collection[str]) -> dict[str, str]:
    """The ids of those of ``names`` that have one (name -> id); creates nothing."""
    p = principals.c
    found: dict[str, str] = {}
    for chunk in _chunks(names):
        rows = await conn.execute(
            select(p.name, p.id).where(p.tenant_id == tenant_id, p.name.in_(chunk))
        )
        found.update({name: pid for name, pid in rows.all()})
    return found


async def ids_of(conn: AsyncConnection, tenant_id: str, names: Collection[str]) -> dict[str, str]:
    """The id of each of ``names`` (name -> id), creating the missing ones, inside
    ``conn``'s write transaction of the tenant."""
    found = await find_ids(conn, tenant_id, names)
    missing = [name for name in names if name not in found]
    if missing:
        now = utcnow()
        fresh = {name: new_pseudonym() for name in missing}
        await conn.execute(
            principals.insert(),
            [
                {"tenant_id": tenant_id, "id": pid, "name": name, "created_at": now}
                for name, pid in fresh.items()
            ],
        )
        found.update(fresh)
    return found


async def names_of(conn: AsyncConnection, tenant_id: str, ids: Collection[str]) -> dict[str, str]:
    """What to show for each of ``ids`` that is a principal of the tenant: the name, or
    ``erased principal #<id>`` once erased (id -> text)."""
    p = principals.c
    shown: dict[str, str] = {}
    for chunk in _chunks(ids):
        rows = await conn.execute(
            select(p.id, p.name).where(p.tenant_id == tenant_id, p.id.in_(chunk))
        )
        shown.update({pid: name if name is not None else erased_label(pid) for pid, name in rows})
    return shown


def event_ids(event: AuditEvent) -> set[str]:
    """The principal ids an event mentions (actor, resource id, details)."""
    return mentioned([event.actor, event.resource_id, event.details])


async def with_names(
    conn: AsyncConnection, tenant_id: str, events: list[AuditEvent]
) -> list[AuditEvent]:
    """``events`` with their ``names`` filled in (one query per batch)."""
    wanted: dict[int, set[str]] = {}
    for i, event in enumerate(events):
        ids = event_ids(event)
        if ids:
            wanted[i] = ids
    if not wanted:
        return events
    shown = await names_of(conn, tenant_id, set().union(*wanted.values()))
    out = list(events)
    for i, ids in wanted.items():
        names = {pid: shown[pid] for pid in ids if pid in shown}
        if names:
            out[i] = events[i].model_copy(update={"names": names})
    return out
