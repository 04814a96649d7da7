"""``coditect webhooks`` against a real uvicorn whose worker delivers to a real receiver;
and the one-line refusal on a local profile."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from coditect_tui.cli import main
from coditect_tui.core.models import ProjectSpec
from tests.pg import run_sync, serve_in_thread
from tests.server.conftest import make_tenant, open_db
from tests.server.receiver import Receiver


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, SQLite file) of a uvicorn on 127.0.0.1 whose webhooks may reach 127.0.0.1."""
    db = tmp_path / "server.db"
    config = ServerConfig(
        db=str(db), webhook_allow_networks=("127.0.0.1/32",), webhook_poll_interval=0.05
    )
    with serve_in_thread(create_app(config)) as url:
        yield url, db


def _config(tmp_path: Path, backend: dict[str, str]) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"tenants": [{"name": "acme", "backend": backend}]}))
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_webhooks_through_a_remote_profile(
    live: tuple[str, Path], receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, db = live
    tenant = run_sync(lambda: make_tenant(str(db), "acme", {"ed": "editor"}))
    token = tmp_path / "token"
    token.write_text(tenant.keys["owner"] + "\n")
    token.chmod(0o600)
    config = _config(tmp_path, {"kind": "remote", "url": url, "token_file": str(token)})

    code, out, err = _run(capsys, "webhooks", "add", "ftp://x/y", "--config", config)
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert "http:// or https://" in err

    code, out, _ = _run(
        capsys, "webhooks", "add", receiver.url, "--event", "projects.*", "--json",
        "--config", config,
    )  # fmt: skip
    assert code == 0
    new = json.loads(out)
    receiver.secret = new["secret"]
    hook_id = new["info"]["id"]

    async def make_event() -> None:
        store = await open_db(str(db), "acme", "owner")
        try:
            await store.upsert_project(ProjectSpec(name="p1"))
        finally:
            await store.close()

    run_sync(make_event)
    assert receiver.wait_until(lambda r: len(r.deliveries) == 1, 60)
    assert receiver.bad_signatures == 0

    code, out, _ = _run(capsys, "webhooks", "list", "--config", config)
    assert code == 0 and hook_id in out and "enabled" in out and "secret" not in out
    code, out, _ = _run(capsys, "webhooks", "log", hook_id, "--json", "--config", config)
    assert code == 0
    assert [d["id"] for d in json.loads(out)] == list(receiver.deliveries)

    # an editor may neither read nor change subscriptions
    token.write_text(tenant.keys["ed"] + "\n")
    for argv in (("list",), ("log",), ("remove", hook_id)):
        code, out, err = _run(capsys, "webhooks", *argv, "--config", config)
        assert code != 0 and len(err.strip().splitlines()) == 1, argv
        assert "webhooks" in err
    token.write_text(tenant.keys["owner"] + "\n")

    assert _run(capsys, "webhooks", "remove", hook_id, "--config", config)[0] == 0
    assert _run(capsys, "webhooks", "list", "--config", config)[1].strip() == "no webhooks"


def test_a_local_profile_says_it_has_no_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, {"kind": "local", "path": str(tmp_path / "store.db")})
    code, out, err = _run(capsys, "webhooks", "list", "--config", config)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "local" in err and "coditect serve" in err
    assert not (tmp_path / "store.db").exists()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CODITECT_SERVE_WEBHOOK_LEASE", "soon", "give seconds"),
        ("CODITECT_SERVE_WEBHOOK_POLL", "0", "give seconds"),
        ("CODITECT_SERVE_WEBHOOK_ALLOW", "127.0.0.1/32,intranet", "not a network"),
    ],
)
def test_serve_refuses_bad_webhook_settings_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = _run(capsys, "serve", "--db", str(tmp_path / "s.db"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert name in err and says in err
    assert not (tmp_path / "s.db").exists()


def test_serve_refuses_a_bad_network_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--db", str(tmp_path / "s.db"), "--webhook-allow-network", "lan"])
    assert exit_.value.code == 2
    assert "'lan' is not a network" in capsys.readouterr().err
