"""The local store's approximate top-k: the index is keyed in static-rank order (kind
tier, then day), and a query with more matches than ``scored_matches`` scores only the
first ones in that order; the total stays exact."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

from coditect_store.fts_key import KIND_TIER, fts_rowid
from coditect_store.store import SqlStore
from coditect_tui.core.memory.ranking import KIND_PRIOR
from coditect_tui.core.models import MemoryEntrySpec, MemoryFilter, MemoryKind
from tests.memory.conftest import open_store

T0 = datetime(2025, 11, 1, tzinfo=UTC)


def _spec(
    name: str, body: str, kind: MemoryKind, when: datetime | None, sha: str | None = None
) -> MemoryEntrySpec:
    return MemoryEntrySpec(
        path=f"/m/{name}",
        kind=kind,
        title=name,
        body=body,
        timestamp=when,
        sha256=sha or name.encode().hex().ljust(64, "0")[:64],
        size=len(body),
    )


def test_tiers_follow_the_kind_priors() -> None:
    kinds = get_args(MemoryKind)
    assert set(KIND_TIER) == set(kinds) == set(KIND_PRIOR)
    for a in kinds:
        for b in kinds:
            assert (KIND_PRIOR[a] > KIND_PRIOR[b]) == (KIND_TIER[a] > KIND_TIER[b]), (a, b)


def test_the_key_orders_by_tier_then_day_and_keeps_the_rowid() -> None:
    # the better by static rank, the smaller the key
    old_checkpoint = fts_rowid("checkpoint", T0 - timedelta(days=3000), 7)
    new_transcript = fts_rowid("transcript", T0 + timedelta(days=3000), 5)
    assert old_checkpoint < new_transcript  # the tier first
    assert fts_rowid("note", T0, 99) < fts_rowid("note", T0 - timedelta(days=1), 1)
    assert fts_rowid("note", T0 - timedelta(days=20000), 2) < fts_rowid("note", None, 1)
    assert fts_rowid("note", T0, 123_456) & ((1 << 40) - 1) == 123_456
    assert fts_rowid("checkpoint", datetime(9999, 1, 1, tzinfo=UTC), 1) > 0
    assert fts_rowid("export-placeholder", None, (1 << 40) - 1) < 1 << 63


async def test_many_matches_score_the_first_by_static_rank_and_count_them_all(
    store: SqlStore,
) -> None:
    # a session with the word in its title outscores every checkpoint (long bodies, one
    # mention), but with only 4 matches scored it is beyond them: the newest checkpoints
    # are scored
    filler = " and more" * 20
    specs = [
        _spec(f"cp{i}.md", f"hooks{filler}", "checkpoint", T0 + timedelta(days=i)) for i in range(6)
    ] + [_spec("hooks", "hooks hooks", "session", T0 + timedelta(days=30))]
    await store.upsert_memory_entries(specs)
    exact = await store.search_memory_result("hooks ", limit=3)
    assert exact.hits[0].entry.path == "/m/hooks"
    store.scored_matches = 4
    result = await store.search_memory_result("hooks ", limit=3)
    assert (result.total, result.total_exact) == (7, True)
    assert [h.entry.path for h in result.hits] == ["/m/cp5.md", "/m/cp4.md", "/m/cp3.md"]
    # a filter applies before the cut: only sessions, so the session is scored
    only = await store.search_memory_result("hooks ", MemoryFilter(kinds=["session"]))
    assert [h.entry.path for h in only.hits] == ["/m/hooks"] and only.total == 1
    # fewer matches than the cut: every one is scored
    store.scored_matches = 8
    assert (await store.search_memory_result("hooks ", limit=3)).hits == exact.hits


async def test_copies_crowding_the_scored_matches_take_more(store: SqlStore) -> None:
    await store.upsert_memory_entries(
        [_spec(f"c{i}.md", "crowded text", "checkpoint", T0, sha="c" * 64) for i in range(8)]
        + [_spec(f"s{i}.md", f"crowded {i}", "session", T0) for i in range(3)]
    )
    store.scored_matches = 4  # all four copies of one content: the page needs more
    result = await store.search_memory_result("crowded ", limit=3)
    assert (len(result.hits), result.total) == (3, 4)
    assert result.hits[0].duplicate_count == 7


async def test_an_update_that_changes_the_key_leaves_one_index_row(
    store: SqlStore, tmp_path: Path
) -> None:
    await store.upsert_memory_entries([_spec("a.md", "alpha words", "note", T0)])
    # new kind and day: the row's key changes, the old row goes
    [moved] = await store.upsert_memory_entries(
        [_spec("a.md", "beta words", "checkpoint", T0 + timedelta(days=2))]
    )
    await store.upsert_memory_entry(_spec("a.md", "gamma words", "transcript", None))
    assert [h.entry.id for h in await store.search_memory("gamma ")] == [moved.id]
    assert await store.search_memory("alpha ") == await store.search_memory("beta ") == []
    assert await store.get_memory_body(moved.id) == "gamma words"
    conn = sqlite3.connect(tmp_path / "s.db")
    try:
        keys = conn.execute(
            "SELECT f.rowid, e.rowid FROM memory_fts f, memory_entries e"
        ).fetchall()
    finally:
        conn.close()
    assert [key for key, _ in keys] == [fts_rowid("transcript", None, keys[0][1])]
    await store.delete_memory_entry(moved.id)
    assert await store.search_memory("gamma ") == []


async def test_totals_count_only_this_tenants_contents(tmp_path: Path) -> None:
    # one store file, two tenants: a total read off the index alone would count both
    db = tmp_path / "shared.db"
    acme = await open_store(db, "acme", "alice")
    beta = await open_store(db, "beta", "bob")
    try:
        await acme.upsert_memory_entries(
            [_spec(f"a{i}.md", f"shared word {i}", "note", T0) for i in range(5)]
        )
        await beta.upsert_memory_entries(
            [_spec(f"b{i}.md", f"shared word {i}", "note", T0) for i in range(3)]
        )
        for backend, total in ((acme, 5), (beta, 3)):
            backend.scored_matches = 2  # the total is counted apart
            result = await backend.search_memory_result("shared ", limit=1)
            assert (len(result.hits), result.total) == (1, total)
    finally:
        await acme.close()
        await beta.close()


async def test_a_new_copy_is_merged_into_the_total_at_once(store: SqlStore) -> None:
    await store.upsert_memory_entries(
        [_spec(f"n{i}.md", f"counted entry {i}", "note", T0) for i in range(6)]
    )
    store.scored_matches = 2
    assert (await store.search_memory_result("counted ", limit=1)).total == 6
    # a copy of n0.md's content (its sha256): still 6 contents, in and out of a filter
    copy = _spec(
        "copy.md", "counted entry 0", "note", T0, sha=_spec("n0.md", "", "note", T0).sha256
    )
    await store.upsert_memory_entries([copy])
    assert (await store.search_memory_result("counted ", limit=1)).total == 6
    notes = MemoryFilter(kinds=["note"])
    assert (await store.search_memory_result("counted ", notes, limit=1)).total == 6
    only_copy = MemoryFilter(path_prefix="/m/copy")
    assert (await store.search_memory_result("counted ", only_copy, limit=1)).total == 1
    # its content changes: 7 contents
    await store.upsert_memory_entries([_spec("copy.md", "counted entry 9", "note", T0)])
    assert (await store.search_memory_result("counted ", limit=1)).total == 7
