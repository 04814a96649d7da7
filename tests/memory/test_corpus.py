"""A generated corpus of 10,000 files of every kind, indexed once: kinds, titles,
timestamps, and search results checked against an exact oracle."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from coditect_store.store import SqlStore
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.roots import MemoryRoot
from coditect_tui.core.memory.search import search
from coditect_tui.core.models import MemoryEntry, MemoryFilter
from tests.memory.conftest import CORPUS_SIZE, IndexedCorpus, open_store


@pytest.fixture
async def corpus_store(indexed_corpus: IndexedCorpus) -> AsyncIterator[SqlStore]:
    backend = await open_store(indexed_corpus.db)
    yield backend
    await backend.close()


async def all_entries(store: SqlStore) -> list[MemoryEntry]:
    return [entry async for entry in store.export_memory()]


async def test_every_generated_file_is_indexed_as_expected(
    indexed_corpus: IndexedCorpus, corpus_store: SqlStore
) -> None:
    report = indexed_corpus.report
    assert len(report.added) == CORPUS_SIZE and report.errors == []
    root = indexed_corpus.corpus.root.resolve()
    by_path = {e.path: e for e in await all_entries(corpus_store)}
    assert len(by_path) == CORPUS_SIZE
    wrong = []
    for doc in indexed_corpus.corpus.docs:
        entry = by_path[str(root / doc.rel)]
        if (entry.kind, entry.title, entry.timestamp_raw) != (
            doc.kind,
            doc.title,
            doc.timestamp_raw,
        ):
            wrong.append((doc, entry.kind, entry.title, entry.timestamp_raw))
    assert wrong == []
    kinds = Counter(doc.kind for doc in indexed_corpus.corpus.docs)
    assert len(kinds) == 10 and min(kinds.values()) >= 100


async def test_searches_match_the_oracle(
    indexed_corpus: IndexedCorpus, corpus_store: SqlStore
) -> None:
    corpus = indexed_corpus.corpus
    root = corpus.root.resolve()

    async def found(query: str, flt: MemoryFilter | None = None) -> set[str]:
        hits = await search(corpus_store, query, flt, limit=1000)
        return {Path(h.entry.path).relative_to(root).as_posix() for h in hits}

    rare = [f"raremarker{k}" for k in range(20) if corpus.with_marker(f"raremarker{k}")]
    assert len(rare) >= 15
    for marker in rare:
        # a trailing space: the last word is complete (not matched as a prefix)
        assert await found(marker + " ") == corpus.with_marker(marker), marker
    # without it, the last word is also a prefix: raremarker1 finds raremarker1, 10..19
    assert await found("raremarker1") == set().union(
        *(corpus.with_marker(m) for m in rare if m.startswith("raremarker1"))
    )
    both = corpus.with_marker("quantum ledger")
    quantum = corpus.with_marker("quantum")
    ledger = corpus.with_marker("ledger")
    assert len(both) == CORPUS_SIZE // 50
    assert await found('"quantum ledger"') == both
    assert await found("quantum ledger") == both  # the lone words never meet elsewhere
    assert await found("quantum -ledger") == quantum
    assert await found("quantum OR ledger") == both | quantum | ledger
    union = set().union(*(corpus.with_marker(f"zephyrix{k}") for k in range(10)))
    assert await found("zephyrix*") == union
    assert await found("zephyrix3 OR zephyrix7") == (
        corpus.with_marker("zephyrix3") | corpus.with_marker("zephyrix7")
    )
    checkpoints = {d.rel for d in corpus.docs if d.kind == "checkpoint"}
    assert await found("zephyrix*", MemoryFilter(kinds=["checkpoint"])) == union & checkpoints


async def test_hits_are_ranked_and_highlighted(corpus_store: SqlStore) -> None:
    hits = await search(corpus_store, "checkpoint hooks", limit=50)
    assert len(hits) == 50
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert all("\x02" in h.snippet and "\x03" in h.snippet for h in hits)


async def test_reindex_of_an_unchanged_corpus_reads_nothing(
    indexed_corpus: IndexedCorpus, corpus_store: SqlStore
) -> None:
    indexer = MemoryIndexer(corpus_store, [MemoryRoot(indexed_corpus.corpus.root.resolve())])
    await indexer.load_state()
    started = time.perf_counter()
    report = await indexer.index()
    elapsed = time.perf_counter() - started
    assert (report.unchanged, report.changed, report.touched) == (CORPUS_SIZE, False, 0)
    assert elapsed < 5, elapsed  # a stat per file, no reads (about 0.1 s here)
