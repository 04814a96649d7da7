"""A repo folder whose name is not UTF-8 is skipped or escaped, never fatal (issue [3/8] item 5).

Linux allows any bytes but ``/`` and NUL in a name; Python hands the undecodable ones over
as lone surrogates, which neither the store, JSON nor a UTF-8 terminal accepts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.git.helpers import git, run_cli, write_config


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    """``work/good`` and ``work/bad<0xfe>``, both git repos; returns (root, bad)."""
    root = tmp_path / "work"
    bad = Path(os.fsdecode(os.fsencode(root) + b"/bad\xfe"))
    for repo in (root / "good", bad):
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        git(
            repo,
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "c",
        )
    return root, bad


def test_status_skips_the_folder_with_one_warning(tmp_path: Path) -> None:
    root, _ = _workspace(tmp_path)
    config = write_config(tmp_path, [root])
    result = run_cli("status", "--json", env={"CODITECT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    warning = f"{root}/bad\\xfe: the name is not valid UTF-8; skipped"
    assert result.stderr == f"coditect: warning: {warning}\n"
    doc = json.loads(result.stdout)
    assert [r["name"] for r in doc["repos"]] == ["good"]
    assert doc["warnings"] == [warning]


def test_session_start_in_such_a_folder_works_with_one_warning(tmp_path: Path) -> None:
    root, bad = _workspace(tmp_path)
    config = write_config(tmp_path, [root])
    result = run_cli("session", "start", "fix", cwd=bad, env={"CODITECT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert "started on session/" in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"coditect: warning: {root}/bad\\xfe: ")
    assert git(bad, "branch", "--show-current").startswith("session/")


def test_safe_text_shows_undecodable_bytes_escaped() -> None:
    from coditect_tui.core.safe_text import safe_text

    name = os.fsdecode(b"bad\xfe\x1b[2J")
    assert safe_text(name) == "bad\\xfe\\u001b[2J"
    assert safe_text("lone \ud800") == "lone \\ud800"
    assert safe_text(name).encode("utf-8")  # printable on a UTF-8 terminal
