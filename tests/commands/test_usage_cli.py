"""``coditect usage`` on a local store: the tenant's real counts as text and JSON; a role
that may not see them gets one line and a non-zero exit."""

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


def test_usage_text_json_and_refusal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = str(write_config(tmp_path, [tmp_path]))
    assert _run(capsys, "members", "add", "vic", "viewer", "--config", config)[0] == 0
    code, out, err = _run(capsys, "usage", "--json", "--config", config)
    assert code == 0, err
    usage = json.loads(out)
    assert (usage["members"], usage["projects"], usage["memory_documents"]) == (2, 0, 0)
    assert usage["audit_events"] >= 1  # the member added above
    code, out, err = _run(capsys, "usage", "--config", config)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["Tier", usage["tier"]]
    assert lines[2].split()[:2] == ["Members", "2"]
    assert lines[5].endswith("0 (0 B)")
    as_vic = Path(config).read_text().replace("principal: alice", "principal: vic")
    viewer = tmp_path / "vic.yaml"
    viewer.write_text(as_vic.replace("role: owner", "role: viewer"))
    code, out, err = _run(capsys, "usage", "--config", str(viewer))
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.strip().count("\n") == 0 and "may not read the tenant's usage" in err
