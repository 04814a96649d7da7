"""Tenant isolation of the memory index: search never returns another tenant's entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_tui.core.errors import NotFound
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.links import linked_entries
from coditect_tui.core.memory.roots import MemoryRoot
from coditect_tui.core.memory.search import search
from tests.memory.conftest import copy_fixtures, open_store
from tests.memory.test_fixtures import CHECKPOINT


async def test_search_never_crosses_tenants(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    acme_dir = copy_fixtures(tmp_path / "acme" / "MEMORY-CONTEXT")
    beta_dir = tmp_path / "beta" / "MEMORY-CONTEXT"
    (beta_dir / "notes").mkdir(parents=True)
    (beta_dir / "notes" / "2025-11-23T10-00-00Z-beta.md").write_text(
        "# Note: beta plans\n\nhooks for the beta tenant only\n"
    )
    acme = await open_store(db, "acme", "alice")
    beta = await open_store(db, "beta", "bob")
    try:
        await MemoryIndexer(acme, [MemoryRoot(acme_dir)]).index()
        await MemoryIndexer(beta, [MemoryRoot(beta_dir.resolve())]).index()
        # the same files indexed by both tenants are two separate entries
        await MemoryIndexer(beta, [MemoryRoot(acme_dir)]).index()
        acme_ids = {e.id for e in (await acme.list_memory_entries(limit=1000)).items}
        beta_ids = {e.id for e in (await beta.list_memory_entries(limit=1000)).items}
        assert len(acme_ids) == 9 and len(beta_ids) == 10 and not acme_ids & beta_ids
        for query in ("hooks", "beta", "checkpoint OR session", "symlink*", '"Phase 0.5"'):
            for backend, own in ((acme, acme_ids), (beta, beta_ids)):
                hits = await search(backend, query, limit=1000)
                assert {h.entry.id for h in hits} <= own, query
        assert await search(acme, "beta") == []
        beta_checkpoint = next(
            e
            for e in (await beta.list_memory_entries(limit=100)).items
            if e.path.endswith(CHECKPOINT.split("/")[-1])
        )
        assert {e.id for e in await linked_entries(beta, beta_checkpoint)} <= beta_ids
        for other in beta_ids:
            with pytest.raises(NotFound):
                await acme.get_memory_entry(other)
            with pytest.raises(NotFound):
                await acme.get_memory_body(other)
    finally:
        await acme.close()
        await beta.close()
