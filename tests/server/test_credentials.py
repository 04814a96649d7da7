"""Credentials the server does not know: operator tokens are gone (a ``cdt_opr_`` token
is one more unknown credential, even on a server whose environment still names an
operator secret), and malformed credentials of any kind answer 401, never 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from coditect_server.main import DB_ENV, app_from_env
from tests.server.conftest import make_tenant

SECRET = b"s" * 48


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def old_operator_token(secret: bytes, claims: dict[str, object] | bytes) -> str:
    """A token signed the way the removed operator tokens were (HMAC-SHA256 of the
    base64url JSON claims)."""
    raw = claims if isinstance(claims, bytes) else orjson.dumps(claims)
    body = _b64(raw)
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"cdt_opr_{body}.{mac}"


@pytest.fixture
async def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The app ``coditect serve`` builds, from an environment that still names an operator
    secret file (as an old deployment might)."""
    db = tmp_path / "server.db"
    await make_tenant(str(db), "acme", {"vic": "viewer"})
    secret = tmp_path / "operator.secret"
    secret.write_bytes(SECRET)
    secret.chmod(0o600)
    monkeypatch.setenv(DB_ENV, str(db))
    monkeypatch.setenv("CODITECT_OPERATOR_SECRET_FILE", str(secret))
    app = app_from_env()
    state = app.state.coditect
    await state.start()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http
    finally:
        await state.stop()


async def test_operator_tokens_are_unknown_credentials(client: httpx.AsyncClient) -> None:
    claims = {"t": "acme", "p": "vic", "r": "viewer", "exp": time.time() + 600}
    token = old_operator_token(SECRET, claims)
    response = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def _opr(claims: dict[str, object] | bytes) -> bytes:
    return b"Bearer " + old_operator_token(SECRET, claims).encode()


#: Authorization values (raw header bytes) no server may answer with anything but 401.
MALFORMED: list[bytes] = [
    b"",
    b"Bearer",
    b"Bearer    ",
    b"Basic dmljOnNlY3JldA==",
    b"Bearer cdt_usr_",
    "Bearer cdt_opr_é.é".encode(),
    "Bearer cdt_usr_ééééééééééééééééééééééééééééééééééé".encode(),
    b"Bearer cdt_usr_\xff\xfe\x01\x7f" + b"A" * 32,
    b"Bearer cdt_usr_" + b"A" * 36,
    b"Bearer cdt_aud_" + b"A" * 100_000,
    b"Bearer cdt_opr_",
    b"Bearer cdt_opr_..",
    b"Bearer cdt_opr_a.b.c",
    b"Bearer cdt_opr_" + _b64(b"\x80not json").encode() + b".x",
    _opr({"t": "acme", "p": "vic", "r": "viewer", "exp": "nan"}),
    _opr({"t": "acme", "p": "vic", "r": "viewer", "exp": "inf"}),
    _opr({"t": "acme", "p": "vic", "r": "viewer", "exp": 1e308}),
    _opr({"t": ["acme"], "p": {}, "r": 1, "exp": None}),
    _opr(b"[1, 2, 3]"),
]


@pytest.mark.parametrize("value", MALFORMED, ids=range(len(MALFORMED)))
async def test_malformed_credentials_are_401_never_500(
    client: httpx.AsyncClient, value: bytes
) -> None:
    response = await client.get("/api/v1/whoami", headers={"Authorization": value})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
