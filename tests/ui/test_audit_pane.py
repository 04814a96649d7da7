"""The Audit pane on a real store holding 1,000,000 events: paging, filters, verify."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.models import AuditEventSpec, AuditFilter
from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.audit import AuditPane
from coditect_tui.ui.panes.audit_table import AuditTable
from coditect_tui.ui.screens.audit_filter import AuditFilterForm
from tests.store.helpers import drop_audit_triggers
from tests.ui.conftest import settle, write_config

EVENTS = 1_000_000
ACTORS = [f"user{i:02d}" for i in range(20)]
ACTIONS = [f"{r}.{v}" for r in ("projects", "repos", "sessions") for v in ("create", "push")]
START = datetime(2025, 11, 26, tzinfo=UTC)


async def _fill(db: Path) -> None:
    store = await SqlStore.open_sqlite(
        db, tenant="acme", principal="alice", provision=Provision("ACME", "internal", "owner")
    )
    rng = random.Random(5)
    step = timedelta(days=365) / EVENTS
    try:
        for start in range(0, EVENTS, 20_000):
            await store.import_audit_events(
                [
                    AuditEventSpec(
                        ts=START + step * i,
                        actor=rng.choice(ACTORS),
                        action=rng.choice(ACTIONS),
                        resource_type=rng.choice(["projects", "repos", "sessions"]),
                        resource_id=f"r{i % 997}",
                        outcome="denied" if i % 101 == 0 else "ok",
                        details={"n": i},
                        source="bench",
                    )
                    for i in range(start, start + 20_000)
                ]
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("audit-1m") / "store.db"
    asyncio.run(_fill(db))
    return db


def _app(tmp_path: Path, db: Path) -> CoditectApp:
    empty = tmp_path / "empty-ws"
    empty.mkdir(exist_ok=True)
    config = write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "acme",
                "principal": "alice",
                "backend": {"kind": "local", "path": str(db)},
                "workspace_roots": [str(empty)],
            }
        ],
    )
    settings = load_settings(config).settings
    return CoditectApp.for_profile(
        settings, settings.profile(), config_path=config, cached_paint=False
    )


async def _open_audit(app: CoditectApp, pilot: object) -> tuple[AuditPane, AuditTable]:
    await settle(app, pilot)
    await pilot.press("5")  # type: ignore[attr-defined]
    await settle(app, pilot)
    return app.query_one(AuditPane), app.query_one(AuditTable)


async def _row(app: CoditectApp, pilot: object, table: AuditTable, index: int) -> object:
    for _ in range(100):
        await settle(app, pilot)
        event = table.event_at(index)
        if event is not None:
            return event
        await pilot.pause(0.02)  # type: ignore[attr-defined]
    raise AssertionError(f"row {index} never loaded")


@pytest.mark.slow
async def test_scroll_end_and_back_and_every_filter(million: Path, tmp_path: Path) -> None:
    app = _app(tmp_path, million)
    async with app.run_test(size=(120, 40)) as pilot:
        pane, table = await _open_audit(app, pilot)
        assert table.positional and table.total >= EVENTS
        top = await _row(app, pilot, table, 0)
        await pilot.press("end")
        await settle(app, pilot)
        assert table.cursor == table.total - 1
        oldest = await _row(app, pilot, table, table.total - 1)
        assert oldest.seq == 1  # type: ignore[attr-defined]
        await pilot.press("home")
        assert (await _row(app, pilot, table, 0)).seq == top.seq  # type: ignore[attr-defined]
        assert len(table.rows) < 5 * 100 + 200, "only the visible blocks are loaded"
        cases = [
            {"actor": "user07"},
            {"action": "sessions.push"},
            {"resource_type": "repos"},
            {"outcome": "denied"},
            {"text": "r99"},
            {"since": "2026-03-01", "until": "2026-03-02"},
            {
                "actor": "user07",
                "action": "sessions.push",
                "since": "2026-01-01",
                "until": "2026-06-01",
            },
        ]
        for case in cases:
            await pilot.press("slash")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, AuditFilterForm)
            for name in ("actor", "action", "resource_type", "outcome", "since", "until", "text"):
                form.query_one(f"#filter-{name}").value = case.get(name, "")  # type: ignore[attr-defined]
            form.query_one("#filter-actor").focus()
            await pilot.press("enter")
            await settle(app, pilot)
            flt = pane.filter
            assert isinstance(flt, AuditFilter) and not table.positional
            assert table.total > 0, case
            for index in range(min(table.total, 50)):
                event = table.event_at(index)
                assert event is not None
                if "actor" in case:
                    assert event.actor == case["actor"]
                if "action" in case:
                    assert event.action == case["action"]
                if "resource_type" in case:
                    assert event.resource_type == case["resource_type"]
                if "outcome" in case:
                    assert event.outcome == case["outcome"]
                if "text" in case:
                    assert "r99" in f"{event.action} {event.resource_id} {event.details}"
                if "since" in case:
                    assert case["since"] <= event.ts[:10] < case["until"]
            # windowed views grow as the cursor nears the end
            before = table.total
            if pane.more_older:
                await pilot.press("end")
                await settle(app, pilot)
                await pilot.press("home")
                await settle(app, pilot)
                table.cursor = table.total - 1
                await settle(app, pilot)
                assert table.total > before or not pane.more_older
        await pilot.press("slash")
        await pilot.pause()
        for name in ("actor", "action", "resource_type", "outcome", "since", "until", "text"):
            app.screen.query_one(f"#filter-{name}").value = ""  # type: ignore[attr-defined]
        app.screen.query_one("#filter-actor").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert table.positional and pane.filter is None


@pytest.mark.slow
async def test_verify_finds_the_first_bad_seq(million: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.db"
    with sqlite3.connect(million) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    conn = sqlite3.connect(copy, isolation_level=None)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 654321")
    conn.close()
    app = _app(tmp_path, copy)
    async with app.run_test(size=(120, 40)) as pilot:
        pane, _table = await _open_audit(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        status = str(pane.query_one("#audit-status").render())  # type: ignore[attr-defined]
        assert "TAMPERED: first bad seq 654321 (edit)" in status


@pytest.mark.slow
async def test_export_filtered_view_as_evidence_pack(million: Path, tmp_path: Path) -> None:
    import hashlib
    import json

    from coditect_tui.core.evidence import verify_evidence_pack

    app = _app(tmp_path, million)
    target = tmp_path / "pack"
    async with app.run_test(size=(120, 40)) as pilot:
        pane, table = await _open_audit(app, pilot)
        pane.apply_filter(
            AuditFilter(
                actor="user07",
                action="sessions.push",
                since=datetime(2026, 1, 1, tzinfo=UTC),
                until=datetime(2026, 2, 1, tzinfo=UTC),
            )
        )
        await settle(app, pilot)
        table.focus()
        await pilot.press("E")
        await pilot.pause()
        field = app.screen.query_one("#prompt-input")
        field.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # all three formats
        for _ in range(200):
            await settle(app, pilot)
            if (target / "manifest.json").exists():
                break
            await pilot.pause(0.05)
        await settle(app, pilot)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["row_count"] > 0 and manifest["filter"]["actor"] == "user07"
    for entry in manifest["files"]:
        data = (target / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert {e["name"].rsplit(".", 1)[-1] for e in manifest["files"]} == {"csv", "jsonl", "md"}
    assert verify_evidence_pack(target).ok


@pytest.mark.parametrize(
    ("size", "no_color"), [((100, 30), False), ((80, 24), True), ((120, 40), True)]
)
def test_audit_pane_snapshot(
    snap_compare: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    no_color: bool,
) -> None:
    """A small store with fixed events; the view is filtered to them (stable text). At
    80x24 and 120x40 under NO_COLOR too (the cursor row in reverse video)."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    db = tmp_path / "small.db"

    async def fill_small() -> None:
        store = await SqlStore.open_sqlite(
            db, tenant="acme", principal="alice", provision=Provision("ACME", "internal", "owner")
        )
        await store.import_audit_events(
            [
                AuditEventSpec(
                    ts=START + timedelta(hours=i),
                    actor="auditor-bot",
                    action=ACTIONS[i % len(ACTIONS)],
                    resource_type="repos",
                    resource_id=f"repo-{i}",
                    outcome="denied" if i % 7 == 0 else "ok",
                    details={"n": i},
                    source="snapshot",
                )
                for i in range(40)
            ]
        )
        await store.close()

    asyncio.run(fill_small())
    app = _app(tmp_path, db)

    async def run_before(pilot: object) -> None:
        pane, _table = await _open_audit(app, pilot)
        pane.apply_filter(AuditFilter(actor="auditor-bot"))
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)  # type: ignore[operator]
