"""``coditect members add --expires`` / ``members extend`` / ``members list`` / ``members
erase`` on a local store: grants that end, moved and shown; erasure confirmed, reported
and shown in the audit log; bad input refused in one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.models import utcnow
from tests.git.helpers import write_config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> str:
    return str(write_config(tmp_path, [tmp_path]))


def _members(capsys: pytest.CaptureFixture[str], config: str) -> dict[str, str | None]:
    code, out, err = _run(capsys, "members", "list", "--json", "--config", config)
    assert code == 0, err
    return {m["name"]: m["expires_at"] for m in json.loads(out)}


def _moment(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def test_add_extend_and_list(capsys: pytest.CaptureFixture[str], config: str) -> None:
    before = utcnow()
    code, out, err = _run(
        capsys, "members", "add", "alma", "--role", "auditor", "--expires", "3d", "--config", config
    )
    assert code == 0, err
    assert out.startswith("alma") and "auditor" in out and "until " in out and "(2d 23h)" in out
    end = _moment(_members(capsys, config)["alma"])
    assert before + timedelta(days=3) <= end <= utcnow() + timedelta(days=3)
    # --by adds to the current end; --until sets it (a date is the end of that day, UTC)
    assert _run(capsys, "members", "extend", "alma", "--by", "1w", "--config", config)[0] == 0
    assert _moment(_members(capsys, config)["alma"]) == end + timedelta(days=7)
    day = (utcnow() + timedelta(days=40)).date()
    code, out, err = _run(
        capsys,
        "members",
        "extend",
        "alma",
        "--until",
        day.isoformat(),
        "--json",
        "--config",
        config,
    )
    assert code == 0, err
    moved = json.loads(out)
    assert (moved["name"], moved["role"]) == ("alma", "auditor")
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    assert _moment(moved["expires_at"]) == midnight
    # positional role still works; --never ends nothing for a viewer
    assert (
        _run(capsys, "members", "add", "vic", "viewer", "--expires", "12h", "--config", config)[0]
        == 0
    )
    assert _run(capsys, "members", "extend", "vic", "--never", "--config", config)[0] == 0
    listed = _members(capsys, config)
    assert listed["vic"] is None and _moment(listed["alma"]) == midnight
    code, out, _ = _run(capsys, "members", "list", "--config", config)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert f"until {midnight:%Y-%m-%d %H:%M} UTC" in rows["alma"] and "until" not in rows["vic"]
    # every change is one audit event with the old and the new end
    code, out, err = _run(capsys, "audit", "export", "--format", "jsonl", "--config", config)
    assert code == 0, err
    moves = [e for e in map(json.loads, out.splitlines()) if e["action"] == "members.expiry"]
    # the member by pseudonymous id in the chain, by name beside it
    assert [(e["names"][e["resource_id"]], e["details"]["expires_at"] is None) for e in moves] == [
        ("alma", False),
        ("alma", False),
        ("vic", True),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "alma", "auditor"], "'auditor' memberships must have an expiry"),
        (["add", "alma", "--role", "auditor", "--expires", "soon"], "not a date or date-time"),
        (["add", "alma", "--expires", "3d"], "a role is required"),
        (["add", "alma", "viewer", "--role", "editor"], "give the role once"),
        (["add", "alma", "auditor", "--expires", "2001-01-01"], "is not in the future"),
        (["extend", "nobody", "--by", "3d"], "member 'nobody' not found"),
        (["extend", "alice", "--by", "3d"], "without end"),
        (["extend", "alice", "--until", "2099-01-01"], "own grant"),
        (["extend", "alma", "--by", "0d"], "is zero"),
        (["extend", "alma"], "give --until DATE, --by DURATION or --never"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], config: str, argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "members", *argv, "--config", config)
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "alma" not in _members(capsys, config)


def test_erase_asks_then_erases(
    capsys: pytest.CaptureFixture[str], config: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(capsys, "members", "add", "zelda", "--role", "editor", "--config", config)[0] == 0
    assert _run(capsys, "members", "add", "ivy", "--role", "viewer", "--config", config)[0] == 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, out, err = _run(capsys, "members", "erase", "zelda", "--config", config)
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert "--yes" in err and "Traceback" not in err

    code, out, err = _run(capsys, "members", "erase", "zelda", "--yes", "--config", config)
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith("erased zelda: the audit log now shows erased principal #p_")
    code, out, err = _run(capsys, "members", "erase", "ivy", "--yes", "--json", "--config", config)
    assert code == 0, err
    report = json.loads(out)
    assert report["was_member"] and report["chained_events"] == 0 and report["compacted"]
    code, out, err = _run(capsys, "members", "list", "--json", "--config", config)
    assert {m["name"] for m in json.loads(out)}.isdisjoint({"zelda", "ivy"})

    code, out, err = _run(capsys, "audit", "export", "--format", "jsonl", "--config", config)
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    erased = f"erased principal #{report['principal_id']}"
    assert any(erased in e["names"].values() for e in events)
    assert "zelda" not in out and "ivy" not in out
    # erased already: nothing left of her
    code, out, err = _run(capsys, "members", "erase", "zelda", "--yes", "--config", config)
    assert code != 0 and "not known" in err and len(err.strip().splitlines()) == 1
