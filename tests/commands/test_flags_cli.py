"""``coditect flags list|set|clear`` on a local store: overrides stored, listed (table and
JSON), cleared; bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coditect_tui.cli import main
from tests.git.helpers import write_config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_set_list_clear(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = str(write_config(tmp_path, [tmp_path]))
    assert _run(capsys, "members", "add", "vic", "viewer", "--config", config)[0] == 0
    code, out, err = _run(capsys, "flags", "list", "--config", config)
    assert (code, out.strip()) == (0, "no feature flag overrides"), err
    code, out, err = _run(
        capsys, "flags", "set", "memory", "off", "--stakeholder", "vic", "--config", config
    )
    assert code == 0, err
    assert out.split()[:3] == ["memory", "vic", "off"]
    assert _run(capsys, "flags", "set", "dashboard", "off", "--config", config)[0] == 0
    code, out, _ = _run(capsys, "flags", "list", "--json", "--config", config)
    assert [(f["feature"], f["stakeholder"], f["enabled"]) for f in json.loads(out)] == [
        ("dashboard", None, False),
        ("memory", "vic", False),
    ]
    code, out, _ = _run(capsys, "flags", "list", "--config", config)
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["dashboard", "(tenant)", "off"],
        ["memory", "vic", "off"],
    ]
    code, out, _ = _run(capsys, "flags", "clear", "dashboard", "--json", "--config", config)
    assert (code, json.loads(out)) == (0, {"cleared": "dashboard", "stakeholder": None})
    # one line, no traceback, non-zero exit; nothing stored
    code, out, err = _run(capsys, "flags", "set", "memroy", "on", "--config", config)
    assert code != 0 and out == ""
    assert err.strip().count("\n") == 0 and "did you mean 'memory'" in err
    code, _, err = _run(capsys, "flags", "clear", "dashboard", "--config", config)
    assert code != 0 and "not found" in err and "Traceback" not in err
    code, out, _ = _run(capsys, "flags", "list", "--json", "--config", config)
    assert [f["feature"] for f in json.loads(out)] == ["memory"]
