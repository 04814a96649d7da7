"""The tenant export of the store: every kind of record, or one person's (subject access)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, or_, select, text

from coditect_store.audit import _event
from coditect_store.base import StoreBase
from coditect_store.memory import _entry, fts_rowid
from coditect_store.pseudonyms import find_ids, with_names
from coditect_store.rows import to_model
from coditect_store.schema import (
    audit_events,
    git_sessions,
    members,
    memory_entries,
    memory_fts_pg,
    projects,
    repos,
    status_snapshots,
)
from coditect_store.sessions import _session
from coditect_store.status import _snapshot
from coditect_tui.core.backend import OMITTED, ExportKind, ExportOmission, TenantRecord
from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.models import Action, Member, Project, Repo, Resource, Scope

_BATCH = 1_000
#: What each kind needs beyond audit.export (the export's own right): a kind the tier or
#: the role does not allow is left out and named (decided before any row is read).
_NEEDS: dict[ExportKind, tuple[Resource, Action]] = {
    "members": (Resource.MEMBERS, Action.READ),
    "projects": (Resource.PROJECTS, Action.READ),
    "repos": (Resource.REPOS, Action.READ),
    "sessions": (Resource.SESSIONS, Action.READ),
    "memory": (Resource.MEMORY, Action.EXPORT),
    "status": (Resource.STATUS, Action.READ),
}


def _sources() -> list[tuple[ExportKind, Table, str, Callable[[Any], Any]]]:
    """(kind, table, keyset column, row -> model), in the order of EXPORT_KINDS."""
    return [
        ("members", members, "name", lambda r: to_model(Member, r)),
        ("projects", projects, "id", lambda r: to_model(Project, r)),
        ("repos", repos, "id", lambda r: to_model(Repo, r)),
        ("sessions", git_sessions, "id", _session),
        ("memory", memory_entries, "id", _entry),
        ("status", status_snapshots, "id", _snapshot),
        ("audit", audit_events, "seq", _event),
    ]


def _person_filter(table: Table, person: str, ids: Sequence[str]) -> ColumnElement[bool]:
    if table is members:
        return members.c.name == person
    if table is audit_events:  # by name before schema 0011, by pseudonymous id since
        return or_(
            audit_events.c.actor.in_((person, *ids)), audit_events.c.resource_id.in_((person, *ids))
        )
    return table.c.created_by == person


class ExportMixin(StoreBase):
    """The tenant export (``Backend.export_tenant``)."""

    async def _bodies(self, conn: Any, rows: Sequence[Any]) -> dict[str, str]:
        """The indexed text of the memory entries ``rows`` (one statement)."""
        ids = [row.id for row in rows]
        if not ids:
            return {}
        if self._pg:
            f = memory_fts_pg.c
            stmt = select(f.entry_id, f.body).where(f.tenant_id == self._tid, f.entry_id.in_(ids))
            return {entry_id: body or "" for entry_id, body in (await conn.execute(stmt)).all()}
        m = memory_entries.c
        keys = await conn.execute(
            select(m.id, m.kind, m.timestamp, text("memory_entries.rowid")).where(
                m.tenant_id == self._tid, m.id.in_(ids)
            )
        )
        by_rid = {fts_rowid(kind, ts, rowid): entry_id for entry_id, kind, ts, rowid in keys}
        found = await conn.execute(
            text("SELECT rowid, body FROM memory_fts WHERE rowid IN :rids").bindparams(
                bindparam("rids", expanding=True)
            ),
            {"rids": list(by_rid)},
        )
        return {by_rid[rid]: body or "" for rid, body in found.all()}

    def _omission(self, kind: ExportKind) -> ExportOmission | Scope | None:
        """Why ``kind`` is left out (the tier decides first, then the role), or the
        role's scope when it may read the kind (None: no rule for the kind)."""
        needs = _NEEDS.get(kind)
        if needs is None:
            return None
        try:
            self._policy.check_tier(self._subject, *needs)
        except PermissionDenied as exc:
            return ExportOmission(kind=kind, reason="tier", detail=str(exc))
        try:
            return self._authorize(*needs)
        except PermissionDenied as exc:
            return ExportOmission(kind=kind, reason="role", detail=str(exc))

    async def export_tenant(self, person: str | None = None) -> AsyncGenerator[TenantRecord, None]:
        if person is not None and not person.strip():
            raise InvalidInput("person must not be empty")
        async with self._op(
            Resource.AUDIT,
            Action.EXPORT,
            method="export_tenant",
            audit_only=True,
            denied_as="audit.tenant_export",
        ) as op:
            decided = {kind: self._omission(kind) for kind in _NEEDS}
            omitted = [o for o in decided.values() if isinstance(o, ExportOmission)]
            op.record(
                "audit.tenant_export",
                person,
                names=(person,) if person else (),
                person=person,
                scope="person" if person else "all",
                omitted={o.kind: o.reason for o in omitted},
            )
        for omission in omitted:
            yield TenantRecord(kind=OMITTED, item=omission.model_dump(mode="json"))
        wanted = [n for n in (person, self._principal) if n is not None]
        async with self._tx(write=False, read_only=True) as conn:
            found = await find_ids(conn, self._tid, wanted)
        ids = [found[person]] if person is not None and person in found else []
        own = [found[self._principal]] if self._principal in found else []
        for kind, table, key, convert in _sources():
            rule = decided.get(kind)
            if isinstance(rule, ExportOmission):
                continue
            column = table.c[key]
            after: Any = None
            while True:
                stmt = select(table).where(table.c.tenant_id == self._tid)
                if person is not None:
                    stmt = stmt.where(_person_filter(table, person, ids))
                if rule is Scope.OWN:  # the role reads only its own rows of the kind
                    stmt = stmt.where(_person_filter(table, self._principal, own))
                if after is not None:
                    stmt = stmt.where(column > after)
                stmt = stmt.order_by(column).limit(_BATCH)
                async with self._tx(write=False, read_only=True) as conn:
                    rows = (await conn.execute(stmt)).all()
                    bodies = await self._bodies(conn, rows) if table is memory_entries else {}
                    models = [convert(row) for row in rows]
                    if table is audit_events:
                        models = await with_names(conn, self._tid, models)
                for row, model in zip(rows, models, strict=True):
                    item = model.model_dump(mode="json")
                    if table is memory_entries:
                        item["body"] = bodies.get(row.id, "")
                    yield TenantRecord(kind=kind, item=item)
                if len(rows) < _BATCH:
                    break
                after = getattr(rows[-1], key)
