"""The contract suite runs unchanged against every backend harness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from coditect_tui.core.backend import Backend
from tests.contract.harness import (
    PLATFORM_ADMIN,
    Harness,
    PostgresStoreHarness,
    RemoteAsgiHarness,
    RemotePostgresHarness,
    SqliteHarness,
)
from tests.pg import PgDatabase, ServerProcess, create_database, drop_database, run_sync

HARNESSES = [
    "sqlite",
    "remote-asgi",
    pytest.param("postgres-store", marks=pytest.mark.postgres),
    pytest.param("remote-pg", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def contract_pg() -> Iterator[PgDatabase]:
    """One migrated PostgreSQL database for the session's contract tests (dropped after)."""
    db = run_sync(create_database)
    try:
        yield db
    finally:
        run_sync(lambda: drop_database(db))


@pytest.fixture(scope="session")
def contract_server(
    contract_pg: PgDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A real `coditect serve` (uvicorn) on 127.0.0.1 over the session's database."""
    server = ServerProcess(
        contract_pg.app_url,
        tmp_path_factory.mktemp("server"),
        env={"CODITECT_PLATFORM_ADMINS": PLATFORM_ADMIN},
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=HARNESSES)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    """One backend implementation, fresh for each test."""
    if request.param == "sqlite":
        yield SqliteHarness(tmp_path / "store.db")
    elif request.param == "remote-asgi":
        yield RemoteAsgiHarness(tmp_path / "server.db")
    elif request.param == "postgres-store":
        db: PgDatabase = request.getfixturevalue("contract_pg")
        run_sync(db.truncate_all)
        yield PostgresStoreHarness(db)
    elif request.param == "remote-pg":
        db = request.getfixturevalue("contract_pg")
        server: ServerProcess = request.getfixturevalue("contract_server")
        run_sync(db.truncate_all)
        yield RemotePostgresHarness(db, server.url)
    else:
        raise AssertionError(request.param)


@pytest.fixture
async def owner(harness: Harness) -> AsyncIterator[Backend]:
    """The owner of tenant 'acme'."""
    backend = await harness.open("acme", "olivia", "owner")
    yield backend
    await backend.close()
