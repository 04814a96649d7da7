"""``coditect --log-file PATH``: a debug log in that file only when asked; without the
option nothing is logged anywhere, and a file that cannot be opened is a one-line error.
Real app starts (``--exit-after-paint``) and CLI runs in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

XDG = ("CONFIG", "DATA", "CACHE", "STATE")


def _env(tmp_path: Path) -> dict[str, str]:
    workspace = tmp_path / "ws"
    workspace.mkdir(exist_ok=True)
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "t",
                        "principal": "me",
                        "workspace_roots": [str(workspace)],
                        "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
                    }
                ]
            }
        )
    )
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CODITECT_")},
        "CODITECT_CONFIG": str(config),
        **{f"XDG_{d}_HOME": str(tmp_path / d.lower()) for d in XDG},
    }


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "coditect_tui", *argv],
        env=_env(tmp_path),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _files(root: Path) -> list[tuple[str, str]]:
    """(folder, suffix) of every file under ``root`` (cache names hold a hash of it)."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return sorted((str(p.parent.relative_to(root)), p.suffix) for p in files)


@pytest.mark.parametrize("argv", [["--exit-after-paint"], ["tenants", "--json"]])
def test_debug_log_only_when_asked(tmp_path: Path, argv: list[str]) -> None:
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    plain = _run(quiet, *argv)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert plain.stderr == ""
    written = _files(quiet)
    assert not [p for p in quiet.rglob("*") if "log" in p.name.lower()], written

    logged = tmp_path / "logged"
    logged.mkdir()
    log = tmp_path / "debug.log"
    done = _run(logged, "--log-file", str(log), *argv)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    lines = log.read_text().splitlines()
    assert lines and all(" DEBUG " in x or " WARNING " in x or " ERROR " in x for x in lines)
    command = "app" if argv[0].startswith("-") else argv[0]
    assert any(f"{command} starts" in x for x in lines), lines
    assert any(f"{command} exits with 0" in x for x in lines), lines
    # the app wrote the same files either way, and no other log
    assert _files(logged) == written


def test_a_log_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "--log-file", str(tmp_path / "no" / "such" / "dir.log"), "tenants")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--log-file" in done.stderr
    assert "Traceback" not in done.stderr
