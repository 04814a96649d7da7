"""Test-wide fixtures: every test runs with its own XDG dirs and no user config."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what is drawn, not how fast: on a loaded machine (CI beside other
# work) Hypothesis' timing health check and per-example deadline would fail them.
settings.register_profile("coditect", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("coditect")

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
MEMORY_SAMPLES = FIXTURES / "memory-context-sample"
# CI sets it (.ci/run): PostgreSQL is then required, and a skipped test fails the run.
STRICT_ENV = "CODITECT_CI"
_skipped_reports: list[pytest.TestReport] = []


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
        if var.startswith("CODITECT_") and var != STRICT_ENV:
            monkeypatch.delenv(var)
    return home


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors do not blink in tests, so snapshots and idle checks are stable.

    The product keeps Textual's default (blinking); only the tests change the default.
    """
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.cursor_blink, "_default", False)


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    """Whether a PostgreSQL server accepts TCP connections."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def strict() -> bool:
    """Whether this run is CI's: PostgreSQL is required and no test may skip."""
    return bool(os.environ.get(STRICT_ENV))


def pytest_configure(config: pytest.Config) -> None:
    """In CI (``CODITECT_CI`` set) a missing PostgreSQL fails the run at once, never skips."""
    if strict() and not postgres_reachable():
        pytest.exit(
            f"{STRICT_ENV} is set but PostgreSQL is not reachable at 127.0.0.1:5432",
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


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember every skipped (or xfailed) test, whatever its phase."""
    if report.skipped:
        _skipped_reports.append(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test fails the run: a skip there hides a missing part."""
    if not strict() or not _skipped_reports:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        count = len(_skipped_reports)
        reporter.ensure_newline()
        reporter.write_sep(
            "=", f"{STRICT_ENV} is set: {count} skipped test(s) fail this run", red=True
        )
        for report in _skipped_reports:
            reporter.write_line(f"  {report.nodeid}: {_skip_reason(report)}")
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    return "xfail" if hasattr(report, "wasxfail") else str(report.longrepr)
