"""The git session a memory entry names (the Memory pane's ``g``), read back from the index.

Every entry is indexed by the real indexer into a real SQLite store; the key is then found
from the title, path or tags, or from the ``Git Session:`` line of the entry's text.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coditect_store.store import SqlStore
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.lookup import git_session_key
from coditect_tui.core.memory.writer import SessionExport, render_session_export
from coditect_tui.core.models import MemoryEntry
from tests.memory.conftest import FIXTURES, open_store

KEY = "20261203-141438"
MOMENT = datetime(2026, 12, 3, 14, 20, tzinfo=UTC)


def _writers_export() -> str:
    """Our writer's export of a session (the demo's and ``session end``'s form)."""
    export = SessionExport(
        description="round invoice totals",
        git_session={"session_key": KEY, "branch": "session/2026-12-03-round-invoice-totals"},
        exported_at=MOMENT,
    )
    return render_session_export(export, file_name="x.md")


async def _index(store: SqlStore, proj: Path) -> dict[str, MemoryEntry]:
    """Index ``proj``'s MEMORY-CONTEXT with the real indexer; the entries by file name."""
    await (await MemoryIndexer.for_paths(store, [proj])).index()
    return {Path(e.path).name: e for e in (await store.list_memory_entries()).items}


@pytest.mark.parametrize(
    "text",
    [
        _writers_export(),
        f"# Session Export: totals\n\n**Git Session**: {KEY}\n\nsome work\n",
        f"# Session Export: totals\n\nGit Session: {KEY}\n",
        f"# Session Export: totals\n\n> - __Git Session:__ `{KEY}`\n",
    ],
    ids=["writer", "bold-label", "plain", "quoted-code"],
)
async def test_the_git_session_line_names_the_session(tmp_path: Path, text: str) -> None:
    sessions = tmp_path / "proj" / "MEMORY-CONTEXT" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "2026-12-03T14-20-00Z-round-invoice-totals.md").write_text(text)
    store = await open_store(tmp_path / "s.db")
    try:
        (entry,) = (await _index(store, tmp_path / "proj")).values()
        assert KEY not in entry.title + entry.path + " ".join(entry.tags)  # only in the text
        assert await git_session_key(store, entry) == KEY
    finally:
        await store.close()


async def test_other_forms_are_kept_and_an_entry_without_a_session_names_none(
    tmp_path: Path,
) -> None:
    samples = tmp_path / "proj" / "MEMORY-CONTEXT"
    shutil.copytree(FIXTURES, samples)
    for path in [samples, *samples.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    store = await open_store(tmp_path / "s.db")
    try:
        entries = await _index(store, tmp_path / "proj")
        named = entries["SESSION-20251115-145715.json"]  # the key in the file's name
        assert await git_session_key(store, named) == "20251115-145715"
        checkpoint = next(e for e in entries.values() if e.kind == "checkpoint")
        assert await git_session_key(store, checkpoint) is None
        # the helper's own exports (the samples) name no git session
        exports = [e for e in entries.values() if e.kind == "session"]
        assert exports and [await git_session_key(store, e) for e in exports] == [None] * len(
            exports
        )
    finally:
        await store.close()
