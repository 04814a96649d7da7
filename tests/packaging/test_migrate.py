"""``coditect migrate``: one line per applied step, idempotent, dry runs change nothing,
on SQLite files and on PostgreSQL (as the schema's owner)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import create_engine

from coditect_store import migrate
from coditect_tui.cli import main
from coditect_tui.core.contract.migration import MigrationStep
from coditect_tui.core.factory import Provision, open_store, store_migrator
from tests.pg import PgDatabase, drop_database, run_sync, superuser_dsn

STEPS = len(migrate.KNOWN_REVISIONS)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def revision_of(path: Path) -> str | None:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def test_sqlite_new_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "deploy" / "store.db"
    code, out, err = run_cli(capsys, "migrate", "--url", str(db), "--dry-run")
    assert (code, err) == (0, "")
    assert [line.split(":")[0] for line in out[:-1]] == [
        f"would apply {rev}" for rev in migrate.KNOWN_REVISIONS
    ]
    assert out[-1] == f"{db}: empty; {STEPS} to apply (dry run, nothing changed)"
    assert not db.exists() and not db.parent.exists()

    code, out, err = run_cli(capsys, "migrate", "--url", str(db))
    assert (code, err) == (0, "")
    assert [line.split(":")[0] for line in out[:-1]] == [
        f"applied {rev}" for rev in migrate.KNOWN_REVISIONS
    ]
    assert out[0].startswith("applied 0001: Initial schema")
    assert out[-1] == f"{db}: now at {migrate.HEAD} (was empty)"
    assert revision_of(db) == migrate.HEAD
    assert stat.S_IMODE(db.stat().st_mode) == 0o600

    code, out, err = run_cli(capsys, "migrate", "--url", str(db))
    assert (code, out, err) == (
        0,
        [f"{db}: already at {migrate.HEAD} (current), nothing to apply"],
        "",
    )
    # the migrated file is a store the app opens without migrating again
    store = run_sync(
        lambda: open_store(
            str(db), tenant="t", principal="p", provision=Provision("T", "internal", "owner")
        )
    )
    run_sync(store.close)


def _sqlite_at(path: Path, revision: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrate.upgrade(conn, revision)
    engine.dispose()


def test_sqlite_older_schema_steps_and_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "old.db"
    _sqlite_at(db, "0001")
    before = db.read_bytes()
    code, out, _ = run_cli(capsys, "migrate", "--url", str(db), "--dry-run", "--json")
    result = json.loads("\n".join(out))
    assert code == 0 and result["dry_run"] is True
    assert (result["before"], result["after"]) == ("0001", "0001")
    assert [s["revision"] for s in result["steps"]] == list(migrate.KNOWN_REVISIONS[1:])
    assert db.read_bytes() == before and revision_of(db) == "0001"

    code, out, _ = run_cli(capsys, "migrate", "--url", str(db))
    assert code == 0
    assert [line.split(":")[0] for line in out[:-1]] == [
        f"applied {rev}" for rev in migrate.KNOWN_REVISIONS[1:]
    ]
    backups = list(tmp_path.glob("old.db.bak-0001-*"))
    assert len(backups) == 1 and revision_of(backups[0]) == "0001"
    assert out[-1] == f"{db}: now at {migrate.HEAD} (was 0001); backup {backups[0]}"
    assert revision_of(db) == migrate.HEAD


def test_sqlite_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    code, out, err = run_cli(capsys, "migrate", "--url", str(junk))
    assert (code, out) == (2, [])
    assert err == f"coditect: error: {junk}: not a SQLite database; the file was not changed\n"
    assert junk.read_bytes() == b"not a database at all" * 100

    newer = tmp_path / "newer.db"
    _sqlite_at(newer, migrate.HEAD)
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    code, out, err = run_cli(capsys, "migrate", "--url", str(newer))
    assert code == 2 and out == [] and len(err.splitlines()) == 1
    assert "database schema '9999' is newer than this coditect knows" in err

    code, _, err = run_cli(capsys, "migrate", "--url", str(newer), "--tenant", "x")
    assert (code, err) == (2, "coditect: error: migrate takes --url or --tenant, not both\n")
    code, _, err = run_cli(capsys, "--read-only", "migrate", "--url", str(newer))
    assert code == 2 and "read-only allows only --dry-run" in err


def test_tenant_profile_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "acme.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        "tenants:\n"
        f"  - name: acme\n    backend: {{kind: local, path: {json.dumps(str(store))}}}\n"
        "  - name: far\n    backend: {kind: remote, url: 'http://127.0.0.1:9'}\n"
    )
    code, out, _ = run_cli(capsys, "migrate", "--config", str(config), "--tenant", "acme")
    assert code == 0 and len(out) == STEPS + 1 and revision_of(store) == migrate.HEAD
    code, out, err = run_cli(capsys, "migrate", "--config", str(config), "--tenant", "far")
    assert code == 2 and out == []
    assert err.startswith("coditect: error: tenant 'far' is not local")
    # a profile's store follows the read-only setting of the environment and the config
    other = tmp_path / "other.db"
    config.write_text(
        "read_only: true\ntenants:\n"
        f"  - name: acme\n    backend: {{kind: local, path: {json.dumps(str(other))}}}\n"
    )
    code, out, err = run_cli(capsys, "migrate", "--config", str(config))
    assert (code, out) == (2, [])
    assert err == "coditect: error: migrate changes the schema: read-only allows only --dry-run\n"
    assert not other.exists()
    code, out, err = run_cli(capsys, "migrate", "--config", str(config), "--dry-run")
    assert code == 0 and len(out) == STEPS + 1 and not other.exists()


@pytest.fixture
def empty_pg() -> Iterator[PgDatabase]:
    """A new PostgreSQL database with nothing in it (dropped with its roles after)."""
    db = PgDatabase(f"coditect_test_mig_{uuid.uuid4().hex[:12]}")

    async def create() -> None:
        conn = await asyncpg.connect(superuser_dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{db.name}"')
        finally:
            await conn.close()

    run_sync(create)
    try:
        yield db
    finally:
        run_sync(lambda: drop_database(db))


async def _tables(db: PgDatabase) -> set[str]:
    conn = await asyncpg.connect(db.owner_url)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        return {r[0] for r in rows}
    finally:
        await conn.close()


@pytest.mark.postgres
def test_postgres(empty_pg: PgDatabase, capsys: pytest.CaptureFixture[str]) -> None:
    url = empty_pg.owner_url
    code, out, err = run_cli(capsys, "migrate", "--url", url, "--dry-run")
    assert (code, err) == (0, "") and len(out) == STEPS + 1
    assert run_sync(lambda: _tables(empty_pg)) == set()

    code, out, err = run_cli(capsys, "migrate", "--url", url)
    assert (code, err) == (0, "")
    assert [line.split(":")[0] for line in out[:-1]] == [
        f"applied {rev}" for rev in migrate.KNOWN_REVISIONS
    ]
    assert out[-1].endswith(f": now at {migrate.HEAD} (was empty)")
    assert {"alembic_version", "tenants", "audit_events"} <= run_sync(lambda: _tables(empty_pg))

    code, out, _ = run_cli(capsys, "migrate", "--url", url)
    assert code == 0 and out == [f"{url}: already at {migrate.HEAD} (current), nothing to apply"]


@pytest.mark.postgres
def test_postgres_concurrent_runs_apply_each_step_once(empty_pg: PgDatabase) -> None:
    applied: list[MigrationStep] = []
    migrator = store_migrator()

    async def both() -> list[int]:
        results = await asyncio.gather(
            migrator(empty_pg.owner_url, on_step=applied.append),
            migrator(empty_pg.owner_url, on_step=applied.append),
        )
        return [len(r.steps) for r in results]

    assert sorted(run_sync(both)) == [0, STEPS]
    assert [s.revision for s in applied] == list(migrate.KNOWN_REVISIONS)


def test_sqlite_concurrent_runs_apply_each_step_once(tmp_path: Path) -> None:
    db = tmp_path / "both.db"  # missing: both runs find no schema, then take turns
    applied: list[MigrationStep] = []
    migrator = store_migrator()

    async def both() -> None:
        await asyncio.gather(
            migrator(str(db), on_step=applied.append), migrator(str(db), on_step=applied.append)
        )

    run_sync(both)
    # each revision once, whichever run applied it (each step is its own write transaction)
    assert [s.revision for s in applied] == list(migrate.KNOWN_REVISIONS)
    assert revision_of(db) == migrate.HEAD
