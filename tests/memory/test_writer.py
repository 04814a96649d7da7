"""Session exports and notes: CODITECT's layout, atomic, audited, refused when read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coditect_store.store import SqlStore
from coditect_tui.core.errors import PermissionDenied, ReadOnly
from coditect_tui.core.memory.documents import Decision
from coditect_tui.core.memory.links import entries_for_git_session
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.writer import (
    SessionExport,
    memory_dir_of,
    name_description,
    write_note,
    write_session_export,
)
from coditect_tui.core.models import (
    AuditFilter,
    GitSessionSpec,
    GitSessionUpdate,
    ProjectSpec,
    RepoSpec,
)
from tests.memory.conftest import FIXTURES, open_store
from tests.memory.test_fixtures import SESSION

MOMENT = datetime(2025, 11, 26, 9, 30, 5, tzinfo=UTC)


def layout(text: str) -> list[str]:
    """The skeleton of a session export: bold header fields and section headings."""
    head, _, rest = text.partition("\n---\n")
    fields = [line.split(":**")[0] for line in head.splitlines() if line.startswith("**")]
    return fields + [line for line in rest.splitlines() if line.startswith("## ")]


def sample_export(**changes: object) -> SessionExport:
    values: dict[str, object] = dict(
        description="Phase 2 & 3: hooks, 7000+ lines (v2)\nsecond line",
        exported_at=MOMENT,
        summary="Did the **hooks**.\n\nThen tested them.",
        objectives=["ship hooks"],
        repository="/work/proj",
        participants=["alice"],
        tags=["hooks", "phase-2"],
        file_changes={"modified": [f"src/f{i}.py" for i in range(23)], "added": ["a`b.md"]},
        recent_commits=["abc1234 Add hooks"],
        next_steps=["review the hooks"],
        decisions=[Decision("use watchfiles", "debounced\nevents"), "keep SQLite"],
    )
    values.update(changes)
    return SessionExport(**values)  # type: ignore[arg-type]


async def test_session_export_follows_the_sample_layout(store: SqlStore, tmp_path: Path) -> None:
    memory = memory_dir_of(tmp_path / "proj")
    checkpoint = "2025-11-26T09-30-05Z-hooks.md"
    written = await write_session_export(store, memory, sample_export(checkpoint_file=checkpoint))
    expected_name = "2025-11-26T09-30-05Z-Phase-2-&-3:-hooks,-7000+-lines-(v2)-second-line.md"
    assert written.path == memory / "sessions" / expected_name
    text = written.path.read_text(encoding="utf-8")
    assert layout(text) == layout((FIXTURES / SESSION).read_text(encoding="utf-8"))
    assert text.startswith(
        "# Session Export: Phase 2 & 3: hooks, 7000+ lines (v2) second "
        f"line\n\n**Timestamp:** 2025-11-26T09:30:05Z\n**Checkpoint:** {checkpoint}\n"
    )
    assert "- **Export Time:** 2025-11-26T09:30:05Z" in text
    assert "- `src/f19.py`\n- *... and 3 more*" in text and "- `` a`b.md ``" in text
    assert (
        "### Decision 1\n\n**Decision:** use watchfiles\n\n**Context:**\ndebounced\nevents" in text
    )
    assert "**Decision:** keep SQLite" in text and "- [ ] review the hooks" in text
    assert not list((memory / "sessions").glob(".*"))  # no temporary file left
    # read back: a session, titled, dated in real UTC (no local-time caveat), indexed
    parsed = read_memory_file(written.path, memory)
    assert (parsed.kind, parsed.timestamp, parsed.timestamp_note) == ("session", MOMENT, None)
    assert parsed.title == "Phase 2 & 3: hooks, 7000+ lines (v2) second line"
    assert written.entry.path == str(written.path) and written.entry.kind == "session"
    assert parsed.tags == ["hooks", "phase-2", "checkpoint:2025-11-26T09-30-05Z"]
    events = (await store.query_audit(AuditFilter(action="memory.write"))).items
    assert [e.details["path"] for e in events] == [str(written.path)]
    assert events[0].details["kind"] == "session" and events[0].outcome == "ok"


async def test_empty_fields_are_left_out_and_booleans_read_as_words(
    store: SqlStore, tmp_path: Path
) -> None:
    """CODITECT's exports never say "None": a field with nothing in it is not written,
    and a yes/no fact reads yes or no (not Python's True/False)."""
    memory = tmp_path / "MEMORY-CONTEXT"
    export = sample_export(
        tags=[],
        git_session={"session_key": "20251126-083000", "merged": True, "pushes": None},
    )
    text = (await write_session_export(store, memory, export)).path.read_text()
    assert "None" not in text and "none" not in text.lower().split()
    assert "**Checkpoint:**" not in text and "**Tags:**" not in text
    assert "- **Merged:** yes" in text and "True" not in text
    assert "**Pushes:**" not in text
    assert "**Timestamp:** 2025-11-26T09:30:05Z\n**Repository:** /work/proj\n" in text
    unmerged = sample_export(git_session={"merged": False})
    text = (await write_session_export(store, memory, unmerged)).path.read_text()
    assert "- **Merged:** no" in text and "False" not in text
    note = await write_note(store, memory, "Idea", "text", written_at=MOMENT)
    note_text = note.path.read_text()
    assert "Tags" not in note_text and "None" not in note_text
    assert read_memory_file(note.path, memory).tags == []


async def test_name_collisions_never_overwrite(store: SqlStore, tmp_path: Path) -> None:
    memory = tmp_path / "MEMORY-CONTEXT"
    first = await write_session_export(store, memory, sample_export(description="same"))
    second = await write_session_export(store, memory, sample_export(description="same"))
    assert first.path.name == "2025-11-26T09-30-05Z-same.md"
    assert second.path.name == "2025-11-26T09-30-05Z-same-2.md"
    assert first.entry.id != second.entry.id


async def test_export_of_a_git_session_can_be_found_from_it(
    store: SqlStore, tmp_path: Path
) -> None:
    project = await store.upsert_project(ProjectSpec(name="proj", path=str(tmp_path)))
    repo = await store.upsert_repo(RepoSpec(project_id=project.id, path=str(tmp_path), name="proj"))
    session = await store.create_session(
        GitSessionSpec(
            repo_id=repo.id,
            session_key="20251126-083000",
            description="hooks work",
            branch="session/2025-11-26-hooks-work",
            started_at=MOMENT - timedelta(hours=1),
        )
    )
    session = await store.update_session(
        session.id,
        GitSessionUpdate(
            state="ended",
            ended_at=MOMENT,
            summary={"duration": "1:00:00", "commits": 3, "files_changed": 4},
        ),
    )
    export = SessionExport.from_git_session(
        session, repository=str(tmp_path), summary="Hooks done.", exported_at=MOMENT
    )
    written = await write_session_export(
        store, tmp_path / "MEMORY-CONTEXT", export, project_id=project.id
    )
    text = written.path.read_text()
    assert "- **Git Session:** 20251126-083000" in text and "- **Commits:** 3" in text
    assert "- **Branch:** session/2025-11-26-hooks-work" in text
    assert written.entry.project_id == project.id
    assert [e.id for e in await entries_for_git_session(store, session)] == [written.entry.id]
    event = (await store.query_audit(AuditFilter(action="memory.write"))).items[0]
    assert event.details["git_session"] == "20251126-083000"
    assert event.resource_id == project.id


async def test_note_writer(store: SqlStore, tmp_path: Path) -> None:
    memory = tmp_path / "MEMORY-CONTEXT"
    written = await write_note(
        store,
        memory,
        "Idea: faster index",
        "Batch the upserts.\n",
        tags=["perf"],
        written_at=MOMENT,
    )
    assert written.path == memory / "notes" / "2025-11-26T09-30-05Z-Idea:-faster-index.md"
    assert written.path.read_text().startswith(
        "# Note: Idea: faster index\n\n**Timestamp:** 2025-11-26T09:30:05Z\n**Author:** alice\n"
        "**Tags:** perf\n"
    )
    assert (written.entry.kind, written.entry.title) == ("note", "Idea: faster index")


@pytest.mark.parametrize("mode", ["read-only", "viewer"])
async def test_refused_writes_leave_no_file_and_are_audited(tmp_path: Path, mode: str) -> None:
    db = tmp_path / "s.db"
    setup = await open_store(db)
    await setup.close()
    backend = (
        await open_store(db, read_only=True)
        if mode == "read-only"
        else await open_store(db, principal="vic", role="viewer")
    )
    memory = tmp_path / "MEMORY-CONTEXT"
    try:
        with pytest.raises(ReadOnly if mode == "read-only" else PermissionDenied):
            await write_session_export(backend, memory, sample_export())
        with pytest.raises(ReadOnly if mode == "read-only" else PermissionDenied):
            await write_note(backend, memory, "x", "y")
        assert not memory.exists()
    finally:
        await backend.close()
    owner = await open_store(db)
    try:
        denied = (await owner.query_audit(AuditFilter(outcome="denied"))).items
        assert len(denied) == 2 and {e.resource_type for e in denied} == {"memory"}
        assert (await owner.list_memory_entries()).items == []
    finally:
        await owner.close()


def test_name_description() -> None:
    assert name_description("  a/b\\c\x00 d  ", fallback="x") == "a-b-c-d"
    assert name_description("...", fallback="session") == "session"
    assert len(name_description("é" * 300, fallback="x").encode()) <= 200
