#!/usr/bin/env python3
"""Memory index benchmark (issue [4/6]); run by hand, not in CI.

Usage: python bench/bench_memory.py [--docs 10000] [--avg-bytes 6800] [--queries 100]
                                    [--rounds 3] [--index-only] [--dir DIR]

Generates a synthetic MEMORY-CONTEXT of every kind (tests.support.memory_corpus,
~100 MB for 10,000 files), indexes it into a fresh SQLite store and prints one line per
figure with its ratio to an anchor measured in the same run:

  cold index  - MemoryIndexer.index() of the whole corpus into a fresh store (and the
                longest the event loop was kept from a 5 ms timer meanwhile), vs two
                anchors: reading, hashing and parsing every file without a store (the
                floor of the work outside the store), and raw sqlite3 inserting the same
                titles and bodies into an identical FTS5 table in one transaction (target:
                cold index <= 3x that insert). --rounds N alternates the two N times and
                prints the median of the per-round ratios (the machine's load changes
                between rounds, less within one)
  query       - in-process latency of 100 mixed queries (rare and common words, phrases,
                prefixes, AND / OR / NOT) through core.memory.search_result, as the Memory
                pane searches (translation + the store's search_memory_result: 50 hits
                with snippets and the exact total): p50 and p95 (target p95
                <= 20 ms), vs `rg -l` over the same files for the same terms in the same
                run: the median of the per-query ratios rg / index (target >= 10x)
  approx      - the same queries with every match scored (the store's scored_matches set
                to None): how many queries' top 10 differ from the approximate top-k, how
                much of the exact top 10 it finds there, and its top 10's score sum against
                the exact one (docs/memory.md, "Top-k")
  reindex     - after one file changed: a full incremental pass (stat every file, read
                the changed one, upsert it) and the watcher's path (index_paths of the one
                file), target <= 50 ms, vs the floor of a pass (walking and stat-ing every
                file)
  relevance   - nDCG@5 and MRR of the judged query set (tests/fixtures/relevance,
                tests/support/relevance.py) on a fresh store (target nDCG@5 >= 0.8)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.ranking import headings
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.roots import MemoryRoot, walk_files
from coditect_tui.core.memory.search import search_result
from coditect_tui.core.memory.stem import FTS5_TOKENIZER

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.support (the corpus generator shared with the tests)

from tests.support.memory_corpus import Corpus, generate_corpus  # noqa: E402
from tests.support.relevance import index_corpus, load_judgements, score  # noqa: E402


@dataclass(frozen=True)
class BenchQuery:
    """A query in our syntax and the rg invocations that answer the same question."""

    kind: str
    text: str
    rg: tuple[tuple[str, ...], ...]  # each: extra rg arguments; combined by `combine`
    combine: str = "one"  # one | and | not | or


def build_queries(corpus: Corpus, count: int, seed: int = 11) -> list[BenchQuery]:
    """A deterministic mix of rare and common words, phrases, prefixes and combinations."""
    rng = random.Random(seed)
    vocab = corpus.vocabulary
    common = vocab[:40]
    rare = vocab[-400:]
    queries: list[BenchQuery] = []

    def word(kind: str, w: str) -> BenchQuery:
        return BenchQuery(kind, w, (("-w", w),))

    markers = [f"raremarker{k}" for k in range(20) if corpus.with_marker(f"raremarker{k}")]
    for w in markers[:10] + rng.sample(rare, 15):
        queries.append(word("rare", w))
    for w in rng.sample(common, 25):
        queries.append(word("common", w))
    phrases = ["quantum ledger"]
    texts = [p for p in corpus.root.rglob("*.md")][:200]
    while len(phrases) < 20:
        line = rng.choice(rng.choice(texts).read_text(encoding="utf-8").splitlines() or [""])
        words = [w for w in line.rstrip(".").split(" ") if w.isalpha()]
        if len(words) >= 3:
            start = rng.randrange(len(words) - 1)
            phrases.append(f"{words[start]} {words[start + 1]}")
    for phrase in phrases:
        queries.append(BenchQuery("phrase", f'"{phrase}"', (("-F", "-w", phrase),)))
    for stem in ["zephyrix", "check", "submod", "dedup", "orches"] + [
        w[:5] for w in rng.sample(vocab[100:1500], 10) if len(w) >= 6
    ]:
        queries.append(BenchQuery("prefix", f"{stem}*", ((f"\\b{stem}",),)))
    while len(queries) < count:
        a, b = rng.sample(common[:20], 1)[0], rng.choice(vocab[20:800])
        shape = len(queries) % 3
        if shape == 0:
            queries.append(BenchQuery("and", f"{a} {b}", (("-w", a), ("-w", b)), "and"))
        elif shape == 1:
            queries.append(BenchQuery("or", f"{a} OR {b}", (("-w", "-e", a, "-e", b),)))
        else:
            queries.append(BenchQuery("not", f"{b} -{a}", (("-w", b), ("-w", a)), "not"))
    return queries[:count]


def rg_files(root: Path, query: BenchQuery) -> tuple[float, set[str]]:
    """Wall time of answering ``query`` with `rg -l -i` over the corpus, and the files."""
    started = time.perf_counter()
    found: list[set[str]] = []
    for args in query.rg:
        done = subprocess.run(
            ["rg", "-l", "-i", "--no-messages", *args, "."],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        found.append(set(done.stdout.split("\n")) - {""})
    elapsed = time.perf_counter() - started
    if query.combine == "and":
        files = found[0] & found[1]
    elif query.combine == "not":
        files = found[0] - found[1]
    else:
        files = found[0]
    return elapsed, files


def parse_floor(root: Path) -> float:
    """Read, hash and parse every file, no store."""
    started = time.perf_counter()
    for item in walk_files(root).files:
        read_memory_file(item.path, root)
    return time.perf_counter() - started


def raw_fts_insert(root: Path, work: Path) -> float:
    """Raw sqlite3: the same titles and bodies into an identical FTS5 table, one transaction."""
    parsed = [read_memory_file(item.path, root) for item in walk_files(root).files]
    db = work / "anchor.db"
    for old in work.glob("anchor.db*"):
        old.unlink()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE VIRTUAL TABLE memory_fts USING fts5(title, headings, body, "
        f"tokenize = '{FTS5_TOKENIZER}')"
    )
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO memory_fts(rowid, title, headings, body) VALUES (?, ?, ?, ?)",
        [(i, p.title, headings(p.body), p.body) for i, p in enumerate(parsed, 1)],
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def open_fresh_store(db: Path) -> SqlStore:
    """A new store file (an older one at that path is removed first)."""
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    return await SqlStore.open_sqlite(
        db, tenant="bench", principal="bench", provision=Provision("Bench", "internal", "owner")
    )


async def cold_index(
    args: argparse.Namespace, root: Path, work: Path, total_bytes: int
) -> tuple[SqlStore, MemoryIndexer]:
    """Cold index vs its anchors, ``args.rounds`` times alternating; the last store stays
    open (with its indexer) for the query and re-index figures."""
    rows = []
    store: SqlStore | None = None
    indexer: MemoryIndexer | None = None

    async def longest_stall(stop: asyncio.Event) -> float:
        """The longest the event loop (the app's UI loop) was kept from a 5 ms timer."""
        worst = 0.0
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - started - 0.005)
        return worst

    for round_no in range(args.rounds):
        floor = parse_floor(root)
        raw_insert = raw_fts_insert(root, work)
        if store is not None:
            await store.close()
        store = await open_fresh_store(work / "memory.db")
        indexer = MemoryIndexer(store, [MemoryRoot(root)])
        stop = asyncio.Event()
        ticker = asyncio.create_task(longest_stall(stop))
        started = time.perf_counter()
        report = await indexer.index()
        cold = time.perf_counter() - started
        stop.set()
        stall = await ticker
        assert len(report.added) == args.docs and not report.errors, report.summary()
        rows.append((cold, floor, raw_insert, stall))
        print(
            f"cold index   {cold:8.2f} s  round {round_no + 1}/{args.rounds} "
            f"({args.docs / cold:,.0f} files/s, {total_bytes / 1e6 / cold:.1f} MB/s); "
            f"read+hash+parse floor {floor:.2f} s -> ratio {cold / floor:.1f}; raw sqlite3 "
            f"FTS5 insert of the same text in one transaction {raw_insert:.2f} s -> ratio "
            f"{cold / raw_insert:.2f}; event loop's longest stall {stall * 1000:.0f} ms"
        )
    ratio = statistics.median(r[0] / r[2] for r in rows)
    print(
        f"cold ratio   median per-round cold index / raw FTS5 insert {ratio:.2f}x (target "
        f"<= 3x: {'met' if ratio <= 3 else 'NOT met'}); median cold "
        f"{statistics.median(r[0] for r in rows):.2f} s, raw "
        f"{statistics.median(r[2] for r in rows):.2f} s, floor "
        f"{statistics.median(r[1] for r in rows):.2f} s, longest event-loop stall "
        f"{max(r[3] for r in rows) * 1000:.0f} ms; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    assert store is not None and indexer is not None
    return store, indexer


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run(args: argparse.Namespace, work: Path) -> None:
    """Generate, index, query, re-index and diagnose in ``work``; print one line a figure."""
    root = work / "MEMORY-CONTEXT"
    started = time.perf_counter()
    corpus = generate_corpus(root, args.docs, seed=3, avg_bytes=args.avg_bytes)
    root = root.resolve()
    print(
        f"# {args.docs} files, {corpus.total_bytes / 1e6:.1f} MB, generated in "
        f"{time.perf_counter() - started:.1f} s, in {work}"
    )
    gc.freeze()  # as the app does after its first paint (ui/startup.py)
    store, indexer = await cold_index(args, root, work, corpus.total_bytes)
    if args.index_only:
        await store.close()
        return
    try:
        queries = build_queries(corpus, args.queries)
        for query in queries[:5]:  # warm the page cache and the statement cache
            await search_result(store, query.text)
            rg_files(root, query)
        ours: list[float] = []
        theirs: list[float] = []
        ratios: list[float] = []
        per_kind: dict[str, list[float]] = {}
        compared = agreed = 0
        for query in queries:
            started = time.perf_counter()
            hits = (await search_result(store, query.text, limit=50)).hits
            mine = time.perf_counter() - started
            rg_time, files = rg_files(root, query)
            ours.append(mine)
            theirs.append(rg_time)
            ratios.append(rg_time / mine)
            per_kind.setdefault(query.kind, []).append(mine)
            if query.kind == "rare" and len(files) < 50:
                compared += 1
                got = {str(Path(h.entry.path).relative_to(root)) for h in hits}
                agreed += got == {f.removeprefix("./") for f in files}
        p50, p95 = statistics.median(ours), pct(ours, 0.95)
        print(
            f"query p50    {p50 * 1000:8.2f} ms  rg -l p50 {statistics.median(theirs) * 1000:.1f}"
            f" ms -> ratio {statistics.median(theirs) / p50:.1f}x"
        )
        print(
            f"query p95    {p95 * 1000:8.2f} ms  (target <= 20 ms: "
            f"{'met' if p95 <= 0.020 else 'NOT met'}); rg -l p95 {pct(theirs, 0.95) * 1000:.1f}"
            f" ms -> ratio {pct(theirs, 0.95) / p95:.1f}x"
        )
        print(
            f"query ratio  median per-query rg/index {statistics.median(ratios):.1f}x "
            f"(min {min(ratios):.1f}x; target >= 10x: "
            f"{'met' if statistics.median(ratios) >= 10 else 'NOT met'})"
        )
        print(
            f"  rare-word result sets equal to rg's in {agreed}/{compared} queries under 50 "
            "hits (the index also holds titles taken from file names; rg reads contents)"
        )
        for kind, values in per_kind.items():
            print(
                f"  {kind:<7} n={len(values):3d} p50 {statistics.median(values) * 1000:7.2f} ms"
                f"  p95 {pct(values, 0.95) * 1000:7.2f} ms  max {max(values) * 1000:7.2f} ms"
            )
        await approximation(store, queries)

        changed = next(root.glob("checkpoints/*.md"))
        walks = []
        for _ in range(5):
            walk_started = time.perf_counter()
            walk_files(root)
            walks.append(time.perf_counter() - walk_started)
        walk_floor = statistics.median(walks)
        passes: list[float] = []
        singles: list[float] = []
        for round_no in range(5):
            with changed.open("a", encoding="utf-8") as handle:
                handle.write(f"\nedit {round_no} zanzibar\n")
            started = time.perf_counter()
            full = await indexer.index()
            passes.append(time.perf_counter() - started)
            assert full.updated == [str(changed)], full.summary()
            with changed.open("a", encoding="utf-8") as handle:
                handle.write(f"\nsecond edit {round_no}\n")
            started = time.perf_counter()
            one = await indexer.index_paths([changed])
            singles.append(time.perf_counter() - started)
            assert one.updated == [str(changed)], one.summary()
        full_ms, one_ms = statistics.median(passes) * 1000, statistics.median(singles) * 1000
        print(
            f"reindex full {full_ms:8.2f} ms  (one file changed, every file stat-ed; target "
            f"<= 50 ms: {'met' if full_ms <= 50 else 'NOT met'}); walk+stat floor "
            f"{walk_floor * 1000:.1f} ms -> ratio {full_ms / (walk_floor * 1000):.1f}"
        )
        print(
            f"reindex one  {one_ms:8.2f} ms  (the watcher's path: index_paths of the file; "
            f"target <= 50 ms: {'met' if one_ms <= 50 else 'NOT met'})"
        )
    finally:
        await store.close()

    await relevance(work)


async def approximation(store: SqlStore, queries: list[BenchQuery], top: int = 10) -> None:
    """How far the approximate top-k (only the first ``store.scored_matches`` matches in
    static-rank order are scored) is from scoring every match, on the same store: the
    share of the exact top ``top`` it finds, and the sum of its top ``top`` scores
    against the exact sum (BM25's IDF is computed over every row either way, so a hit's
    score is the same number in both)."""
    budget = store.scored_matches
    overlaps: list[float] = []
    recalls: list[float] = []
    slower: list[float] = []
    for query in queries:
        store.scored_matches = budget
        fast = (await search_result(store, query.text, limit=50)).hits[:top]
        store.scored_matches = None
        started = time.perf_counter()
        exact = (await search_result(store, query.text, limit=50)).hits[:top]
        slower.append(time.perf_counter() - started)
        if [h.entry.id for h in fast] == [h.entry.id for h in exact]:
            continue
        ids = {h.entry.id for h in exact}
        overlaps.append(sum(h.entry.id in ids for h in fast) / max(1, len(exact)))
        best = sum(h.rank for h in exact)
        recalls.append(sum(h.rank for h in fast) / best if best else 1.0)
    store.scored_matches = budget
    print(
        f"approx       {len(overlaps)} of {len(queries)} queries' top {top} differ from scoring "
        f"every match (exact p50 {statistics.median(slower) * 1000:.1f} ms, p95 "
        f"{pct(slower, 0.95) * 1000:.1f} ms)"
        + (
            f"; there: top-{top} overlap median {statistics.median(overlaps):.2f} min "
            f"{min(overlaps):.2f}, score sum vs exact median {statistics.median(recalls):.3f} "
            f"min {min(recalls):.3f}"
            if overlaps
            else ""
        )
    )


async def relevance(work: Path) -> None:
    """nDCG@5 and MRR of the judged set (tests/fixtures/relevance) on a fresh store."""
    store = await SqlStore.open_sqlite(
        work / "relevance.db",
        tenant="bench",
        principal="bench",
        provision=Provision("Bench", "internal", "owner"),
    )
    try:
        await index_corpus(store)
        k, judged = load_judgements()
        scores = await score(store, k, judged)
    finally:
        await store.close()
    ndcg = statistics.mean(s.ndcg for s in scores)
    mrr = statistics.mean(s.reciprocal_rank for s in scores)
    print(
        f"relevance    nDCG@{k} {ndcg:.3f} (target >= 0.8: {'met' if ndcg >= 0.8 else 'NOT met'})"
        f", MRR {mrr:.3f}, over {len(scores)} judged queries (tests/fixtures/relevance)"
    )
    for item in sorted(scores, key=lambda s: s.ndcg)[:3]:
        print(f"  lowest     nDCG@{k} {item.ndcg:.2f}  {item.query!r}")


def main() -> None:
    """Parse arguments, run in a temporary folder (or --dir), clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--avg-bytes", type=int, default=6_800)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="cold index rounds (alternated)")
    parser.add_argument("--index-only", action="store_true", help="only the cold index figures")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    if args.rounds < 1:
        raise SystemExit("--rounds: at least 1")
    if shutil.which("rg") is None and not args.index_only:
        raise SystemExit("ripgrep (rg) is needed: apt-get install -y ripgrep")
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args, args.dir))
        return
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as work:
        asyncio.run(run(args, Path(work)))


if __name__ == "__main__":
    main()
