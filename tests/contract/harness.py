"""Backend harnesses: how the contract suite opens each backend implementation.

A harness opens a backend for (tenant, principal, role), creating the tenant and the
membership when needed, exactly as an operator or an admin would for that backend. The
contract tests only ever talk to the Backend interface.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.backend import Backend


class Harness(Protocol):
    """What the contract suite needs from a backend implementation."""

    name: str

    async def open(self, tenant: str, principal: str, role: str = "owner", *,
                   read_only: bool = False, tier: str = "internal") -> Backend:
        """A backend for ``principal`` acting as ``role`` in ``tenant``."""
        ...

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every stored row of every table, to prove what did (not) change."""
        ...

    def tenant_of(self, table: str, row_id: str) -> str | None:
        """The tenant id that owns ``row_id`` in ``table`` (for isolation checks)."""
        ...


class SqliteHarness:
    """The local store on a real SQLite file."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def open(self, tenant: str, principal: str, role: str = "owner", *,
                   read_only: bool = False, tier: str = "internal") -> Backend:
        provision = Provision(display_name=tenant.title(), tier=tier, role=role)
        if read_only:
            setup = await SqlStore.open_sqlite(self.path, tenant=tenant, principal=principal,
                                               provision=provision)
            await setup.close()
        return await SqlStore.open_sqlite(self.path, tenant=tenant, principal=principal,
                                          read_only=read_only, provision=provision)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        with self._connect() as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                "'sqlite_%' AND name NOT LIKE 'memory_fts_%' ORDER BY name")]
            return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                    for t in tables}

    def tenant_of(self, table: str, row_id: str) -> str | None:
        with self._connect() as conn:
            row = conn.execute(f'SELECT tenant_id FROM "{table}" WHERE id = ?',
                               (row_id,)).fetchone()
        return row[0] if row else None
