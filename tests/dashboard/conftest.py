"""Fixtures for the dashboard, views, portfolio and evidence-pack tests.

Real parts only: the generated workspace (tests.support.workspaces, with its oracle), real
git repos built in tmp dirs, real SQLite stores. The git identity fixture of tests/git
applies here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.git.conftest import generated_workspace, git_identity

__all__ = ["git_identity"]


@pytest.fixture(scope="session")
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 30-repo workspace with expected.json, shared with tests/git (do not
    modify); ``tests.support.workspaces.read_status`` is the oracle's own reader."""
    return generated_workspace(request.config, tmp_path_factory)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[object]:
    """A real SQLite store: tenant t1, principal alice (owner), tier internal."""
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    backend = await SqlStore.open_sqlite(
        tmp_path / "s.db",
        tenant="t1",
        principal="alice",
        provision=Provision("T1", "internal", "owner"),
    )
    yield backend
    await backend.close()
