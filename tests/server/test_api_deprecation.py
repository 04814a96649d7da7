"""Deprecation and Sunset headers on /api/v1 (RFC 9745, RFC 8594) when the operator
announces its end: a real uvicorn on 127.0.0.1, and ``coditect serve`` refusing a bad
setting in one line before it listens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.deprecation import (
    DEPRECATED_ENV,
    LINK_ENV,
    SUNSET_ENV,
    ApiDeprecation,
    from_env,
)
from coditect_server.state import ServerConfig
from coditect_tui.cli import main
from coditect_tui.core.errors import ConfigError
from tests.pg import free_port, run_sync, serve_in_thread
from tests.server.conftest import make_tenant

ANNOUNCED = {
    DEPRECATED_ENV: "2027-01-01",
    SUNSET_ENV: "2027-07-01T12:00:00+02:00",
    LINK_ENV: "https://example.org/coditect/api-v2",
}


def test_from_env() -> None:
    assert from_env({}) is None
    found = from_env(ANNOUNCED)
    assert found == ApiDeprecation(
        deprecated_at=datetime(2027, 1, 1, tzinfo=UTC),
        sunset_at=datetime(2027, 7, 1, 10, tzinfo=UTC),
        link="https://example.org/coditect/api-v2",
    )
    assert dict(found.headers()) == {
        b"deprecation": b"@1798761600",
        b"sunset": b"Thu, 01 Jul 2027 10:00:00 GMT",
        b"link": b'<https://example.org/coditect/api-v2>; rel="deprecation"',
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({DEPRECATED_ENV: "next year"}, "is not an ISO date or date-time"),
        ({SUNSET_ENV: "2027-07-01"}, f"{SUNSET_ENV} needs {DEPRECATED_ENV}"),
        ({DEPRECATED_ENV: "2027-07-01", SUNSET_ENV: "2027-01-01"}, "must be after"),
        ({DEPRECATED_ENV: "2027-07-01", LINK_ENV: "https://x/>; rel=x"}, "not an http(s) URL"),
    ],
)
def test_bad_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_env(env)


def test_serve_refuses_a_bad_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DEPRECATED_ENV, "2027-07-01")
    monkeypatch.setenv(SUNSET_ENV, "2027-01-01")
    code = main(["serve", "--db", str(tmp_path / "s.db"), "--port", str(free_port())])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"coditect: error: {SUNSET_ENV} must be after {DEPRECATED_ENV}\n"


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, owner key) of a uvicorn on 127.0.0.1 with the deprecation given as param."""
    db = tmp_path / "server.db"
    key = run_sync(lambda: make_tenant(str(db), "acme", {})).keys["owner"]
    app = create_app(ServerConfig(db=str(db), api_v1_deprecation=request.param))
    with serve_in_thread(app) as url:
        yield url, key


@pytest.mark.parametrize("served", [from_env(ANNOUNCED)], indirect=True)
def test_headers_on_every_v1_answer(served: tuple[str, str]) -> None:
    url, key = served
    with httpx.Client(base_url=url) as client:
        ok = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {key}"})
        refused = client.get("/api/v1/whoami")  # the gate's 401
        missing = client.get("/api/v1/no-such-route", headers={"Authorization": f"Bearer {key}"})
        health = client.get("/healthz")
    assert (ok.status_code, refused.status_code, missing.status_code) == (200, 401, 404)
    for answer in (ok, refused, missing):
        assert answer.headers["deprecation"] == "@1798761600"
        assert answer.headers["sunset"] == "Thu, 01 Jul 2027 10:00:00 GMT"
        assert answer.headers["link"] == '<https://example.org/coditect/api-v2>; rel="deprecation"'
    assert health.status_code == 200
    assert not {"deprecation", "sunset", "link"} & set(health.headers)


@pytest.mark.parametrize("served", [None], indirect=True)
def test_no_headers_unless_announced(served: tuple[str, str]) -> None:
    url, key = served
    with httpx.Client(base_url=url) as client:
        ok = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert not {"deprecation", "sunset"} & set(ok.headers)
