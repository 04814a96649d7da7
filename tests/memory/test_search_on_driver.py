"""The local store's search reads on the driver's thread in one visit
(coditect_store/fts_search.py): whole answers, a few round trips to aiosqlite's worker
thread instead of one per statement, and FTS5's refusals as one clean line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest

from coditect_store.driver_sqlite import in_list, on_driver, reachable
from coditect_store.store import SqlStore
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import MemoryEntrySpec, MemoryFilter

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


async def test_a_search_visits_the_driver_thread_a_few_times_not_once_a_statement(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies (the shared-content count), a filter and a prefix: the answer is whole,
    and aiosqlite's worker thread is visited a few times (the statements through
    SQLAlchemy took 25)."""
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
    assert visits <= 6, visits
    visits = 0
    recent = MemoryFilter(kinds=["checkpoint"], since=T0 + timedelta(days=3))
    found = await store.search_memory_result("chec*", recent)
    assert sorted(h.entry.path for h in found.hits) == ["/m/cp3.md", "/m/cp4.md", "/m/cp5.md"]
    assert found.total == 3 and visits <= 6, visits


async def test_a_query_fts5_refuses_is_one_line_of_invalid_input(store: SqlStore) -> None:
    """The translation (query.to_fts5) lets no such query through; were one to reach
    FTS5, the user sees one line, not a driver error."""
    await store.upsert_memory_entries([_spec("a.md", "text")])
    assert store._engine is not None
    async with store._engine.connect() as conn, conn.begin():
        with pytest.raises(InvalidInput) as caught:
            await store._search_on_driver(conn, "x", '"unclosed AND', None, 10, True)
    message = str(caught.value)
    assert message.startswith("search query: ") and "\n" not in message, message


async def test_the_installed_aiosqlite_is_reachable_on_its_thread(store: SqlStore) -> None:
    assert store._engine is not None
    async with store._engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert reachable(raw.driver_connection)
        answer = await on_driver(conn, lambda db: db.execute("SELECT 6 * 7").fetchone())
    assert answer == (42,)
    assert not reachable(object())
    with pytest.raises(ValueError):
        in_list(0)
    assert in_list(3) == "(?, ?, ?)"
