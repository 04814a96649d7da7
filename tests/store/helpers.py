"""Helpers for store-level tests (real SQLite files)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.audit_chain import canonical_event, link_hash
from coditect_tui.core.models import ProjectSpec

OWNER = Provision(display_name="Acme", tier="internal", role="owner")


async def open_store(path: Path, **kwargs: object) -> SqlStore:
    """The owner 'olivia' of tenant 'acme'."""
    options: dict[str, object] = {"tenant": "acme", "principal": "olivia", "provision": OWNER}
    options.update(kwargs)
    return await SqlStore.open_sqlite(path, **options)  # type: ignore[arg-type]


async def open_pg_store(app_url: str, tenant: str) -> SqlStore:
    """The owner 'olivia' of ``tenant`` on PostgreSQL (provisioned on first use)."""
    return await SqlStore.open_postgres(
        app_url,
        tenant=tenant,
        principal="olivia",
        provision=Provision(display_name=tenant, tier="internal", role="owner"),
    )


def make_store(path: Path, projects: int) -> int:
    """A store whose chain holds 2 provisioning events plus one per project; its head seq."""

    async def build() -> int:
        store = await open_store(path)
        for i in range(projects):
            await store.upsert_project(ProjectSpec(name=f"p{i:03d}"))
        head = (await store.query_audit(limit=1)).items[0].seq
        await store.close()
        return head

    return asyncio.run(build())


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, as an attacker with file access would use."""
    conn = sqlite3.connect(path, isolation_level=None)
    return conn


def drop_audit_triggers(conn: sqlite3.Connection) -> None:
    """What an attacker does first: remove the append-only triggers."""
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')


def rehash_from(conn: sqlite3.Connection, seq: int) -> None:
    """Recompute every link from ``seq`` on (and the head), as a competent attacker would."""
    tenant_id, prev = conn.execute(
        "SELECT tenant_id, prev_hash FROM audit_events WHERE seq = ?", (seq,)
    ).fetchone()
    rows = conn.execute(
        "SELECT seq, ts, actor, role, action, resource_type, resource_id, outcome, details, "
        "source FROM audit_events WHERE tenant_id = ? AND seq >= ? ORDER BY seq",
        (tenant_id, seq),
    ).fetchall()
    for row in rows:
        digest = link_hash(prev, canonical_event(tenant_id, *row))
        conn.execute(
            "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE tenant_id = ? AND seq = ?",
            (prev, digest, tenant_id, row[0]),
        )
        prev = digest
    conn.execute("UPDATE audit_heads SET hash = ? WHERE tenant_id = ?", (prev, tenant_id))


def copy_tables(conn: sqlite3.Connection) -> None:
    """Copy every store table's rows from the attached ``src`` into ``main``, parents first,
    in the columns ``main`` has (an older schema lacks later revisions' columns, e.g.
    0004's ``members.expires_at``, which the copied rows leave NULL; and later revisions'
    tables, e.g. 0006's ``feature_flags``, which it skips)."""
    from coditect_store import schema

    for table in schema.metadata.sorted_tables:
        cols = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table.name})"))
        if not cols:
            continue
        conn.execute(f"INSERT INTO main.{table.name} ({cols}) SELECT {cols} FROM src.{table.name}")
