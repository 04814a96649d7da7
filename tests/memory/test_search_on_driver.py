"""The local store's search reads on the driver's thread in one visit
(coditect_store/driver_sqlite.py): the same answers as the statements through
SQLAlchemy, far fewer round trips to aiosqlite's worker thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import select

from coditect_store.driver_sqlite import Compiled, in_list, on_driver
from coditect_store.schema import memory_entries
from coditect_store.store import SqlStore
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
    and aiosqlite's worker thread is visited 6 times (the statements through SQLAlchemy
    took 25)."""
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
    assert visits <= 8, visits
    visits = 0
    recent = MemoryFilter(kinds=["checkpoint"], since=T0 + timedelta(days=3))
    found = await store.search_memory_result("chec*", recent)
    assert sorted(h.entry.path for h in found.hits) == ["/m/cp3.md", "/m/cp4.md", "/m/cp5.md"]
    assert found.total == 3 and visits <= 8, visits


async def test_a_compiled_statement_expands_lists_and_stores_times_as_the_store_does(
    store: SqlStore,
) -> None:
    await store.upsert_memory_entries(
        [
            _spec(f"n{i}.md", "text", kind=("note", "session", "checkpoint")[i % 3], days=i)
            for i in range(9)
        ]
    )
    m = memory_entries.c
    stmt = select(m.path).where(
        m.kind.in_(["note", "session"]), m.timestamp >= T0 + timedelta(days=4)
    )
    assert store._engine is not None
    async with store._engine.connect() as conn:
        expected = sorted((await conn.execute(stmt)).scalars())
        sql, args = Compiled(stmt, conn.dialect).sql()
        assert "IN (?, ?)" in sql and "2025-11-05T00:00:00.000000Z" in args
        rows = await on_driver(conn, lambda db: db.execute(sql, args).fetchall())
    assert sorted(path for (path,) in rows) == expected == ["/m/n4.md", "/m/n6.md", "/m/n7.md"]
    with pytest.raises(ValueError):
        in_list(0)
