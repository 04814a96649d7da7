"""Test-wide fixtures: every test runs with its own XDG dirs and no user config."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG dirs into tmp and clear CODITECT_* variables."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    for var in list(os.environ):
        if var.startswith("CODITECT_") and var != "CODITECT_REQUIRE_POSTGRES":
            monkeypatch.delenv(var)
    return home


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    """Whether a PostgreSQL server accepts TCP connections."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    """CI sets CODITECT_REQUIRE_POSTGRES: a missing server then fails the run, never skips."""
    if os.environ.get("CODITECT_REQUIRE_POSTGRES") and not postgres_reachable():
        pytest.exit(
            "CODITECT_REQUIRE_POSTGRES is set but PostgreSQL is not reachable at 127.0.0.1:5432",
            returncode=3,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL tests, with the reason, when no server is reachable."""
    if postgres_reachable():
        return
    skip = pytest.mark.skip(reason="PostgreSQL is not reachable at 127.0.0.1:5432")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
