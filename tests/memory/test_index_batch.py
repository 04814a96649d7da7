"""Indexing in batches: a constant number of statements per batch, the same index as
entry-by-entry upserts (rows, bodies, search answers, audit events), and the reading of
the next batch overlapping the storing of this one."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from coditect_store.memory import fts_rowid
from coditect_store.schema import parse_ts
from coditect_store.store import SqlStore
from coditect_tui.core.memory import indexer as indexer_module
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.roots import FileStat, MemoryRoot, walk_files
from coditect_tui.core.memory.search import search_result
from coditect_tui.core.models import MemoryEntrySpec
from tests.memory.conftest import open_store
from tests.support.memory_corpus import generate_corpus


@contextmanager
def statements(store: SqlStore) -> Iterator[list[str]]:
    """The SQL statements the store sends while the block runs (an executemany is one)."""
    sent: list[str] = []
    engine = store._engine  # the store's own engine: what it sends
    assert engine is not None

    def seen(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        sent.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def _specs(count: int, tag: str) -> list[MemoryEntrySpec]:
    return [
        MemoryEntrySpec(
            path=f"/w/MEMORY-CONTEXT/{i}.md",
            kind="note",
            title=f"note {i} {tag}",
            body=f"# Heading {i}\n\nbody {tag} {i}",
            size=10,
        )
        for i in range(count)
    ]


async def test_a_batch_costs_the_same_statements_whatever_its_size(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "s.db")
    try:
        counts = []
        for size, tag in ((8, "a"), (64, "b")):  # new entries (different paths per round)
            specs = [s.model_copy(update={"path": f"{s.path}.{tag}"}) for s in _specs(size, tag)]
            with statements(store) as sent:
                await store.upsert_memory_entries(specs)
            counts.append(len(sent))
        with statements(store) as sent:  # 64 changed entries
            await store.upsert_memory_entries(
                [s.model_copy(update={"path": f"{s.path}.b"}) for s in _specs(64, "c")]
            )
        counts.append(len(sent))
        assert counts[0] == counts[1], counts
        assert max(counts) <= 12, counts
        assert len((await store.list_memory_entries(limit=1000)).items) == 72
        assert len(await store.search_memory("c", limit=1000)) == 64
    finally:
        await store.close()


def _stored_rows(db: Path) -> dict[str, Any]:
    """What the database file holds of an index, as stored: every column of the entries
    (their ids and indexing times aside), each one's index row (keyed by its static rank)
    and the details of the audit events."""
    conn = sqlite3.connect(db)
    try:
        entries = conn.execute("SELECT rowid, * FROM memory_entries ORDER BY path").fetchall()
        names = [d[0] for d in conn.execute("SELECT * FROM memory_entries").description]
        fts = {
            rowid: rest
            for rowid, *rest in conn.execute("SELECT rowid, title, headings, body FROM memory_fts")
        }
        (tenant,) = conn.execute("SELECT id FROM tenants").fetchone()
        events = conn.execute(
            "SELECT action, resource_type, outcome, details FROM audit_events "
            "WHERE action LIKE 'memory.%'"
        ).fetchall()
    finally:
        conn.close()
    rows = {}
    for rowid, *values in entries:
        row = dict(zip(names, values, strict=True))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", row.pop("indexed_at"))
        row.pop("id")
        assert row.pop("tenant_id") == tenant
        moment = parse_ts(row["timestamp"]) if row["timestamp"] is not None else None
        row["index row"] = fts.pop(fts_rowid(row["kind"], moment, rowid))
        rows[row["path"]] = row
    assert not fts  # no index row without its entry
    return {"rows": rows, "events": sorted(events)}


async def _snapshot(store: SqlStore, queries: list[str]) -> dict[str, Any]:
    """What a user can see of an index: entries, bodies, search answers, audit actions."""
    entries = (await store.list_memory_entries(limit=1000)).items
    rows = {
        e.path: (
            e.kind,
            e.title,
            e.timestamp,
            e.timestamp_raw,
            e.timestamp_note,
            tuple(e.tags),
            e.size,
            e.mtime,
            e.sha256,
            e.project_id,
            await store.get_memory_body(e.id),
        )
        for e in entries
    }
    answers = {}
    for query in queries:
        result = await search_result(store, query, limit=1000)
        # ties in score are ordered by id, random per store: compare ranks, not order
        answers[query] = (
            result.total,
            sorted((h.entry.path, round(h.rank, 9), h.snippet) for h in result.hits),
        )
    actions = Counter(e.action for e in (await store.query_audit(limit=1000)).items)
    return {"rows": rows, "answers": answers, "actions": actions}


def _read_in_a_process(monkeypatch: Any, files: int) -> tuple[list[int], list[int]]:
    """Runs of ``files`` files or more read in a process, whose start the first batch
    (read in a thread) waits for, so that the later ones go to it. Returns the files of
    each run that made a process (0: none), and the files of each batch read in a
    thread."""
    monkeypatch.setattr(indexer_module, "PROCESS_FILES", files)
    pools: list[Any] = []
    runs: list[int] = []
    in_thread: list[int] = []
    real_pool = indexer_module._reader_pool
    real_examine = MemoryIndexer._examine

    def pool(count: int) -> Any:
        made = real_pool(count)
        runs.append(count if made is not None else 0)
        pools.append(made)
        return made

    def examine(self: MemoryIndexer, batch: Any, known: Any) -> Any:
        if pools[-1] is not None and not in_thread:
            pools[-1].submit(int).result(60)  # the process is up
        in_thread.append(len(batch))
        return real_examine(self, batch, known)

    monkeypatch.setattr(indexer_module, "_reader_pool", pool)
    monkeypatch.setattr(MemoryIndexer, "_examine", examine)
    return runs, in_thread


@pytest.mark.parametrize("reader", ["thread", "process"])
async def test_batched_index_equals_entry_by_entry_upserts(
    tmp_path: Path, monkeypatch: Any, reader: str
) -> None:
    """The same index, whether the files are read and parsed in a thread or (a large
    run) in a process of their own."""
    if reader == "process":  # the first batch is read in a thread, the others not
        monkeypatch.setattr(indexer_module, "BATCH", 64)
        runs, in_thread = _read_in_a_process(monkeypatch, 1)
    corpus = generate_corpus(tmp_path / "MEMORY-CONTEXT", 300, seed=5, avg_bytes=600)
    root = corpus.root.resolve()
    queries = [*corpus.vocabulary[:8], *corpus.vocabulary[200:206], '"quantum ledger"', "zephyrix*"]
    queries += ["checkpoint -session", "hooks OR dedup", "sub"]
    batched = await open_store(tmp_path / "batched.db")
    single = await open_store(tmp_path / "single.db")

    async def one_by_one() -> None:
        """The reference: every file read and upserted on its own, gone ones deleted."""
        files = {f.key: f for f in walk_files(root).files}
        for entry in (await single.list_memory_entries(limit=1000)).items:
            if entry.path not in files:
                await single.delete_memory_entry(entry.id)
        known = {e.path: e.sha256 for e in (await single.list_memory_entries(limit=1000)).items}
        for key, file in files.items():
            parsed = read_memory_file(Path(file.path), root)
            if known.get(key) != parsed.sha256:
                await single.upsert_memory_entry(parsed.to_spec(None))

    try:
        indexer = MemoryIndexer(batched, [MemoryRoot(root)])
        report = await indexer.index()
        assert len(report.added) == 300 and not report.errors
        if reader == "process":
            assert runs == [300] and in_thread == [64]
        await one_by_one()
        assert await _snapshot(batched, queries) == await _snapshot(single, queries)
        assert _stored_rows(tmp_path / "batched.db") == _stored_rows(tmp_path / "single.db")
        # then some files change and some go: the batch updates what it must
        changed = sorted(root.rglob("*.md"))[:40]
        for number, path in enumerate(changed):
            path.write_text(path.read_text(encoding="utf-8") + f"\nedited {number} quokka\n")
        for path in sorted(root.rglob("*.json"))[:5]:
            path.unlink()
        report = await indexer.index()
        assert len(report.updated) == 40 and len(report.deleted) == 5, report.summary()
        await one_by_one()
        after = await _snapshot(batched, [*queries, "quokka"])
        assert after == await _snapshot(single, [*queries, "quokka"])
        assert after["answers"]["quokka"][0] == 40
        assert _stored_rows(tmp_path / "batched.db") == _stored_rows(tmp_path / "single.db")
    finally:
        await batched.close()
        await single.close()


def test_batches_are_bounded_by_files_and_by_bytes(monkeypatch: Any) -> None:
    """A batch ends at ``BATCH`` files or before ``BATCH_BYTES`` (a file counted up to the
    index cap); a file larger than that makes a batch of its own."""
    monkeypatch.setattr(indexer_module, "BATCH", 3)
    monkeypatch.setattr(indexer_module, "BATCH_BYTES", 100)
    root = MemoryRoot(Path("/w/MEMORY-CONTEXT"))
    sizes = [10, 10, 10, 10, 60, 50, 500, 10, 2000, 0]
    candidates = [
        (FileStat(f"/w/MEMORY-CONTEXT/{n}.md", f"/w/MEMORY-CONTEXT/{n}.md", 0.0, size), root)
        for n, size in enumerate(sizes)
    ]
    batches = indexer_module._batches(candidates, 1000)
    assert [[stat.size for stat, _root in batch] for batch in batches] == [
        [10, 10, 10],
        [10, 60],
        [50],
        [500],
        [10],
        [2000],
        [0],
    ]
    assert [c for batch in batches for c in batch] == candidates


async def test_a_cold_index_stores_hundreds_of_files_per_transaction(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Each backend call is one transaction, and each commit writes the full-text index's
    pending terms out as a segment of its own: a cold index stores 500 files a call."""
    corpus = generate_corpus(tmp_path / "MEMORY-CONTEXT", 1200, seed=4, avg_bytes=200)
    store = await open_store(tmp_path / "s.db")
    sizes: list[int] = []
    real_upsert = store.upsert_memory_entries

    async def upsert(specs: list[MemoryEntrySpec]) -> Any:
        sizes.append(len(specs))
        return await real_upsert(specs)

    monkeypatch.setattr(store, "upsert_memory_entries", upsert)
    try:
        report = await MemoryIndexer(store, [MemoryRoot(corpus.root.resolve())]).index()
        assert len(report.added) == 1200 and not report.errors
        assert sizes == [500, 500, 200]
    finally:
        await store.close()


