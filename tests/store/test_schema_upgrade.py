"""A store made by the first release (schema 0001) is upgraded by the normal open path."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from coditect_store import migrate
from coditect_tui.cli import main
from coditect_tui.core.models import ProjectSpec
from tests.store.helpers import copy_tables, make_store, open_store, raw

_SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"


def migrate_to(path: Path, revision: str) -> None:
    """Run the store's Alembic migrations on ``path`` up to ``revision`` only."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def old_store(path: Path, projects: int) -> int:
    """A store at schema 0001 holding a real chain (made by the app in a scratch store at
    head, its rows then copied into a file migrated to 0001 only); its head seq."""
    scratch = path.with_name("scratch.db")
    head = make_store(scratch, projects)
    migrate_to(path, "0001")
    conn = raw(path)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (str(scratch),))
        conn.execute("BEGIN")
        copy_tables(conn)
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    finally:
        conn.close()
    return head


def test_a_0001_store_is_upgraded_with_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.db"
    head = old_store(path, 3)
    assert migrate.preflight(path) == "0001"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"tenants:\n  - name: acme\n    principal: olivia\n"
        f"    backend: {{kind: local, path: {path}}}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    # the first open after the update is whatever command the user runs: here audit verify
    assert main(["audit", "verify", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["ok"], report["rows"]) == (True, head)

    async def reopen() -> tuple[tuple[bool, int], int, tuple[bool, int]]:
        store = await open_store(path)
        try:
            upgraded = await store.verify_audit()
            projects = len((await store.list_projects()).items)
            await store.upsert_project(ProjectSpec(name="after"))  # the head moves on
            after = await store.verify_audit()
            return (upgraded.ok, upgraded.rows), projects, (after.ok, after.rows)
        finally:
            await store.close()

    assert asyncio.run(reopen()) == ((True, head), 3, (True, head + 1))

    backups = list(tmp_path.glob("store.db.bak-0001-*"))
    assert len(backups) == 1
    conn = sqlite3.connect(f"file:{backups[0]}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert conn.execute("SELECT count(*) FROM projects").fetchone() == (3,)
    finally:
        conn.close()

    conn = raw(path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (migrate.HEAD,)
        seq, digest = conn.execute("SELECT seq, hash FROM audit_heads").fetchone()
        for statement in (
            "UPDATE audit_heads SET hash = 'f'",  # in place, at the same seq
            "UPDATE audit_heads SET seq = seq + 1",  # onto no event
            "UPDATE audit_heads SET seq = seq",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT seq, hash FROM audit_heads").fetchone() == (seq, digest)
        upgraded = conn.execute(_SCHEMA).fetchall()
    finally:
        conn.close()

    # one path: a new store runs 0001 then 0002 and ends with the same schema
    fresh = tmp_path / "fresh.db"
    make_store(fresh, 0)
    conn = raw(fresh)
    try:
        assert conn.execute(_SCHEMA).fetchall() == upgraded
    finally:
        conn.close()
