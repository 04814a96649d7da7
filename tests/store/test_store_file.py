"""SQLite specifics: pragmas, the read-only authorizer (second wall), migrations, backups."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from coditect_store import migrate
from coditect_tui.core.errors import ReadOnly
from tests.store.helpers import make_store, open_store


def test_pragmas_and_schema(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    make_store(db, 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            migrate.HEAD
        )
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'memory_fts%' AND name != 'alembic_version'"
            )
        }
        for table in tables - {"tenants"}:
            columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            assert "tenant_id" in columns, table


def test_read_only_connection_refuses_raw_writes(tmp_path: Path) -> None:
    """Even code that skips the method-level check cannot write through a read-only handle."""
    db = tmp_path / "s.db"
    make_store(db, 1)

    async def attempt() -> None:
        store = await open_store(db, read_only=True)
        try:
            for statement in (
                "UPDATE projects SET name = 'x'",
                "DELETE FROM members",
                "INSERT INTO tenants VALUES ('t','t','t','internal','now')",
                "CREATE TABLE evil (x)",
                "DROP TABLE projects",
            ):
                with pytest.raises(ReadOnly):
                    async with store._tx(write=True) as conn:
                        await conn.execute(text(statement))
        finally:
            await store.close()

    asyncio.run(attempt())
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM projects").fetchall() == [("p000",)]


def test_backup_before_migration(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    make_store(db, 3)
    backup = migrate.backup_sqlite(db, "0001")
    assert backup.name.startswith("s.db.bak-0001-")
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 3


def test_reopen_is_cheap_and_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    make_store(db, 2)
    make_store(db, 2)  # idempotent upserts, provisioning not repeated
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM members").fetchone()[0] == 1
