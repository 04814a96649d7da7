"""API calls per day: the gate counts authenticated requests in memory (no database
write on the request path), a flush adds them to ``api_calls`` per tenant and UTC day by
the server's clock, several worker processes add up, a graceful stop loses nothing, and
usage shows the days against the tier's rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_store.store import SqlStore
from coditect_tui.cli import main
from tests.contract.harness import FakeClock
from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant, unique


def _rows(db: Path) -> list[tuple[str, str, int]]:
    """The stored counts: (tenant name, day, calls)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT t.name, a.day, a.calls FROM api_calls a JOIN tenants t ON t.id = a.tenant_id "
            "ORDER BY 1, 2"
        ).fetchall()


def _days(usage: httpx.Response) -> list[tuple[str, int]]:
    assert usage.status_code == 200, usage.text
    return [(d["day"], d["calls"]) for d in usage.json()["api_calls"]["days"]]


def acme_id(db: Path) -> str:
    """The id of tenant acme in ``db``."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("SELECT id FROM tenants WHERE name = 'acme'").fetchone()[0])


async def test_counted_per_tenant_and_utc_day_and_flushed_in_batches(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    acme = await make_tenant(str(db), "acme", {}, tier="customer_team")
    globex = await make_tenant(str(db), "globex", {})
    clock = FakeClock(datetime(2026, 12, 1, 23, 58, tzinfo=UTC))
    # no periodic flush: only the explicit one and the stop flush
    state = ServerState(ServerConfig(db=str(db), api_calls_flush=0), clock=clock)
    await state.start()
    try:
        transport = httpx.ASGITransport(app=create_app(state=state))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:

            async def get(key: str, path: str) -> httpx.Response:
                return await client.get(path, headers={"Authorization": f"Bearer {key}"})

            for _ in range(3):
                assert (await get(acme.keys["owner"], "/api/v1/projects")).status_code == 200
            assert (await get(globex.keys["owner"], "/api/v1/whoami")).status_code == 200
            assert (await get("cdt_usr_nope", "/api/v1/whoami")).status_code == 401  # not counted
            assert _rows(db) == []  # nothing was written on the request path
            clock.advance(timedelta(minutes=3))  # 00:01 on 2026-12-02, UTC
            usage = await get(acme.keys["owner"], "/api/v1/usage")
            # this process's unflushed calls are added: the usage request itself too
            assert _days(usage)[-2:] == [("2026-12-01", 3), ("2026-12-02", 1)]
            assert len(_days(usage)) == 7 and _days(usage)[0][0] == "2026-11-26"
            assert usage.json()["api_calls"]["per_minute_limit"] == 300
            await state.api_calls.flush()
            assert _rows(db) == [
                ("acme", "2026-12-01", 3),
                ("acme", "2026-12-02", 1),
                ("globex", "2026-12-01", 1),
            ]
            assert state.api_calls.pending(acme_id(db)) == {}
            # read back from the database (plus this request, unflushed)
            again = await get(acme.keys["owner"], "/api/v1/usage")
            assert _days(again)[-2:] == [("2026-12-01", 3), ("2026-12-02", 2)]
            clock.advance(timedelta(days=6))  # 2026-12-01 leaves the seven days
            later = await get(acme.keys["owner"], "/api/v1/usage")
            assert _days(later)[0] == ("2026-12-02", 2) and _days(later)[-1] == ("2026-12-08", 1)
    finally:
        await state.stop()  # flushes what is left
    assert ("acme", "2026-12-08", 1) in _rows(db)


async def test_two_workers_add_up_and_a_graceful_stop_loses_nothing(tmp_path: Path) -> None:
    """A real ``coditect serve --workers 2`` (uvicorn) flushing every 0.1 s: each
    request on a new connection, so both workers may answer; the periodic flushes bring
    the count to the database while it serves, and each worker adds the rest when it
    stops."""
    db = tmp_path / "served.db"
    acme = await make_tenant(str(db), "acme", {})
    server = ServerProcess(
        str(db), tmp_path, workers=2, env={"CODITECT_SERVE_API_CALLS_FLUSH": "0.1"}
    )

    async def requests(n: int) -> None:
        for _ in range(n):
            async with httpx.AsyncClient(base_url=server.url) as client:
                me = await client.get(
                    "/api/v1/whoami", headers={"Authorization": f"Bearer {acme.keys['owner']}"}
                )
                assert me.status_code == 200

    def stored() -> int:
        return sum(calls for name, _day, calls in _rows(db) if name == "acme")

    try:
        await requests(20)
        deadline = time.monotonic() + 60  # readiness: the flushes that are due, not a pause
        while stored() < 20:
            assert time.monotonic() < deadline, f"flushed {stored()} of 20"
            await asyncio.sleep(0.05)
        await requests(5)
    finally:
        server.stop()
    assert stored() == 25


async def test_a_flush_the_database_refuses_keeps_its_counts(tmp_path: Path) -> None:
    db = tmp_path / "api.db"
    await make_tenant(str(db), "acme", {})
    state = ServerState(ServerConfig(db=str(db), api_calls_flush=0, webhooks=False))
    await state.start()
    engine = state.engine
    try:
        tenant = acme_id(db)
        state.api_calls.count(tenant)
        state.api_calls.count(tenant)
        state.engine = None  # the database is gone for this flush
        await state.api_calls.flush()
        assert sum(state.api_calls.pending(tenant).values()) == 2
        state.engine = engine
        state.api_calls.count(tenant)
        await state.api_calls.flush()
        assert state.api_calls.pending(tenant) == {}
        assert sum(calls for _name, _day, calls in _rows(db)) == 3
    finally:
        state.engine = engine
        await state.stop()


def test_serve_refuses_a_bad_flush_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODITECT_SERVE_API_CALLS_FLUSH", "soon")
    code = main(["serve", "--db", str(tmp_path / "s.db")])
    _out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "CODITECT_SERVE_API_CALLS_FLUSH: 'soon' is not a number of seconds" in err
    assert "Traceback" not in err


@pytest.mark.postgres
async def test_on_postgresql_the_flush_adds_under_row_level_security(pg_db: PgDatabase) -> None:
    """The app role adds each tenant's counts in a transaction confined to that tenant;
    a store opened on the database (as the app role) reads only its own tenant's."""
    acme, globex = unique("acme"), unique("globex")
    await make_tenant(pg_db.app_url, acme, {})
    await make_tenant(pg_db.app_url, globex, {})
    ids = {r[0]: r[1] for r in await pg_db.fetch("SELECT name, id FROM tenants")}
    clock = FakeClock(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    state = ServerState(
        ServerConfig(db=pg_db.app_url, pool_size=2, api_calls_flush=0, webhooks=False),
        clock=clock,
    )
    await state.start()
    try:
        for _ in range(3):
            state.api_calls.count(ids[acme])
        state.api_calls.count(ids[globex])
        await state.api_calls.flush()
        state.api_calls.count(ids[acme])
        await state.api_calls.flush()  # adds to the day's row
    finally:
        await state.stop()
    rows = await pg_db.fetch(
        "SELECT tenant_id, day, calls FROM api_calls WHERE tenant_id = ANY($1) ORDER BY calls",
        [ids[acme], ids[globex]],
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (ids[globex], "2026-12-02", 1),
        (ids[acme], "2026-12-02", 4),
    ]
    store = await SqlStore.open_postgres(pg_db.app_url, tenant=acme, principal="owner", clock=clock)
    try:
        usage = await store.usage()
    finally:
        await store.close()
    assert usage.api_calls is not None  # acme's counts only
    assert [(d.day.isoformat(), d.calls) for d in usage.api_calls.days][-2:] == [
        ("2026-12-01", 0),
        ("2026-12-02", 4),
    ]
