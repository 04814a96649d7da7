"""Transactions on the local store begin in one visit of aiosqlite's thread; a write that
cannot get the lock in time is still one clean "busy" error, and reads go on beside it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from coditect_store import engine
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.models import ProjectSpec
from tests.store.helpers import open_store


async def test_a_write_behind_a_held_lock_is_busy_and_a_read_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)
    store = await open_store(tmp_path / "s.db")
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    try:
        await store.upsert_project(ProjectSpec(name="first", path="/w/first", kind="master"))
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(BackendUnavailable, match="busy"):
            await store.upsert_project(ProjectSpec(name="second", path="/w/second", kind="master"))
        assert [p.name for p in (await store.list_projects()).items] == ["first"]
        holder.execute("ROLLBACK")
        await store.upsert_project(ProjectSpec(name="second", path="/w/second", kind="master"))
        assert len((await store.list_projects()).items) == 2
    finally:
        holder.close()
        await store.close()


async def test_a_read_visits_the_driver_thread_once_to_begin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await open_store(tmp_path / "s.db")
    visits: list[Any] = []
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        visits.append((type(getattr(fn, "__self__", None)), args[:1]))
        return await original(self, fn, *args, **kwargs)

    try:
        await store.list_projects()
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await store.list_projects()
    finally:
        await store.close()
    begins = [owner for owner, args in visits if args == ("BEGIN",)]
    # on the connection itself: no cursor opened and closed around it
    assert begins and all(owner is sqlite3.Connection for owner in begins), visits
