"""``coditect keys``, ``coditect members`` and ``coditect serve`` against real servers,
and the remote profile's token sources."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from coditect_tui.cli import main
from tests.pg import PgDatabase, ServerProcess, run_sync, serve_in_thread
from tests.server.conftest import make_tenant, open_db


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, SQLite file) of a uvicorn on 127.0.0.1."""
    db = tmp_path / "server.db"
    with serve_in_thread(create_app(ServerConfig(db=str(db)))) as url:
        yield url, db


def _config(tmp_path: Path, url: str, **backend: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        json.dumps(
            {"tenants": [{"name": "acme", "backend": {"kind": "remote", "url": url, **backend}}]}
        )
    )
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_members_and_keys_through_a_remote_profile(
    live: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, db = live
    tenant = run_sync(lambda: make_tenant(str(db), "acme", {}))
    token = tmp_path / "token"
    token.write_text(tenant.keys["owner"] + "\n")
    token.chmod(0o644)
    config = str(_config(tmp_path, url, token_file=str(token)))

    code, out, err = _run(capsys, "members", "list", "--config", config)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "readable by group or others (mode 0644)" in err and "chmod 600" in err
    token.chmod(0o600)

    assert _run(capsys, "members", "add", "vic", "viewer", "--config", config)[0] == 0
    assert _run(capsys, "members", "set-role", "vic", "editor", "--config", config)[0] == 0
    code, out, _ = _run(capsys, "members", "list", "--json", "--config", config)
    assert code == 0 and {m["name"]: m["role"] for m in json.loads(out)} == {
        "owner": "owner",
        "vic": "editor",
    }
    code, out, err = _run(capsys, "members", "add", "eve", "superuser", "--config", config)
    assert code == 2 and "unknown role 'superuser'" in err and len(err.splitlines()) == 1

    code, out, _ = _run(capsys, "keys", "create", "--principal", "vic", "--config", config)
    assert code == 0 and "secret (shown once, store it now): cdt_usr_" in out
    secret = out.rsplit(" ", 1)[-1].strip()
    code, out, err = _run(capsys, "keys", "create", "--role", "auditor", "--config", config)
    assert code == 2 and "'auditor' keys must have an expiry" in err
    code, out, err = _run(
        capsys,
        "keys",
        "create",
        "--principal",
        "vic",
        "--role",
        "auditor",
        "--expires-in",
        "1",
        "--config",
        config,
    )
    assert code == 2 and "exceeds 'vic''s role 'editor'" in err
    code, out, _ = _run(capsys, "keys", "list", "--json", "--config", config)
    listed = json.loads(out)
    assert code == 0 and secret not in out and len(listed) == 2
    vic_key = next(k for k in listed if k["principal"] == "vic")
    with httpx.Client(base_url=url) as client:
        assert (
            client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}).json()[
                "name"
            ]
            == "vic"
        )
        assert _run(capsys, "keys", "revoke", vic_key["id"], "--config", config)[0] == 0
        assert (
            client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}).status_code
            == 401
        )
    assert _run(capsys, "members", "remove", "vic", "--config", config)[0] == 0
    code, _, err = _run(capsys, "members", "remove", "vic", "--config", config)
    assert code == 1 and "not found" in err


def test_token_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(_config(tmp_path, "http://127.0.0.1:9", token_env="CODITECT_TEST_TOKEN"))
    code, _, err = _run(capsys, "members", "list", "--config", config)
    assert code == 2 and "CODITECT_TEST_TOKEN is not set" in err
    monkeypatch.setenv("CODITECT_TEST_TOKEN", "cdt_usr_" + "A" * 36)
    code, _, err = _run(capsys, "members", "list", "--config", config)  # nobody listens
    assert code == 2 and "cannot connect" in err and len(err.strip().splitlines()) == 1
    config = str(_config(tmp_path, "http://127.0.0.1:9", keyring="acme"))
    code, _, err = _run(capsys, "members", "list", "--config", config)
    try:
        import keyring  # noqa: F401
    except ImportError:
        assert code == 2 and "keyring package is not installed" in err
    else:
        assert code == 2 and "keyring" in err


def test_bootstrap_key_on_the_server_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "server.db")
    code, out, err = _run(
        capsys, "keys", "create", "--db", db, "--db-tenant", "newco", "--principal", "olga"
    )
    assert code == 1 and "tenant 'newco' does not exist" in err
    code, out, _ = _run(
        capsys,
        "keys",
        "create",
        "--db",
        db,
        "--db-tenant",
        "newco",
        "--principal",
        "olga",
        "--tier",
        "customer_team",
        "--json",
    )
    new = json.loads(out)
    assert code == 0 and new["info"]["role"] == "owner" and new["secret"].startswith("cdt_")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A server database: a SQLite file, or the session's PostgreSQL database (app role)."""
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    pg_db: PgDatabase = request.getfixturevalue("pg_db")
    return pg_db.app_url


