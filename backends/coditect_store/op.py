"""``Op``: one authorized operation of a store handle, inside its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.chain import PendingEvent
from coditect_store.prepared import Prepared
from coditect_tui.core.errors import NotFound
from coditect_tui.core.models import Action, Resource, Scope

if TYPE_CHECKING:
    from coditect_store.base import StoreBase


@dataclass
class Op:
    """One authorized operation inside its transaction."""

    store: StoreBase
    #: The transaction's connection: an AsyncConnection, or on PostgreSQL for reads the
    #: driver-level PgReadConnection (pg_read.py), which answers the same execute() calls.
    conn: Any
    resource: Resource
    scope: Scope | None
    events: list[PendingEvent] = field(default_factory=list)

    async def rows(self, stmt: Prepared, **params: Any) -> Sequence[Any]:
        """All rows of a prepared read statement in this transaction (compiled once on
        PostgreSQL, see pg_read.py)."""
        if isinstance(self.conn, AsyncConnection):
            return (await self.conn.execute(stmt.stmt, params)).all()
        return (await self.conn.execute(stmt, params)).all()

    async def one(self, stmt: Prepared, what: str, **params: Any) -> Any:
        """The first row of a prepared read statement.

        Raises:
            NotFound: no row (``"<what> not found"``).
        """
        rows = await self.rows(stmt, **params)
        if not rows:
            raise NotFound(f"{what} not found")
        return rows[0]

    def authorize(self, action: Action, *, owner: str | None = None) -> Scope:
        """Check a further action (upserts decide create/update after a lookup)."""
        self.scope = self.store._authorize(self.resource, action, owner=owner)
        return self.scope

    def record(self, action: str, resource_id: str | None, **details: Any) -> None:
        """Add the audit event of this operation (written in the same transaction)."""
        self.events.append(PendingEvent(action, self.resource.value, resource_id, details=details))
