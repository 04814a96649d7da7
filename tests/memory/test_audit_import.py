"""audit-logs/*.json -> the tenant's audit chain, marked with the source file, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from coditect_store.store import SqlStore
from coditect_tui.core.memory.audit_import import (
    ACTOR,
    import_audit_logs,
    read_audit_log_events,
)
from coditect_tui.core.models import AuditFilter
from tests.memory.conftest import FIXTURES
from tests.memory.test_fixtures import AUDIT


def test_operations_become_events() -> None:
    found = read_audit_log_events(FIXTURES / AUDIT, FIXTURES)
    assert found.source == AUDIT and found.problems == []
    assert len(found.events) == 132
    first = found.events[0]
    assert first.ts == datetime(2025, 11, 22, 8, 28, 11, 419432, tzinfo=UTC)
    assert (first.actor, first.action, first.resource_type, first.resource_id, first.outcome) == (
        ACTOR,
        "repos.detect",
        "repos",
        "submodules/core/coditect-core",
        "ok",
    )
    assert first.details["status"] == "info" and first.details["details"] == "No modifications"
    assert first.details["checkpoint"].startswith("Export dedup: Submodule configuration")
    assert [e.action for e in found.events if e.outcome == "error"] == ["repos.push"]
    assert found.events[-1].resource_id == "parent"


async def test_import_is_idempotent_and_marked(store: SqlStore, memory_dir: Path) -> None:
    first = await import_audit_logs(store, [memory_dir])
    assert (first.files, first.events_read, first.appended, first.problems) == (1, 132, 132, [])
    again = await import_audit_logs(store, [memory_dir])
    assert (again.events_read, again.appended) == (132, 0)
    imported = await store.query_audit(AuditFilter(actor=ACTOR), limit=1000)
    assert len(imported.items) == 132
    assert {e.source for e in imported.items} == {AUDIT}
    assert {e.role for e in imported.items} == {"imported"}
    errors = await store.query_audit(AuditFilter(actor=ACTOR, outcome="error"))
    assert [e.action for e in errors.items] == ["repos.push"]
    assert (await store.verify_audit()).ok


async def test_bad_logs_are_reported_not_fatal(store: SqlStore, tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    logs = root / "audit-logs"
    logs.mkdir(parents=True)
    (logs / "2025-11-22T07-04-21Z-checkpoint-audit-broken.json").write_text("{not json")
    (logs / "2025-11-22T07-05-00Z-checkpoint-audit-undated.json").write_text(
        '{"operations": [{"operation": "push", "timestamp": "later"}, "junk"]}'
    )
    (logs / "2025-11-22T07-06-00Z-checkpoint-audit-fallback.json").write_text(
        '{"timestamp": "2025-11-22T07-06-00Z", "operations": [{"operation": "Commit!",'
        ' "repo": "parent", "status": "warning"}]}'
    )
    report = await import_audit_logs(store, [root])
    assert report.files == 3 and report.appended == 2
    assert any("invalid JSON" in p for p in report.problems)
    assert any("1 operation is not an object" in p for p in report.problems)
    events = (await store.query_audit(AuditFilter(actor=ACTOR))).items
    by_source = {e.source.rsplit("-", 1)[-1]: e for e in events}
    # the undated operation falls back to the time in the file name
    assert by_source["undated.json"].ts == "2025-11-22T07:05:00.000000Z"
    assert by_source["fallback.json"].action == "repos.commit"
    assert by_source["fallback.json"].outcome == "ok"
