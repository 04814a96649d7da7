"""Fixtures for the git engine tests: real repos in tmp dirs, a fixed git identity.

Every test runs with ``GIT_CONFIG_GLOBAL`` pointing at a tmp file (user, default branch
``main``, file:// submodules allowed) and ``GIT_CONFIG_NOSYSTEM=1``, so nothing depends
on the developer's own git configuration.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from coditect_tui.core.git import runner as runner_module
from tests.support.workspaces import build_workspace

#: Top-level repos of the shared generated workspace.
WORKSPACE_REPOS = 30
_WORKSPACE = pytest.StashKey[Path]()

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


def generated_workspace(config: pytest.Config, factory: pytest.TempPathFactory) -> Path:
    """The session's generated workspace, built on first use and shared by its users.

    ``tests.support.workspaces.build_workspace`` with 30 repos, every kind (clean, dirty,
    staged, untracked, ahead, behind, diverged, detached, no upstream, stash, conflict,
    ``master`` default branch, unborn), masters with an initialised and an uninitialised
    submodule, and hostile folder names. ``expected.json`` is the oracle,
    ``workspace.json`` the intent (``load_workspace``). Read-only for tests: do not modify.
    """
    if _WORKSPACE not in config.stash:
        dest = factory.mktemp("ws30") / "ws"
        build_workspace(dest, WORKSPACE_REPOS, hostile=True)
        config.stash[_WORKSPACE] = dest
    return config.stash[_WORKSPACE]


@pytest.fixture(scope="session")
def workspace30(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 30-repo workspace (see :func:`generated_workspace`; do not modify)."""
    return generated_workspace(request.config, tmp_path_factory)


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
