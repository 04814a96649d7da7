"""The local store's search reads on the driver's thread in one visit
(coditect_store/fts_search.py): whole answers, a few round trips to aiosqlite's worker
thread instead of one per statement, and FTS5's refusals as one clean line."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from coditect_store.driver_sqlite import in_list, reachable
from coditect_store.store import SqlStore
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.memory.query import to_fts5
from coditect_tui.core.models import Action, MemoryEntrySpec, MemoryFilter, Resource

T0 = datetime(2025, 11, 1, tzinfo=UTC)


def _spec(name: str, body: str, *, kind: Any = "note", days: int = 0, sha: str = "") -> Any:
    return MemoryEntrySpec(
        path=f"/m/{name}",
        kind=kind,
        title=name,
        body=body,
        timestamp=T0 + timedelta(days=days),
        sha256=sha or name.encode().hex().ljust(64, "0")[:64],
        size=len(body),
    )


async def test_a_search_visits_the_driver_thread_once_not_once_a_statement(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies (the shared-content count), a filter and a prefix: the answer is whole,
    and aiosqlite's worker thread is visited once: the search in its own transaction,
    which leaves the pool's rollback on return nothing to do (the statements through
    SQLAlchemy took 25 visits)."""
    await store.upsert_memory_entries(
        [_spec(f"cp{i}.md", f"hooks and checks {i}", kind="checkpoint", days=i) for i in range(6)]
        + [_spec(f"copy{i}.md", "hooks copied", sha="c" * 64) for i in range(3)]
    )
    visits = 0
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal visits
        visits += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    result = await store.search_memory_result("hook")
    assert (result.total, result.total_exact) == (7, True)  # three copies count once
    copied = [h for h in result.hits if h.entry.path.startswith("/m/copy")]
    assert len(copied) == 1 and copied[0].duplicate_count == 2
    assert all("\x02" in h.snippet for h in result.hits)
    assert visits == 1, visits  # the search, in a transaction of its own
    visits = 0
    recent = MemoryFilter(kinds=["checkpoint"], since=T0 + timedelta(days=3))
    found = await store.search_memory_result("chec*", recent)
    assert sorted(h.entry.path for h in found.hits) == ["/m/cp3.md", "/m/cp4.md", "/m/cp5.md"]
    assert found.total == 3 and visits == 1, visits


async def test_a_query_fts5_refuses_is_one_line_of_invalid_input(store: SqlStore) -> None:
    """The translation (query.to_fts5) lets no such query through; were one to reach
    FTS5, the user sees one line, not a driver error."""
    await store.upsert_memory_entries([_spec("a.md", "text")])
    async with store._op(
        Resource.MEMORY, Action.READ, method="search_memory", sqlite_driver=True
    ) as op:
        with pytest.raises(InvalidInput) as caught:
            await store._search_on_driver(op, "x", '"unclosed AND', None, 10, True)
    message = str(caught.value)
    assert message.startswith("search query: ") and "\n" not in message, message


async def test_the_installed_aiosqlite_is_reachable_on_its_thread(store: SqlStore) -> None:
    """A read on the driver runs in a transaction of its own and leaves the pooled
    connection with none open, after an error too."""
    async with store._op(
        Resource.MEMORY, Action.READ, method="search_memory", sqlite_driver=True
    ) as op:
        assert reachable(op.driver._connection)
        assert await op.read_on_driver(
            lambda db: (db.in_transaction, *db.execute("SELECT 42").fetchone())
        ) == (True, 42)
        with pytest.raises(sqlite3.OperationalError):
            await op.read_on_driver(lambda db: db.execute("SELECT * FROM nosuchtable"))
        assert await op.read_on_driver(lambda db: db.execute("SELECT 1").fetchone()) == (1,)
        left_open = op.driver._connection._connection.in_transaction
    assert left_open is False
    assert not reachable(object())
    with pytest.raises(ValueError):
        in_list(0)
    assert in_list(3) == "(?, ?, ?)"


async def test_a_page_scored_without_reading_entries_is_the_page_read_with_them(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone in the index and unfiltered, a search scores its matches without reading
    their entries (the kind's prior comes from the key) and joins only those that can
    make the page; otherwise it reads every scored match's entry (the tenant and the
    filter apply before the cut). Same hits, order, scores and totals, ties and copies
    included, with every match scored and with only some."""
    from coditect_store import fts_search

    kinds = ["checkpoint", "summary", "note", "session", "transcript", "jsonl-dump", "other"]
    specs = [
        _spec(f"e{i:02d}.md", f"hooks {'rebase ' * (i % 4)}entry", kind=kinds[i % 7], days=i % 5)
        for i in range(40)
    ]
    # copies of one content in three kinds, and exact ties: one body under many names
    specs += [_spec(f"c{i}.md", "hooks copied here", kind=kinds[i], sha="c" * 64) for i in range(3)]
    specs += [_spec(f"t{i}.md", "hooks tied body", kind="note", days=2) for i in range(6)]
    await store.upsert_memory_entries(specs)
    queries = ["hook", "hooks rebase", "rebas", '"tied body"', "hooks -rebase", "entry OR copied"]

    async def answers() -> list[Any]:
        found = []
        for query in queries:
            for scored in (None, 7):
                store.scored_matches = scored
                result = await store.search_memory_result(to_fts5(query), limit=10)
                hits = [(h.entry.path, h.rank, h.duplicate_count) for h in result.hits]
                found.append((hits, result.total))
        return found

    alone = await answers()
    paged = fts_search._page
    joined = 0

    def read_entries(*args: Any, **kwargs: Any) -> Any:
        nonlocal joined
        joined += 1
        return paged(*args, **{**kwargs, "alone": False})

    monkeypatch.setattr(fts_search, "_page", read_entries)
    assert await answers() == alone
    assert joined == len(alone)
    assert any(len(hits) == 10 for hits, _ in alone)
    assert any(len({rank for _, rank, _ in hits}) < len(hits) for hits, _ in alone)  # ties


async def test_searches_cancelled_at_any_point_leave_no_transaction_and_no_thread(
    tmp_path: Path,
) -> None:
    """The pane cancels a search at every key: cancelled before, during and after its
    visit of the driver's thread, no read transaction stays open (a write then runs at
    once), the pool keeps working, and closing leaves no thread behind."""
    from tests.memory.conftest import open_store

    before = {t.ident for t in threading.enumerate()}
    store = await open_store(tmp_path / "s.db")
    await store.upsert_memory_entries(
        [_spec(f"n{i}.md", f"hooks and checks {i} " * 50) for i in range(60)]
    )
    for delay in range(40):
        task = asyncio.ensure_future(store.search_memory_result("hook"))
        for _ in range(delay):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert (await store.search_memory_result("hook")).total == 60
    await store.upsert_memory_entries([_spec("late.md", "hooks written after")])
    assert (await store.search_memory_result("hook")).total == 61
    await store.close()
    assert {t.ident for t in threading.enumerate()} <= before
