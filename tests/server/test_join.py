"""``coditect members invite`` and ``coditect join`` end to end, against a real uvicorn
on 127.0.0.1: the line printed joins, the profile written works, the key file is 0600,
nothing is overwritten without --force, and a spent token is refused like any other."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from coditect_tui.cli import main
from coditect_tui.core.invitations import INVALID_TOKEN
from tests.pg import run_sync, serve_in_thread
from tests.server.conftest import make_tenant


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, SQLite file) of a uvicorn on 127.0.0.1."""
    db = tmp_path / "server.db"
    with serve_in_thread(create_app(ServerConfig(db=str(db)))) as url:
        yield url, db


@pytest.fixture
def owner_config(live: tuple[str, Path], tmp_path: Path) -> str:
    """The config of the tenant's owner: a remote profile with a 0600 token file."""
    url, db = live
    tenant = run_sync(lambda: make_tenant(str(db), "acme", {}))
    token = tmp_path / "owner.key"
    token.write_text(tenant.keys["owner"] + "\n")
    token.chmod(0o600)
    path = tmp_path / "owner.yaml"
    backend = {"kind": "remote", "url": url, "token_file": str(token)}
    path.write_text(json.dumps({"tenants": [{"name": "acme", "backend": backend}]}))
    return str(path)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The joining person's XDG folders (config and data) under ``tmp_path``."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "joiner" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "joiner" / "data"))
    monkeypatch.delenv("CODITECT_CONFIG", raising=False)
    return tmp_path / "joiner"


def _stored(db: Path) -> str:
    """Every byte of the server's SQLite files (the database, its WAL), as text."""
    return "".join(p.read_bytes().decode("latin-1") for p in db.parent.glob(db.name + "*"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _invite(capsys: pytest.CaptureFixture[str], config: str, *argv: str) -> list[str]:
    code, out, err = _run(capsys, "members", "invite", *argv, "--config", config)
    assert code == 0, err
    line = out.strip().splitlines()[-1]
    assert line.startswith("coditect join http://127.0.0.1:")
    return line.split()[1:]  # join URL TOKEN


def test_invite_join_and_use_the_profile(
    live: tuple[str, Path],
    owner_config: str,
    home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, db = live
    argv = _invite(capsys, owner_config, "nina", "--role", "editor", "--valid", "2")
    assert argv[1] == url and argv[2].startswith("cdt_inv_")
    assert argv[2] not in _stored(db)  # only its hash is stored
    code, out, _ = _run(capsys, "members", "invites", "--json", "--config", owner_config)
    assert code == 0 and [(i["name"], i["role"]) for i in json.loads(out)] == [("nina", "editor")]

    code, out, err = _run(capsys, *argv)
    assert code == 0, err
    assert "joined tenant acme as nina (editor)" in out
    config = home / "config" / "coditect" / "config.yaml"
    key_file = home / "data" / "coditect" / "tokens" / "acme.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    personal, profile = yaml.safe_load(config.read_text())["tenants"]
    assert personal == {"name": "personal", "display_name": "Personal"}  # a first run's, kept
    assert profile["backend"] == {"kind": "remote", "url": url, "token_file": str(key_file)}
    assert (profile["name"], profile["principal"], profile["role"]) == ("acme", "nina", "editor")
    assert key_file.read_text().startswith("cdt_usr_")

    # the written profile works: a command run with it (the default config) succeeds
    code, out, err = _run(capsys, "members", "list", "--json", "--tenant", "acme")
    assert code == 0, err
    assert {m["name"]: m["role"] for m in json.loads(out)} == {"owner": "owner", "nina": "editor"}
    code, out, _ = _run(capsys, "members", "invites", "--config", owner_config)
    assert code == 0 and out.strip() == "no pending invitations"

    # the token is spent: refused with the one generic message, and nothing is written
    before = config.read_bytes()
    code, out, err = _run(capsys, *argv, "--profile", "other")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert INVALID_TOKEN in err and "Traceback" not in err
    assert config.read_bytes() == before


def test_an_existing_profile_is_kept_without_force(
    owner_config: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _invite(capsys, owner_config, "nina", "--role", "viewer")
    assert _run(capsys, *first)[0] == 0
    config = home / "config" / "coditect" / "config.yaml"
    key_file = home / "data" / "coditect" / "tokens" / "acme.key"
    before, key_before = config.read_bytes(), key_file.read_bytes()
    second = _invite(capsys, owner_config, "otto", "--role", "viewer")
    code, out, err = _run(capsys, *second)  # the tenant's name is taken: another name
    assert code == 0, err
    assert "profile acme-otto" in out
    assert config.read_bytes() != before and key_file.read_bytes() == key_before
    profiles = yaml.safe_load(config.read_text())["tenants"][1:]  # after "personal"
    assert [(p["name"], p["principal"]) for p in profiles] == [
        ("acme", "nina"),
        ("acme-otto", "otto"),
    ]
    assert _run(capsys, "members", "list", "--tenant", "acme-otto")[0] == 0
    third = _invite(capsys, owner_config, "pia", "--role", "viewer")
    code, _, err = _run(capsys, *third, "--profile", "acme")  # known before: nothing sent
    assert code != 0 and "already exists" in err
    code, _, err = _run(capsys, *third, "--force")
    assert code == 0, err
    profiles = yaml.safe_load(config.read_text())["tenants"][1:]  # after "personal"
    assert [(p["name"], p["principal"]) for p in profiles] == [
        ("acme-otto", "otto"),
        ("acme", "pia"),
    ]
    assert key_file.read_bytes() != key_before


def test_join_refusals_spend_the_failed_authentication_budget(tmp_path: Path) -> None:
    config = ServerConfig(db=str(tmp_path / "server.db"), auth_failure_burst=3)
    with serve_in_thread(create_app(config)) as url, httpx.Client(base_url=url) as client:
        answers = [
            client.post("/api/v1/join", json={"token": f"cdt_inv_guess{n}"}) for n in range(4)
        ]
    assert [a.status_code for a in answers] == [403, 403, 403, 429]
    assert {a.json()["detail"] for a in answers[:3]} == {INVALID_TOKEN}


def test_a_replayed_invitation_never_shows_the_token_again(
    live: tuple[str, Path], owner_config: str
) -> None:
    url, db = live
    key = (Path(owner_config).parent / "owner.key").read_text().strip()
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "invite-once"}
    body = {"name": "nina", "role": "viewer"}
    with httpx.Client(base_url=url) as client:
        first = client.post("/api/v1/invitations", json=body, headers=headers)
        again = client.post("/api/v1/invitations", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 409
    token = first.json()["token"]
    assert first.json()["info"]["id"] in again.json()["detail"]
    assert token not in again.text and token not in _stored(db)
