"""A TUI-only install (``pip install .``, no extras) in a new virtual environment: the
commands work, the server's libraries are absent, and what needs them says what to
install in one line.

Slow (one venv: ~1 min on a quiet machine, 3 under load; pip installs the TUI's
dependencies, from its cache where it has one); one venv serves every check.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

from coditect_store.migrate import KNOWN_REVISIONS
from coditect_tui.core.extras import install_hint
from tests.conftest import REPO_ROOT

#: pip's cache as it is before the tests point XDG_CACHE_HOME into tmp: reused
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip"
)
SERVER_ONLY = ("fastapi", "uvicorn", "asyncpg", "uvloop", "httptools", "starlette")

#: pip on a busy 2-core machine (CI beside other work) can take minutes
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=os.environ | {"PIP_CACHE_DIR": PIP_CACHE, "NO_COLOR": "1", "COLUMNS": "100"},
    )


def test_tui_only_install(tmp_path: Path) -> None:
    wheel = Path(next(WheelBuilder(str(REPO_ROOT)).build(directory=str(tmp_path / "dist"))))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / "bin"
    work = tmp_path / "work"
    work.mkdir()
    installed = run(bindir / "pip", "install", "-q", "--no-compile", wheel, cwd=work)
    assert installed.returncode == 0, installed.stderr[-2000:]

    present = run(
        bindir / "python",
        "-c",
        "import importlib.util as u, sys; "
        "print(' '.join(m for m in sys.argv[1:] if u.find_spec(m)))",
        *SERVER_ONLY,
        "textual",
        "sqlalchemy",
        "aiosqlite",
        "alembic",
        "httpx",
        cwd=work,
    )
    assert present.stdout.split() == ["textual", "sqlalchemy", "aiosqlite", "alembic", "httpx"]
    assert "fastapi" not in run(bindir / "pip", "freeze", cwd=work).stdout.lower()

    # the README's first command: the app starts (a first run: the demo workspace) and
    # paints without the server's libraries
    painted = run(bindir / "coditect", "--exit-after-paint", cwd=work)
    assert painted.returncode == 0, painted.stderr[-2000:]
    assert "Traceback" not in painted.stderr + painted.stdout

    helped = run(bindir / "coditect", "--help", cwd=work)
    assert helped.returncode == 0 and "serve" in helped.stdout and "migrate" in helped.stdout

    served = run(bindir / "coditect", "serve", "--db", work / "s.db", cwd=work)
    assert served.returncode == 2
    assert served.stdout == ""
    assert served.stderr == (
        "coditect: error: coditect serve needs the 'server' extra (fastapi, uvicorn not "
        f"installed): {install_hint()}\n"
    )
    assert install_hint() == "pip install 'coditect-tui[server]'"
    # the browser view needs the web extra: one line too
    web = run(bindir / "coditect", "web", cwd=work)
    assert (web.returncode, web.stdout) == (2, "")
    assert web.stderr == (
        "coditect: error: coditect web needs the 'web' extra (textual_serve not installed): "
        f"{install_hint('web')}\n"
    )

    # a PostgreSQL URL needs asyncpg: the same one line, before any connection is tried
    pg = run(bindir / "coditect", "migrate", "--url", "postgresql://u@127.0.0.1:9/x", cwd=work)
    assert (pg.returncode, pg.stdout) == (2, "")
    assert pg.stderr == (
        "coditect: error: a PostgreSQL database needs the 'server' extra (asyncpg not "
        f"installed): {install_hint()}\n"
    )

    # the local store needs nothing more: migrate a SQLite file, then complete and read
    migrated = run(bindir / "coditect", "migrate", "--url", work / "store.db", cwd=work)
    assert migrated.returncode == 0, migrated.stderr
    head = KNOWN_REVISIONS[-1]  # the newest revision this build ships
    assert migrated.stdout.splitlines()[-1].endswith(f"now at {head} (was empty)")
    completion = run(bindir / "coditect", "completion", "bash", cwd=work)
    assert completion.returncode == 0 and "complete -F _coditect coditect" in completion.stdout
    assert run(bindir / "coditect", "man", cwd=work).stdout.startswith(".TH CODITECT 1")
    assert sys.version_info >= (3, 11)
