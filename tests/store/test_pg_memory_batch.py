"""A batch of memory entries on PostgreSQL: the tsvectors (tokenised and stemmed in Python,
milliseconds an entry) are made in a worker thread, not on the event loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from coditect_store import memory as store_memory
from coditect_tui.core.models import MemoryEntrySpec
from tests.pg import create_database, drop_database
from tests.store.helpers import open_pg_store

pytestmark = pytest.mark.postgres


async def test_a_batchs_tsvectors_are_made_off_the_event_loop(monkeypatch: Any) -> None:
    made_in: list[threading.Thread] = []
    real = store_memory.tsvector_text

    def tsvector_text(title: str, heads: str, body: str) -> tuple[str, bool]:
        made_in.append(threading.current_thread())
        return real(title, heads, body)

    monkeypatch.setattr(store_memory, "tsvector_text", tsvector_text)
    db = await create_database()
    try:
        store = await open_pg_store(db.app_url, "acme")
        try:
            specs = [
                MemoryEntrySpec(path=f"/m/{n}.md", kind="note", title=f"quokka {n}") for n in "abc"
            ]
            await store.upsert_memory_entries(specs)
            assert len(made_in) == 3
            assert threading.main_thread() not in made_in
            assert len(await store.search_memory("quokka", limit=10)) == 3
        finally:
            await store.close()
    finally:
        await drop_database(db)