async def test_a_large_run_reads_in_a_process_that_ends_with_it(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """From PROCESS_FILES files on, reading and parsing run in a process of their own
    (parsing holds the GIL, which the store's threads would wait for); it is gone once
    the run returns."""
    corpus = generate_corpus(tmp_path / "MEMORY-CONTEXT", 30, seed=6, avg_bytes=300)
    monkeypatch.setattr(indexer_module, "BATCH", 10)
    readers, in_thread = _read_in_a_process(monkeypatch, 30)
    store = await open_store(tmp_path / "s.db")
    try:
        indexer = MemoryIndexer(store, [MemoryRoot(corpus.root.resolve())])
        report = await indexer.index()
        assert len(report.added) == 30 and not report.errors
        # the first batch in a thread while the process starts, the other two in it
        assert readers == [30] and in_thread == [10]
        assert not multiprocessing.active_children()
        assert len(await store.search_memory("zephyrix*", limit=100)) > 0
        path = next(corpus.root.resolve().rglob("*.md"))
        path.write_text(path.read_text(encoding="utf-8") + "\nedited\n", encoding="utf-8")
        assert (await indexer.index()).updated == [str(path)]
        assert readers == [30, 0] and in_thread == [10, 1]  # one file: in a thread
    finally:
        await store.close()


def test_the_reading_process_leaves_ctrl_c_to_the_app() -> None:
    """Ctrl+C reaches every process of the terminal's group: the reading process ignores
    it (no traceback of its own), the app's run ends and shuts it down."""
    pool = indexer_module._reader_pool(indexer_module.PROCESS_FILES)
    assert pool is not None
    try:
        assert pool.submit(signal.getsignal, signal.SIGINT).result(60) == signal.SIG_IGN
    finally:
        pool.shutdown()


async def test_a_reading_process_that_cannot_start_leaves_the_reading_to_a_thread(
    tmp_path: Path, monkeypatch: Any
) -> None:
    corpus = generate_corpus(tmp_path / "MEMORY-CONTEXT", 30, seed=6, avg_bytes=300)
    monkeypatch.setattr(indexer_module, "BATCH", 10)

    def broken(_files: int) -> ProcessPoolExecutor:
        # a process that exits at once: its pool is broken for every batch
        return ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn"), initializer=os._exit, initargs=(3,)
        )

    monkeypatch.setattr(indexer_module, "_reader_pool", broken)
    store = await open_store(tmp_path / "s.db")
    try:
        report = await MemoryIndexer(store, [MemoryRoot(corpus.root.resolve())]).index()
        assert len(report.added) == 30 and not report.errors, report.summary()
        assert not multiprocessing.active_children()
    finally:
        await store.close()


