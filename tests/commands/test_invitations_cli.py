"""``coditect members invite|invites|uninvite`` on a local store: the line to copy, the
pending list, revoking; bad input refused in one line."""

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


@pytest.fixture
def config(tmp_path: Path) -> str:
    return str(write_config(tmp_path, [tmp_path]))


def test_invite_list_and_revoke(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, err = _run(
        capsys,
        "members",
        "invite",
        "nina",
        "--role",
        "auditor",
        "--expires",
        "30d",
        "--config",
        config,
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    assert "this tenant is local" in out
    assert lines[-1].startswith("coditect join <tenant API URL> cdt_inv_")
    token = lines[-1].split()[-1]
    code, out, _ = _run(capsys, "members", "invites", "--json", "--config", config)
    pending = json.loads(out)
    assert [(i["name"], i["role"]) for i in pending] == [("nina", "auditor")]
    assert pending[0]["expires_at"] is not None and token not in out
    code, out, _ = _run(
        capsys, "members", "uninvite", pending[0]["id"], "--json", "--config", config
    )
    assert code == 0 and json.loads(out) == {"revoked": pending[0]["id"]}
    code, out, _ = _run(capsys, "members", "invites", "--config", config)
    assert code == 0 and out.strip() == "no pending invitations"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("nina",), "a role is required"),
        (("nina", "--role", "auditor"), "must have an expiry"),
        (("nina", "--role", "viewer", "--valid", "0"), "above 0"),
        (("nina", "--role", "viewer", "--valid", "120"), "at most 90 days"),
        (("nina", "--role", "superuser"), "unknown role"),
    ],
)
def test_bad_invitations_are_one_line(
    capsys: pytest.CaptureFixture[str], config: str, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = _run(capsys, "members", "invite", *argv, "--config", config)
    assert code != 0 and out == "" and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_join_refuses_a_url_that_is_not_http(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    code, out, err = _run(capsys, "join", "ftp://x", "cdt_inv_x", "--config", str(config))
    assert code != 0 and out == "" and "must start with http://" in err
    assert len(err.strip().splitlines()) == 1 and not config.exists()
