"""Fixtures for the dashboard, views, portfolio and evidence-pack tests.

Real parts only: a make_workspace.py workspace (with its oracle), real git repos built in
tmp dirs, real SQLite stores. The git identity fixture of tests/git applies here too.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO_ROOT
from tests.git.conftest import git_identity

__all__ = ["git_identity"]

MAKE_WORKSPACE = REPO_ROOT.parent / "shared" / "bench" / "make_workspace.py"
WORKSPACE_REPOS = 30


def _need_script() -> None:
    if not MAKE_WORKSPACE.exists():
        pytest.skip(
            f"{MAKE_WORKSPACE} is missing (the oracle script lives in "
            "../shared/bench/ next to this checkout)"
        )
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A make_workspace.py workspace of 30 repos with expected.json (do not modify)."""
    _need_script()
    dest = tmp_path_factory.mktemp("dash-ws") / "ws"
    subprocess.run(
        [sys.executable, str(MAKE_WORKSPACE), str(dest), "--repos", str(WORKSPACE_REPOS)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return dest


@pytest.fixture(scope="session")
def oracle() -> ModuleType:
    """make_workspace.py as a module: its ``status(path)`` is the oracle's own reader."""
    _need_script()
    spec = importlib.util.spec_from_file_location("make_workspace_oracle", MAKE_WORKSPACE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
