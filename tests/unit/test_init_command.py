"""coditect init writes a valid first config and never overwrites one."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.settings import load_settings
from tests.git.helpers import run_cli


def test_init_writes_a_valid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roots = [tmp_path / "code", tmp_path / "client work"]
    for root in roots:
        root.mkdir()
    config = tmp_path / "cfg" / "config.yaml"
    assert main(["init", *map(str, roots), "--config", str(config)]) == 0
    settings = load_settings(config).settings
    profile = settings.profile()
    assert profile.name == "personal" and profile.roots() == roots
    assert main(["init", str(roots[0]), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and err.count("\n") == 1


def test_init_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    assert main(["init", str(tmp_path / "missing"), "--config", str(config)]) == 2
    assert main(["init", str(tmp_path), "--name", "Bad Name", "--config", str(config)]) == 2
    assert not config.exists()
    assert capsys.readouterr().err.count("\n") == 2


@pytest.mark.parametrize(
    ("flags", "env", "explicit"),
    [(["--read-only"], {}, True), ([], {"CODITECT_READ_ONLY": "1"}, False)],
    ids=["flag-and-config", "env-and-default-path"],
)
def test_read_only_init_writes_nothing(
    tmp_path: Path, isolated_home: Path, flags: list[str], env: dict[str, str], explicit: bool
) -> None:
    """Through the real command line: one line, non-zero, no file and no folder made."""
    root = tmp_path / "code"
    root.mkdir()
    config = tmp_path / "cfg" / "config.yaml"
    result = run_cli(
        *flags, "init", str(root), *(["--config", str(config)] if explicit else []), env=env
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("coditect: error: read-only"), result.stderr
    assert not config.parent.exists()
    assert list((isolated_home / "config").iterdir()) == []
