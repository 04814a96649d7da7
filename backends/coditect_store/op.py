"""``Op``: one authorized operation of a store handle, inside its transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_store.chain import PendingEvent
from coditect_store.prepared import Prepared
from coditect_tui.core.errors import NotFound
from coditect_tui.core.models import Action, Resource, Scope

if TYPE_CHECKING:
    from coditect_store.base import StoreBase

T = TypeVar("T")


@dataclass
class Op:
    """One authorized operation inside its transaction."""

    store: StoreBase
    #: The transaction's connection.
    conn: AsyncConnection
    resource: Resource
    scope: Scope | None
    events: list[PendingEvent] = field(default_factory=list)
    #: On PostgreSQL, the asyncpg connection of a ``prepared_only`` read, whose
    #: transaction is begun on the driver: then ``conn`` is None and only ``rows``/``one``
    #: may run (pg_read.py). On SQLite, the driver connection of a ``sqlite_driver``
    #: read: then ``conn`` is None and only ``read_on_driver`` may run.
    driver: Any = None

    async def read_on_driver(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite, in a ``sqlite_driver`` read: run ``work`` on the driver's thread in a
        read transaction begun and ended there, all in one visit (driver_sqlite.py).

        Raises:
            sqlite3.Error: what the statements raise.
        """
        from coditect_store.driver_sqlite import read_on_driver

        return await read_on_driver(self.driver, work)

    async def rows(self, stmt: Prepared, **params: Any) -> Sequence[Any]:
        """All rows of a prepared read statement in this transaction (on PostgreSQL run on
        the driver, see pg_read.py), each readable by position and by column name."""
        if self.driver is not None:
            records: Sequence[Any] = await self.driver.fetch(stmt.sql, *stmt.args(params))
            return records
        if self.store._pg:
            from coditect_store.pg_read import fetch

            return await fetch(self.conn, stmt, params)
        return (await self.conn.exec_driver_sql(stmt.sqlite_sql, stmt.args(params))).all()

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

    def record(
        self,
        action: str,
        resource_id: str | None,
        *,
        names: Sequence[str] = (),
        known_names: Sequence[str] = (),
        **details: Any,
    ) -> None:
        """Add the audit event of this operation (written in the same transaction).

        ``names``: the principals the event names besides the actor (as the resource id
        or in a detail); the chain holds their pseudonymous ids instead. ``known_names``:
        texts written as an id only when they are a principal's name already.
        """
        self.events.append(
            PendingEvent(
                action,
                self.resource.value,
                resource_id,
                details=details,
                names=tuple(names),
                known_names=tuple(known_names),
            )
        )
