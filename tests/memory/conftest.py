"""Fixtures of the memory tests: the real sample files, real stores, a 10,000-file corpus."""

from __future__ import annotations

import asyncio
import shutil
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.memory.indexer import IndexReport, MemoryIndexer
from coditect_tui.core.memory.roots import MemoryRoot
from tests.conftest import MEMORY_SAMPLES
from tests.support.memory_corpus import Corpus, generate_corpus

FIXTURES = MEMORY_SAMPLES
CORPUS_SIZE = 10_000


async def open_store(
    path: Path,
    tenant: str = "t1",
    principal: str = "alice",
    role: str = "owner",
    *,
    read_only: bool = False,
) -> SqlStore:
    """A real SQLite store for ``principal`` in ``tenant`` (provisioned on first use)."""
    provision = Provision(tenant.upper(), "internal", role)
    if read_only:
        setup = await SqlStore.open_sqlite(
            path, tenant=tenant, principal=principal, provision=provision
        )
        await setup.close()
    return await SqlStore.open_sqlite(
        path, tenant=tenant, principal=principal, provision=provision, read_only=read_only
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The owner of tenant t1 in a fresh store file."""
    backend = await open_store(tmp_path / "s.db")
    yield backend
    await backend.close()


def copy_fixtures(target: Path) -> Path:
    """A writable copy of the sample MEMORY-CONTEXT at ``target`` (returned resolved)."""
    shutil.copytree(FIXTURES, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target.resolve()


@pytest.fixture
def memory_dir(tmp_path: Path) -> Path:
    """A project folder ``proj`` whose MEMORY-CONTEXT is a copy of the samples."""
    return copy_fixtures(tmp_path / "ws" / "proj" / "MEMORY-CONTEXT")


@dataclass
class IndexedCorpus:
    """The generated corpus, indexed once into ``db`` (tenant t1, principal alice)."""

    corpus: Corpus
    db: Path
    report: IndexReport


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory: pytest.TempPathFactory) -> IndexedCorpus:
    """10,000 generated files of every kind, indexed once for the whole session."""
    base = tmp_path_factory.mktemp("corpus")
    corpus = generate_corpus(base / "MEMORY-CONTEXT", CORPUS_SIZE, seed=7, avg_bytes=400)
    db = base / "corpus.db"

    async def build() -> IndexReport:
        backend = await open_store(db)
        try:
            indexer = MemoryIndexer(backend, [MemoryRoot(corpus.root.resolve())])
            return await indexer.index()
        finally:
            await backend.close()

    report = asyncio.run(build())
    return IndexedCorpus(corpus, db, report)