def test_bootstrap_tier_on_an_existing_tenant(
    server_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--tier`` only creates a new tenant: on an existing one it never adds a member (let
    alone an owner), never raises a member's role, and refuses a different tier."""
    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    run_sync(lambda: make_tenant(server_db, tenant, {"carl": "consultant"}, tier="customer_team"))
    create = ("keys", "create", "--db", server_db, "--db-tenant", tenant, "--json")

    code, out, err = _run(capsys, *create, "--principal", "mallory", "--tier", "customer_team")
    assert (code, out) == (1, "") and err.count("\n") == 1, err
    assert f"'mallory' is not a member of tenant {tenant!r} (it already exists" in err
    code, out, err = _run(capsys, *create, "--principal", "owner", "--tier", "internal")
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert f"tenant {tenant!r} already exists in tier 'customer_team', not 'internal'" in err
    code, out, err = _run(
        capsys, *create, "--principal", "carl", "--tier", "customer_team", "--role", "owner"
    )
    assert code == 2 and "a 'owner' key exceeds 'carl''s role 'consultant'" in err

    # the same tier: an existing member keeps its role, and its key gets that role
    code, out, _ = _run(
        capsys, *create, "--principal", "carl", "--tier", "customer_team", "--expires-in", "1"
    )
    assert code == 0 and json.loads(out)["info"]["role"] == "consultant"

    async def members() -> dict[str, str]:
        store = await open_db(server_db, tenant, "owner")
        try:
            return {m.name: m.role for m in await store.list_members()}
        finally:
            await store.close()

    assert run_sync(members) == {"owner": "owner", "carl": "consultant"}


def test_serve_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "serve", "--db", "postgresql://nobody@127.0.0.1:1/x")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot connect" in err
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello")
    code, _, err = _run(capsys, "serve", "--db", str(not_db))
    assert code == 2 and "not a SQLite database" in err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = _run(capsys, "serve", "--db", str(tmp_path / "s.db"), "--port", str(port))
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err
    with pytest.raises(SystemExit) as refused:  # argparse: usage and one line, exit 2
        main(["serve", "--db", str(tmp_path / "s.db"), "--platform-admin", "root"])
    assert refused.value.code == 2 and "is not TENANT/PRINCIPAL" in capsys.readouterr().err
    os.environ["CODITECT_PLATFORM_ADMINS"] = "root"  # the check comes before any serving
    try:
        code, out, err = _run(capsys, "serve", "--db", str(tmp_path / "s.db"))
    finally:
        del os.environ["CODITECT_PLATFORM_ADMINS"]
    assert code == 2 and len(err.strip().splitlines()) == 1 and "tenant/principal" in err
    assert "serving" not in out and "internal error" not in err


async def test_serve_names_its_platform_administrators(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    ops = await make_tenant(str(db), "ops", {})
    root = {"Authorization": f"Bearer {ops.keys['owner']}"}
    globex = {"name": "globex", "tier": "vendor", "owner": "gina"}
    for args, status in (((), 403), (("--platform-admin", "ops/owner"), 201)):
        server = ServerProcess(str(db), tmp_path, args=args)
        try:
            async with httpx.AsyncClient(base_url=server.url) as client:
                created = await client.post("/api/v1/tenants", json=globex, headers=root)
            assert created.status_code == status, created.text
        finally:
            server.stop()


async def test_serve_with_two_workers(tmp_path: Path) -> None:
    db = tmp_path / "served.db"
    tenant = await make_tenant(str(db), "acme", {})
    server = ServerProcess(str(db), tmp_path, workers=2)
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            for _ in range(6):
                me = await client.get(
                    "/api/v1/whoami", headers={"Authorization": f"Bearer {tenant.keys['owner']}"}
                )
                assert me.json()["tenant"] == "acme"
            docs = await client.get("/docs")
            spec = (await client.get("/openapi.json")).json()
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert all(p.startswith(("/api/v1/", "/healthz")) for p in spec["paths"])
    finally:
        server.stop()


def test_openapi_documents_the_credential_and_read_only_header(tmp_path: Path) -> None:
    """``caller`` reads both headers by hand; the document still says so for every
    /api/v1 operation (routes.document_auth), and nothing else is left undocumented."""
    spec = create_app(ServerConfig(db=str(tmp_path / "x.db"))).openapi()
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    operations = [(path, op) for path, ops in spec["paths"].items() for op in ops.values()]
    api = [(path, op) for path, op in operations if path.startswith("/api/v1/")]
    assert len(api) >= 40
    for path, op in api:
        # POST /join's token is its credential: a key is optional there
        optional = [{}] if path == "/api/v1/join" else []
        assert op["security"] == [*optional, {"ApiKey": []}], path
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert names.count("X-Coditect-Read-Only") == 1, path
    assert all("security" not in op for path, op in operations if path == "/healthz")