async def test_the_next_batch_is_read_while_this_one_is_stored(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Reading and parsing (a worker thread) overlaps the store's writes: the second
    batch is read before the first one's upsert returns."""
    corpus = generate_corpus(tmp_path / "MEMORY-CONTEXT", 40, seed=2, avg_bytes=300)
    monkeypatch.setattr(indexer_module, "BATCH", 10)
    store = await open_store(tmp_path / "s.db")
    read_batches: list[int] = []
    second_read = threading.Event()
    real_examine = MemoryIndexer._examine

    def examine(self: MemoryIndexer, batch: Any, known: Any) -> Any:
        result = real_examine(self, batch, known)
        read_batches.append(len(batch))
        if len(read_batches) == 2:
            second_read.set()
        return result

    real_upsert = store.upsert_memory_entries
    overlapped: list[bool] = []

    async def upsert(specs: list[MemoryEntrySpec]) -> Any:
        if not overlapped:  # the first batch: is the second read meanwhile?
            overlapped.append(await asyncio.to_thread(second_read.wait, 10))
        return await real_upsert(specs)

    monkeypatch.setattr(MemoryIndexer, "_examine", examine)
    monkeypatch.setattr(store, "upsert_memory_entries", upsert)
    try:
        report = await MemoryIndexer(store, [MemoryRoot(corpus.root.resolve())]).index()
        assert len(report.added) == 40 and not report.errors
        assert overlapped == [True] and read_batches == [10, 10, 10, 10]
    finally:
        await store.close()
