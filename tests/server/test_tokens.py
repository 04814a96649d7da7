"""Operator tokens: accepted only when signed with the server's secret, unexpired, short
lived, and within the principal's current membership."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from coditect_server import tokens
from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState, read_secret_file
from coditect_tui.core.errors import ConfigError
from tests.pg import OPERATOR_SECRET
from tests.server.conftest import make_tenant


async def test_operator_tokens_are_checked(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    await make_tenant(str(db), "acme", {"vic": "viewer"})
    state = ServerState(ServerConfig(db=str(db), operator_secret=OPERATOR_SECRET))
    bare = ServerState(ServerConfig(db=str(db)))
    await state.start()
    await bare.start()
    try:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(state=state)), base_url="http://t"
        )
        no_secret = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(state=bare)), base_url="http://t"
        )

        async def status(token: str, *, via: httpx.AsyncClient = client) -> tuple[int, str]:
            r = await via.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
            return r.status_code, r.json().get("detail", r.json().get("name"))

        good = tokens.mint(OPERATOR_SECRET, tenant="acme", principal="vic", role="viewer")
        assert await status(good) == (200, "vic")
        assert (await status(good, via=no_secret))[0] == 401
        forged = tokens.mint(b"x" * 48, tenant="acme", principal="vic", role="viewer")
        assert await status(forged) == (401, "operator token signature does not match")
        old = tokens.mint(
            OPERATOR_SECRET,
            tenant="acme",
            principal="vic",
            role="viewer",
            ttl=60,
            now=time.time() - 120,
        )
        assert await status(old) == (401, "operator token expired")
        above = tokens.mint(OPERATOR_SECRET, tenant="acme", principal="vic", role="owner")
        code, detail = await status(above)
        assert code == 401 and "exceeds the member's current role" in detail
        stranger = tokens.mint(OPERATOR_SECRET, tenant="acme", principal="eve", role="viewer")
        assert (await status(stranger))[0] == 401
        nowhere = tokens.mint(OPERATOR_SECRET, tenant="nope", principal="vic", role="viewer")
        assert (await status(nowhere))[0] == 401
        with pytest.raises(ValueError):
            tokens.mint(
                OPERATOR_SECRET,
                tenant="acme",
                principal="vic",
                role="viewer",
                ttl=tokens.MAX_TTL + 1,
            )
        await client.aclose()
        await no_secret.aclose()
    finally:
        await state.stop()
        await bare.stop()


def test_secret_file_must_be_private_and_long(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"s" * 40)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by group or others"):
        read_secret_file(path)
    path.chmod(0o600)
    assert read_secret_file(path) == b"s" * 40
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        read_secret_file(path)
