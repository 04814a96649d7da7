"""Erasing a person while the audit chain still verifies (``Backend.erase_principal``).

Since schema 0011 hashed audit fields name people by pseudonymous id (chain.py), and the
name sits only in ``principals`` and in columns outside the chain. Erasure removes it
from all of those in one transaction, then (SQLite) rewrites the file so that no freed
page, freelist page or WAL frame keeps a copy. docs/security.md, "Erasure".
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.base import StoreBase
from coditect_store.memory import fts_rowid
from coditect_store.pseudonyms import find_ids, ids_of
from coditect_store.schema import (
    api_keys,
    audit_events,
    feature_flags,
    git_sessions,
    invitations,
    members,
    memory_entries,
    principals,
    projects,
    repos,
    status_snapshots,
    webhook_deliveries,
    webhook_subscriptions,
)
from coditect_tui.core.errors import Conflict, NotFound, PermissionDenied
from coditect_tui.core.models import Action, Erasure, Resource, utcnow
from coditect_tui.core.policy import PRIVILEGED_ROLES

MB = Resource.MEMBERS

#: Author columns outside the chain that name a principal: rewritten to the id.
_AUTHORED: tuple[tuple[Table, str], ...] = (
    (projects, "created_by"),
    (repos, "created_by"),
    (git_sessions, "created_by"),
    (memory_entries, "created_by"),
    (status_snapshots, "created_by"),
    (webhook_subscriptions, "created_by"),
    (api_keys, "created_by"),
    (invitations, "created_by"),
    (invitations, "name"),  # used and revoked invitations: history, kept
    (feature_flags, "updated_by"),
)


def chained_text(name: str) -> ColumnElement[bool]:
    """Audit events whose hashed text holds ``name`` anywhere (may over-count: a name
    inside a longer word counts too, and SQLite's LIKE ignores ASCII case)."""
    a = audit_events.c
    return (
        (a.actor == name)
        | a.resource_id.contains(name, autoescape=True)
        | a.details.contains(name, autoescape=True)
    )


class ErasureMixin(StoreBase):
    """Erasure of a person's personal data."""

    async def erase_principal(self, name: str, *, keep_chained: bool = False) -> Erasure:
        async with self._op(
            MB, Action.DELETE, method="erase_principal", target=name, names=(name,)
        ) as op:
            if name == self._principal:
                raise PermissionDenied("nobody erases themselves: ask another admin")
            conn = op.conn
            if not self._pg:  # what this transaction frees is zeroed, not left in free space
                await conn.exec_driver_sql("PRAGMA secure_delete = ON")
            member = (
                await conn.execute(
                    select(members).where(members.c.tenant_id == self._tid, members.c.name == name)
                )
            ).first()
            if member is not None and member.role in PRIVILEGED_ROLES:
                op.authorize(Action.ADMIN)
            if member is not None and member.role == "owner" and await self._owners(conn) <= 1:
                raise Conflict("the tenant would be left without an owner")
            if member is None and not await self._known(conn, name):
                raise NotFound(f"{name!r} is not known in tenant {self._tenant.name!r}")
            chained = (
                await conn.execute(
                    select(func.count())
                    .select_from(audit_events)
                    .where(audit_events.c.tenant_id == self._tid, chained_text(name))
                )
            ).scalar_one()
            if chained and not keep_chained:
                raise Conflict(
                    f"{chained} audit events hold {name!r} inside the hash chain (written "
                    "before pseudonymous ids, or naming them in free text); they cannot "
                    "change without breaking `audit verify`. Erase everything else anyway "
                    'with keep_chained (--keep-chained); docs/security.md, "Personal data '
                    'and erasure"'
                )
            pid = (await ids_of(conn, self._tid, [name]))[name]
            report = await self._erase_rows(conn, name, pid)
            await conn.execute(
                principals.update()
                .where(principals.c.tenant_id == self._tid, principals.c.id == pid)
                .values(name=None, erased_at=utcnow())
            )
            counts = {
                "was_member": member is not None,
                **report,
                "chained_events": chained,
            }
            op.record("members.erase", pid, **counts)
        await self._load_flags()  # the person's overrides are gone
        compacted = await self._compact()
        return Erasure(principal_id=pid, compacted=compacted, **counts)

    async def _known(self, conn: AsyncConnection, name: str) -> bool:
        """Whether the tenant holds anything of ``name`` (a former member may be erased)."""
        if await find_ids(conn, self._tid, [name]):
            return True
        for table, column in (*_AUTHORED, (api_keys, "principal")):
            found = (
                await conn.execute(
                    select(table.c[column])
                    .where(table.c.tenant_id == self._tid, table.c[column] == name)
                    .limit(1)
                )
            ).first()
            if found is not None:
                return True
        return False

    async def _erase_rows(self, conn: AsyncConnection, name: str, pid: str) -> dict[str, Any]:
        """Every row of the tenant outside the chain that holds ``name``, done away with
        (inside the erasure's transaction)."""
        tid = self._tid
        now = utcnow()
        await conn.execute(
            members.delete().where(members.c.tenant_id == tid, members.c.name == name)
        )
        k = api_keys.c
        revoked = await conn.execute(
            api_keys.update()
            .where(k.tenant_id == tid, k.principal == name, k.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        rewritten = (
            await conn.execute(
                api_keys.update()
                .where(k.tenant_id == tid, k.principal == name)
                .values(principal=pid)
            )
        ).rowcount or 0
        i = invitations.c
        pending = await conn.execute(
            invitations.delete().where(
                i.tenant_id == tid, i.name == name, i.used_at.is_(None), i.revoked_at.is_(None)
            )
        )
        await conn.execute(
            feature_flags.delete().where(
                feature_flags.c.tenant_id == tid, feature_flags.c.stakeholder == name
            )
        )
        s = git_sessions.c
        cleared = await conn.execute(
            git_sessions.update()
            .where(s.tenant_id == tid, s.created_by == name)
            .values(description="", summary="{}")
        )
        memory = await self._delete_memory(conn, name)
        for table, column in _AUTHORED:
            done = await conn.execute(
                table.update()
                .where(table.c.tenant_id == tid, table.c[column] == name)
                .values({column: pid})
            )
            rewritten += done.rowcount or 0
        d = webhook_deliveries.c
        purged = (
            await conn.execute(
                webhook_deliveries.delete().where(
                    d.tenant_id == tid, d.payload.contains(name, autoescape=True)
                )
            )
        ).rowcount or 0
        purged += await self._purge_replies(conn, name)
        return {
            "keys_revoked": revoked.rowcount or 0,
            "invitations_deleted": pending.rowcount or 0,
            "rows_rewritten": rewritten,
            "sessions_cleared": cleared.rowcount or 0,
            "memory_deleted": memory,
            "deliveries_purged": purged,
        }

    async def _delete_memory(self, conn: AsyncConnection, name: str) -> int:
        """Delete the memory entries ``name`` indexed, with their indexed text."""
        m = memory_entries.c
        mine = (m.tenant_id == self._tid) & (m.created_by == name)
        if not self._pg:  # FTS5 rows by their static-rank key (on PostgreSQL they go
            # with the entry)
            rows = await conn.execute(
                select(m.kind, m.timestamp, text("memory_entries.rowid")).where(mine)
            )
            keys = [fts_rowid(kind, ts, rowid) for kind, ts, rowid in rows.all()]
            for key in keys:
                await conn.execute(text("DELETE FROM memory_fts WHERE rowid = :rid"), {"rid": key})
        return (await conn.execute(memory_entries.delete().where(mine))).rowcount or 0

    async def _purge_replies(self, conn: AsyncConnection, name: str) -> int:
        """Delete the tenant API's stored replies (idempotency) of ``name`` or naming
        them; the table exists on the server's databases only."""
        if not self._pg:
            exists = (
                await conn.execute(
                    text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t"),
                    {"t": "api_idempotency"},
                )
            ).first()
            if exists is None:
                return 0
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        done = await conn.execute(
            text(
                "DELETE FROM api_idempotency WHERE tenant_id = :tid AND "
                "(principal = :name OR body LIKE :pattern ESCAPE '\\')"
            ),
            {"tid": self._tid, "name": name, "pattern": pattern},
        )
        return done.rowcount or 0

    async def _compact(self) -> bool:
        """SQLite: rewrite the file so that nothing erased survives in a free page, a
        freelist page or a WAL frame (the FTS5 index merged, VACUUM, the WAL checkpointed
        and truncated). Returns whether all of it was done; PostgreSQL: False (its
        VACUUM is the operator's, docs/security.md)."""
        if self._pg or self._engine is None:
            return False
        try:
            async with self._engine.connect() as conn:
                driver = (await conn.get_raw_connection()).driver_connection
                assert driver is not None
                # outside any transaction (the driver's implicit ones are off)
                await driver.execute("PRAGMA secure_delete = ON")
                try:
                    await driver.execute("INSERT INTO memory_fts(memory_fts) VALUES ('optimize')")
                    stat4 = await driver.execute(
                        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'"
                    )
                    if await stat4.fetchone() is not None:  # sampled index keys: renewed
                        await driver.execute("ANALYZE")
                    await stat4.close()
                    await driver.execute("VACUUM")
                    cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy, _log, _done = await cursor.fetchone()
                    await cursor.close()
                finally:
                    with contextlib.suppress(Exception):
                        await driver.execute("PRAGMA secure_delete = OFF")
        except (OperationalError, DBAPIError, OSError, sqlite3.Error):
            return False
        return busy == 0
