"""Every real sample file is read to the right kind, title, timestamp, tags and links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from coditect_tui.core.memory.documents import AuditLogDocument, ExportDocument, SetupLogDocument
from coditect_tui.core.memory.names import NOTE_DATE_ONLY, NOTE_NO_ZONE
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.timing import TIME_DISAGREES, disagrees
from tests.memory.conftest import FIXTURES

CHECKPOINT = (
    "checkpoints/2025-11-22T04-15-36Z-Phase-0.5-Hooks-Implementation-and-"
    "coditect-next-generation-placeholder-complete.md"
)
SESSION = (
    "sessions/2025-11-21T23-15-36Z-Phase-0.5-Hooks-Implementation-and-coditect-next-"
    "generation-placeholder-complete.md"
)
TEMPLATE_05 = (
    "sessions/2025-11-22-Phase-0.5-Hooks-Implementation-and-coditect-next-"
    "generation-placeholder-complete.md"
)
TEMPLATE_23 = (
    "sessions/2025-11-22-Phase-2-&-3-Hooks-Implementation-Complete---11-production-"
    "ready-hooks,-7000+-lines.md"
)
EXPORT = "exports/2025-11-16T09-50-22Z-test-directory-consolidation.json"
TRANSCRIPT = (
    "2025-11-16T19-53-41Z-Hybrid-Context-Preservation-Implementation-and-Training-"
    "Materials-Complete.txt"
)
PLACEHOLDER = (
    "2025-11-22T08-28-09Z-Submodule-configuration-cross-check-and-symlink-verification-complete.txt"
)
AUDIT = (
    "audit-logs/2025-11-22T08-28-11Z-checkpoint-audit-Export-dedup:-Submodule-"
    "configuration-cross-check-and-symlink-verification-complete.json"
)
SETUP = "SESSION-20251115-145715.json"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# rel -> (kind, title, timestamp_raw, timestamp, what the note must start with or None)
EXPECTED: dict[str, tuple[str, str, str, datetime, str | None]] = {
    CHECKPOINT: (
        "checkpoint",
        "Phase 0.5 Hooks Implementation and coditect-next-generation placeholder complete",
        "2025-11-22T04-15-36Z",
        utc(2025, 11, 22, 4, 15, 36),
        None,
    ),
    SESSION: (
        "session",
        "Phase 0.5 Hooks Implementation and coditect next generation placeholder complete",
        "2025-11-21T23-15-36Z",
        utc(2025, 11, 22, 4, 15, 36),
        "the name's 2025-11-21T23-15-36Z is local time (UTC−05:00); the time is the body's "
        "Timestamp, 2025-11-22T04:15:36Z",
    ),
    TEMPLATE_05: (
        "session-template",
        "Phase 0.5 Hooks Implementation and coditect-next-generation placeholder complete",
        "2025-11-22",
        utc(2025, 11, 22),
        NOTE_DATE_ONLY,
    ),
    TEMPLATE_23: (
        "session-template",
        "Phase 2 & 3 Hooks Implementation Complete - 11 production-ready hooks, 7000+ lines",
        "2025-11-22",
        utc(2025, 11, 22),
        NOTE_DATE_ONLY,
    ),
    EXPORT: (
        "export-json",
        "test directory consolidation",
        "2025-11-16T09-50-22Z",
        utc(2025, 11, 16, 13, 17, 6),
        TIME_DISAGREES,
    ),
    TRANSCRIPT: (
        "transcript",
        "Hybrid Context Preservation Implementation and Training Materials Complete",
        "2025-11-16T19-53-41Z",
        utc(2025, 11, 16, 19, 53, 41),
        None,
    ),
    PLACEHOLDER: (
        "export-placeholder",
        "Submodule configuration cross-check and symlink verification complete",
        "2025-11-22T08-28-09Z",
        utc(2025, 11, 22, 8, 28, 9),
        None,
    ),
    AUDIT: (
        "audit-log",
        "Export dedup: Submodule configuration cross-check and symlink verification complete",
        "2025-11-22T08-28-11Z",
        utc(2025, 11, 22, 8, 28, 11),
        None,
    ),
    SETUP: (
        "setup-log",
        "Set-up of master project coditect-rollout-master",
        "20251115-145715",
        utc(2025, 11, 15, 14, 57, 15),
        NOTE_NO_ZONE,
    ),
}


def test_every_sample_file_is_covered() -> None:
    files = {
        p.relative_to(FIXTURES).as_posix()
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_sample_kind_title_timestamp(rel: str) -> None:
    kind, title, raw, moment, note = EXPECTED[rel]
    parsed = read_memory_file(FIXTURES / rel, FIXTURES)
    assert (parsed.kind, parsed.title, parsed.timestamp_raw, parsed.timestamp) == (
        kind,
        title,
        raw,
        moment,
    )
    if note is None:
        assert parsed.timestamp_note is None
    else:
        assert parsed.timestamp_note is not None and parsed.timestamp_note.startswith(note)
    data = (FIXTURES / rel).read_bytes()
    assert parsed.size == len(data) and not parsed.truncated and parsed.notes == []
    assert parsed.key == str(FIXTURES / rel) and parsed.rel == rel


def test_session_export_gets_the_body_utc_time() -> None:
    parsed = read_memory_file(FIXTURES / SESSION, FIXTURES)
    # the name's "Z" is local time (session_export.py); the body's Timestamp is real UTC
    # and 5 hours later, a whole zone offset: no disagreement, the body's time is used
    assert parsed.timestamp == utc(2025, 11, 22, 4, 15, 36)
    assert parsed.timestamp_raw == "2025-11-21T23-15-36Z"
    assert not disagrees(parsed.timestamp_note)
    checkpoint = read_memory_file(FIXTURES / CHECKPOINT, FIXTURES)
    assert parsed.timestamp == checkpoint.timestamp
    assert parsed.repository == (
        "/Users/halcasteel/PROJECTS/coditect-rollout-master/submodules/core/coditect-core"
    )


def test_export_whose_name_and_body_disagree_is_flagged() -> None:
    parsed = read_memory_file(FIXTURES / EXPORT, FIXTURES)
    # 09:50:22 local against 13:17:06Z: 3 h 26 min 44 s is no time zone's offset
    assert disagrees(parsed.timestamp_note)
    assert parsed.timestamp == utc(2025, 11, 16, 13, 17, 6)
    assert "2025-11-16T09-50-22Z" in (parsed.timestamp_note or "")


def test_checkpoint_and_its_session_files_are_linked() -> None:
    checkpoint = read_memory_file(FIXTURES / CHECKPOINT, FIXTURES)
    session = read_memory_file(FIXTURES / SESSION, FIXTURES)
    template = read_memory_file(FIXTURES / TEMPLATE_05, FIXTURES)
    other_template = read_memory_file(FIXTURES / TEMPLATE_23, FIXTURES)
    tag = "checkpoint:2025-11-22T04-15-36Z"
    assert tag in checkpoint.tags and tag in session.tags and tag in template.tags
    assert tag not in other_template.tags
    assert "checkpoint:2025-11-22T04-32-36Z" in other_template.tags
    assert session.links[0] == CHECKPOINT and template.links == [CHECKPOINT]
    assert TEMPLATE_05 in session.links
    assert checkpoint.links == [
        "exports/2025-11-22T04-15-36Z-Phase-0.5-Hooks-Implementation-and-coditect-next-"
        "generation-placeholder-complete.txt"
    ]
    assert session.tags[:3] == ["0.5", "and", "coditect-next-generation"]


def test_export_json_is_structured() -> None:
    parsed = read_memory_file(FIXTURES / EXPORT, FIXTURES)
    doc = parsed.document
    assert isinstance(doc, ExportDocument) and doc.problems == []
    assert doc.checkpoint_file == (
        "2025-11-16T13-17-06Z-Session-Complete---Sprint-+1-"
        "Planning,-Export-Automation,-Repository-Organization.md"
    )
    assert doc.participants == ["user", "claude-code"]
    assert doc.export_time == "2025-11-16T09:50:22.083131"
    assert doc.tags[:3] == ["+1", "automation", "complete"]
    assert [name for name, _ in doc.sections] == [
        "Executive Summary",
        "Git Status",
        "Submodule Status",
        "Completed Tasks by Project",
        "Documentation Updates",
        "Next Steps",
        "Session Context Export",
        "MEMORY-CONTEXT Integration",
        "Metrics & KPIs",
        "Quality Assurance",
    ]
    assert doc.file_changes["modified"][0] == "README.md"
    assert len(doc.file_changes["modified"]) == 6 and len(doc.file_changes["untracked"]) == 4
    assert len(doc.recent_commits) == 10 and doc.decisions == []
    # the index gets readable text, not JSON escapes
    assert not parsed.body.startswith("{")
    assert "## Git Status\n### Current Branch\n```\nmain\n```" in parsed.body
    assert "checkpoint:2025-11-16T13-17-06Z" in parsed.tags
    assert parsed.links == [f"checkpoints/{doc.checkpoint_file}"]


def test_transcript_keeps_its_markers() -> None:
    path = FIXTURES / TRANSCRIPT
    parsed = read_memory_file(path, FIXTURES)
    assert parsed.body == path.read_text(encoding="utf-8")
    assert "\n⏺ Bash(git push)\n" in parsed.body
    assert "\n  ⎿ \u00a0Read 50 lines\n" in parsed.body  # the real file has a no-break space


def test_audit_and_setup_logs_are_structured() -> None:
    audit = read_memory_file(FIXTURES / AUDIT, FIXTURES)
    assert isinstance(audit.document, AuditLogDocument)
    assert len(audit.document.operations) == 132
    assert audit.tags == ["commit", "detect", "push"]
    failed = [op for op in audit.document.operations if op.status == "error"]
    assert len(failed) == 1 and failed[0].operation == "push"
    assert failed[0].repo in audit.body
    setup = read_memory_file(FIXTURES / SETUP, FIXTURES)
    assert isinstance(setup.document, SetupLogDocument)
    assert setup.document.sub_projects_created == 10 and len(setup.document.lines) == 151
    assert "GitHub CLI authenticated" in setup.body
    assert "─" * 10 not in setup.body  # separator lines are not indexed


def test_placeholder_names_its_own_checkpoint_time(tmp_path: Path) -> None:
    parsed = read_memory_file(FIXTURES / PLACEHOLDER, FIXTURES)
    assert parsed.tags == ["checkpoint:2025-11-22T08-28-09Z"]
    assert "Status: PENDING" in parsed.body
