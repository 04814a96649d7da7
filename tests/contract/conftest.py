"""The contract suite runs unchanged against every backend harness."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from coditect_tui.core.backend import Backend
from tests.contract.harness import Harness, SqliteHarness

HARNESSES = ["sqlite"]


@pytest.fixture(params=HARNESSES)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    """One backend implementation, fresh for each test."""
    if request.param == "sqlite":
        return SqliteHarness(tmp_path / "store.db")
    raise AssertionError(request.param)


@pytest.fixture
async def owner(harness: Harness) -> AsyncIterator[Backend]:
    """The owner of tenant 'acme'."""
    backend = await harness.open("acme", "olivia", "owner")
    yield backend
    await backend.close()
