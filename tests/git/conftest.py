"""Fixtures for the git engine tests: real repos in tmp dirs, a fixed git identity.

Every test runs with ``GIT_CONFIG_GLOBAL`` pointing at a tmp file (user, default branch
``main``, file:// submodules allowed) and ``GIT_CONFIG_NOSYSTEM=1``, so nothing depends
on the developer's own git configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from coditect_tui.core.git import runner as runner_module

REPO_ROOT = Path(__file__).resolve().parents[2]
MAKE_WORKSPACE = REPO_ROOT.parent / "shared" / "bench" / "make_workspace.py"

GLOBAL_CONFIG = """\
[user]
\tname = Test User
\temail = test@example.invalid
[init]
\tdefaultBranch = main
[protocol "file"]
\tallow = always
[commit]
\tgpgsign = false
[advice]
\tdetachedHead = false
"""


def _scrub_git_env(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    return [
        k
        for k in environ
        if k.startswith("GIT_")
        and k not in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_EXEC_PATH")
    ]


@pytest.fixture(autouse=True)
def git_identity(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private global git config for every test; the runner's env cache is reset."""
    config = tmp_path_factory.mktemp("gitconfig") / "gitconfig"
    config.write_text(GLOBAL_CONFIG)
    for key in _scrub_git_env(os.environ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    runner_module.reset_env_cache()
    yield config
    runner_module.reset_env_cache()


@pytest.fixture(scope="session")
def workspace30(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A make_workspace.py workspace of 30 repos (read-only for tests: do not modify)."""
    if not MAKE_WORKSPACE.exists():
        pytest.skip(f"{MAKE_WORKSPACE} is missing (it lives in ../shared/bench/)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    dest = tmp_path_factory.mktemp("ws30") / "ws"
    subprocess.run(
        [sys.executable, str(MAKE_WORKSPACE), str(dest), "--repos", "30"],
        check=True,
        capture_output=True,
    )
    return dest


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[object]:
    """A real SQLite store: tenant t1, principal alice (owner)."""
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
