"""A store whose memory index was built by schema 0002 (FTS5 without stemming, two
columns) is re-indexed by migration 0003 on open: every entry kept, now found by stem;
then re-keyed in static-rank order by 0010."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coditect_store import migrate
from coditect_store.memory import fts_rowid
from coditect_tui.core.models import MemoryEntrySpec
from tests.store.helpers import copy_tables, open_store, raw
from tests.store.test_schema_upgrade import migrate_to

ENTRIES = 1200  # more than two of the migration's batches


def _spec(i: int) -> MemoryEntrySpec:
    return MemoryEntrySpec(
        path=f"/m/checkpoints/e{i:04d}.md",
        kind="checkpoint",
        title=f"Entry {i}",
        body=f"# Checkpoint {i}\n\n## Hooks rework\n\nThe hooks were reworked (entry{i}).\n",
        size=60,
        sha256=f"{i:064x}",
    )


def old_memory_store(path: Path) -> None:
    """A store file at schema 0002 with ENTRIES memory entries in its old FTS5 table (rows
    made by the app in a scratch store, copied into a file migrated to 0002 only)."""
    scratch = path.with_name("scratch.db")

    async def build() -> None:
        store = await open_store(scratch)
        try:
            await store.upsert_memory_entries([_spec(i) for i in range(ENTRIES)])
        finally:
            await store.close()

    asyncio.run(build())
    migrate_to(path, "0002")
    conn = raw(path)
    try:
        assert (
            "tokenize = 'unicode61 remove_diacritics 2'"
            in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'memory_fts'").fetchone()[0]
        )
        conn.execute("ATTACH DATABASE ? AS src", (str(scratch),))
        conn.execute("BEGIN")
        copy_tables(conn)
        # schema 0002 keyed an index row by its entry's rowid (0010 re-keys it)
        conn.execute(
            "INSERT INTO main.memory_fts(rowid, title, body) "
            f"SELECT rowid & {(1 << 40) - 1}, title, body FROM src.memory_fts"
        )
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    finally:
        conn.close()


def _fts_state(path: Path) -> tuple[str, str, int]:
    conn = raw(path)
    try:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'memory_fts'").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM memory_fts").fetchone()[0]
    finally:
        conn.close()
    return version, sql, count


def test_the_old_index_is_rebuilt_on_open_without_losing_entries(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    old_memory_store(path)
    assert migrate.preflight(path) == "0002"

    async def check() -> None:
        store = await open_store(path)
        try:
            result = await store.search_memory_result("hook ", limit=1000)
            assert result.total == ENTRIES  # "hook" finds every "hooks": stems
            assert len(await store.search_memory("entry1199 ")) == 1
            hit = (await store.search_memory("rework"))[0]
            assert (
                await store.get_memory_body(hit.entry.id)
                == _spec(int(hit.entry.title.split()[1])).body
            )
        finally:
            await store.close()

    asyncio.run(check())
    version, sql, count = _fts_state(path)
    assert (version, count) == (migrate.HEAD, ENTRIES)
    assert "porter" in sql and "headings" in sql
    assert list(tmp_path.glob("store.db.bak-0002-*"))  # the backup taken first
    conn = raw(path)
    try:  # 0010: every row keyed by static rank (an undated checkpoint), its entry's below
        keys = conn.execute(
            "SELECT f.rowid, e.rowid FROM memory_fts f JOIN memory_entries e "
            f"ON e.rowid = f.rowid & {(1 << 40) - 1}"
        ).fetchall()
    finally:
        conn.close()
    assert len(keys) == ENTRIES
    assert all(key == fts_rowid("checkpoint", None, rowid) for key, rowid in keys)


def test_a_failed_rebuild_leaves_the_old_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.db"
    old_memory_store(path)
    before = _fts_state(path)
    calls = 0

    def failing(body: str) -> str:
        nonlocal calls
        calls += 1
        if calls > 700:  # in the second batch
            raise RuntimeError("disk on fire")
        return ""

    monkeypatch.setattr("coditect_tui.core.memory.ranking.headings", failing)

    async def attempt() -> None:
        store = await open_store(path)
        await store.close()

    with pytest.raises(RuntimeError, match="disk on fire"):
        asyncio.run(attempt())
    assert _fts_state(path) == before
