"""Server observability: one JSON line per request (ids only, never a token or a body),
a request id echoed back, Prometheus metrics per route template (token or loopback
only), /livez apart from /readyz, and no OpenTelemetry unless configured. Real uvicorn on
127.0.0.1 or the app in-process; real SQLite files and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_store.engine import make_postgres_engine
from coditect_tui.core import api_keys as keyfmt
from tests.pg import PgDatabase, ServerProcess, Uvicorn, free_port, listening_socket, run_sync
from tests.server.conftest import TenantKeys, make_tenant

SECRET_MARK = "body-secret-7f3a9c"


class Served:
    """``create_app(config)`` on a real uvicorn in a thread (127.0.0.1)."""

    def __init__(self, config: ServerConfig) -> None:
        import uvicorn

        self.app = create_app(config)
        self.socket = listening_socket()
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = Uvicorn(
            uvicorn.Config(self.app, log_level="error", timeout_graceful_shutdown=1)
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> Served:
        self.thread.start()
        self.server.startup_over.wait(60)
        assert self.server.started, "uvicorn did not start"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.socket.close()


@pytest.fixture
def tenant_db(tmp_path: Path) -> Iterator[tuple[Path, TenantKeys]]:
    db = tmp_path / "server.db"
    tenant = run_sync(lambda: make_tenant(str(db), "acme", {"erin": "editor"}))
    yield db, tenant


def _lines(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_one_json_line_per_request_with_ids_never_secrets(
    tenant_db: tuple[Path, TenantKeys],
) -> None:
    db, tenant = tenant_db
    log = io.StringIO()
    token = tenant.keys["erin"]
    bearer = {"Authorization": f"Bearer {token}"}
    with (
        Served(ServerConfig(db=str(db), access_log=log)) as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        listed = client.get("/api/v1/projects", headers={**bearer, "X-Request-Id": "abc-1"})
        made = client.put(
            "/api/v1/projects",
            headers=bearer,
            json={"name": "p", "description": SECRET_MARK},
        )
        project_id = made.json()["id"]
        one = client.get(
            f"/api/v1/projects/{project_id}", headers={**bearer, "X-Request-Id": 'x" y'}
        )
        refused = client.get("/api/v1/projects", headers={"Authorization": "Bearer nope"})
        missing = client.get("/no/such/path")
    assert (refused.status_code, missing.status_code) == (401, 404)
    assert (listed.status_code, made.status_code, one.status_code) == (200, 200, 200)
    assert listed.headers["x-request-id"] == "abc-1"  # a safe incoming id is kept
    assert one.headers["x-request-id"] != 'x" y'  # an unsafe one is replaced
    assert len(one.headers["x-request-id"]) == 32
    text = log.getvalue()
    assert token not in text and SECRET_MARK not in text and "erin" not in text
    assert project_id not in text  # the route template, never the raw path
    lines = _lines(log)
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("GET", "/api/v1/projects", 200),
        ("PUT", "/api/v1/projects", 200),
        ("GET", "/api/v1/projects/{project_id}", 200),
        ("GET", "/api/v1/projects", 401),
        ("GET", "<unmatched>", 404),
    ]
    assert [x["request_id"] for x in lines[:3]] == [
        "abc-1",
        made.headers["x-request-id"],
        one.headers["x-request-id"],
    ]
    tenant_ids = {x["tenant_id"] for x in lines[:3]}
    assert len(tenant_ids) == 1 and None not in tenant_ids
    assert {x["key_id"] for x in lines[:3]} == {tenant.ids["erin"]}
    assert (lines[3]["tenant_id"], lines[3]["key_id"]) == (None, None)
    assert all(isinstance(x["duration_ms"], float) and x["duration_ms"] >= 0 for x in lines)
    assert set(lines[0]) == {
        "ts",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "tenant_id",
        "key_id",
    }


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus exposition (None: absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


async def test_metrics_count_requests_refusals_and_pool_use(
    tenant_db: tuple[Path, TenantKeys],
) -> None:
    db, tenant = tenant_db
    state = ServerState(ServerConfig(db=str(db), auth_failure_burst=1))
    await state.start()
    try:
        app = create_app(state=state)
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        remote = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        bearer = {"Authorization": f"Bearer {tenant.keys['owner']}"}
        async with httpx.AsyncClient(transport=remote, base_url="http://t") as attacker:
            unknown = {"Authorization": f"Bearer {keyfmt.new_key('usr')}"}
            assert (await attacker.get("/api/v1/whoami", headers=unknown)).status_code == 401
            assert (await attacker.get("/api/v1/whoami", headers=unknown)).status_code == 429
        async with httpx.AsyncClient(transport=local, base_url="http://t", timeout=10) as client:
            for _ in range(3):
                assert (await client.get("/api/v1/projects", headers=bearer)).status_code == 200
            async with state.db.connect():  # one connection held while scraping
                held = (await client.get("/metrics")).text
            after = (await client.get("/metrics")).text
    finally:
        await state.stop()
    ok = {"method": "GET", "route": "/api/v1/projects", "status": "200"}
    assert _sample(after, "coditect_http_requests_total", **ok) == 3.0
    assert _sample(after, "coditect_http_request_duration_seconds_count", **ok) == 3.0
    assert _sample(after, "coditect_http_request_duration_seconds_bucket", le="+Inf", **ok) == 3
    assert _sample(after, "coditect_http_requests_total", route="/api/v1/whoami", status="401")
    assert _sample(after, "coditect_rate_limit_refusals_total", limit="failed_auth") == 1.0
    assert _sample(after, "coditect_rate_limit_refusals_total", limit="tenant_tier") == 0.0
    assert _sample(held, "coditect_db_pool_in_use") == 1.0
    assert _sample(after, "coditect_db_pool_in_use") == 0.0
    assert "/api/v1/projects/" not in after  # templates only: one series per route


def test_metrics_count_open_event_streams(tenant_db: tuple[Path, TenantKeys]) -> None:
    db, tenant = tenant_db
    bearer = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    with (
        Served(ServerConfig(db=str(db))) as served,
        httpx.Client(base_url=served.url, timeout=10) as client,
    ):
        before = client.get("/metrics").text
        with client.stream("GET", "/api/v1/events", headers=bearer) as events:
            assert events.status_code == 200
            frames = events.iter_bytes()  # kept: dropping it would close the stream
            assert next(frames).startswith(b"retry:")  # the stream is subscribed by now
            during = client.get("/metrics").text
    assert _sample(before, "coditect_sse_subscribers") == 0.0
    assert _sample(during, "coditect_sse_subscribers") == 1.0


async def test_metrics_need_the_token_or_loopback(tmp_path: Path) -> None:
    async def status(config: ServerConfig, host: str, headers: dict[str, str]) -> int:
        state = ServerState(config)
        await state.start()
        try:
            transport = httpx.ASGITransport(app=create_app(state=state), client=(host, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return (await client.get("/metrics", headers=headers)).status_code
        finally:
            await state.stop()

    db = str(tmp_path / "m.db")
    open_config = ServerConfig(db=db)
    assert await status(open_config, "127.0.0.1", {}) == 200
    assert await status(open_config, "::1", {}) == 200
    assert await status(open_config, "203.0.113.9", {}) == 403
    guarded = ServerConfig(db=db, metrics_token="s3cret-metrics")
    good = {"Authorization": "Bearer s3cret-metrics"}
    assert await status(guarded, "203.0.113.9", good) == 200
    assert await status(guarded, "127.0.0.1", {}) == 403
    assert await status(guarded, "127.0.0.1", {"Authorization": "Bearer s3cret"}) == 403
    off = ServerConfig(db=db, metrics=False)
    assert await status(off, "127.0.0.1", {}) == 404


async def test_livez_is_the_process_readyz_the_database(tmp_path: Path) -> None:
    good = ServerState(ServerConfig(db=str(tmp_path / "r.db")))
    await good.start()
    try:
        transport = httpx.ASGITransport(app=create_app(state=good))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/livez")).status_code == 200
            assert (await client.get("/readyz")).json() == {"status": "ok"}
    finally:
        await good.stop()
    # a PostgreSQL server that is not there (a port nothing listens on)
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nowhere"
    down = ServerState(ServerConfig(db=url, readiness_timeout=5))
    down.engine = make_postgres_engine(url, pool_size=1, max_overflow=0)
    try:
        transport = httpx.ASGITransport(app=create_app(state=down))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            live = await client.get("/livez")
            ready = await client.get("/readyz")
            health = await client.get("/healthz")
    finally:
        await down.stop()
    assert live.status_code == 200
    assert ready.status_code == 503, ready.text
    assert ready.headers["content-type"].startswith("application/problem+json")
    assert ready.json()["detail"].startswith("database: ")
    assert url not in ready.text and "nobody" not in ready.text
    assert health.status_code == 503


def test_opentelemetry_sdk_is_not_imported_unless_configured(tmp_path: Path) -> None:
    """FastAPI imports opentelemetry-api (its dependency); the SDK and the exporter are
    ours to import, only when tracing is configured, and FastAPI's telemetry is off."""
    code = (
        "import sys\n"
        "from coditect_server.app import create_app\n"
        "from coditect_server.state import ServerConfig\n"
        f"app = create_app(ServerConfig(db={str(tmp_path / 'o.db')!r}))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk', "
        "'opentelemetry.exporter'))), app._native_telemetry.enabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] False"


class Collector:
    """An OTLP/HTTP trace receiver on 127.0.0.1 that keeps what it is sent."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received: list[tuple[str, bytes]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def test_configured_tracing_sends_one_span_per_request_over_otlp(
    tenant_db: tuple[Path, TenantKeys],
) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    db, tenant = tenant_db
    collector = Collector()
    token = tenant.keys["erin"]
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    threads = set(threading.enumerate())
    try:
        with (
            Served(ServerConfig(db=str(db), otlp_endpoint=collector.url)) as served,
            httpx.Client(base_url=served.url, timeout=10) as client,
        ):
            answer = client.get(
                "/api/v1/projects",
                headers={"Authorization": f"Bearer {token}", "traceparent": parent},
            )
            assert answer.status_code == 200
        # the server's shutdown flushed the spans: nothing to wait for
    finally:
        collector.close()
    assert set(threading.enumerate()) - threads == set()  # the span exporter's thread ended
    assert collector.received and all(path == "/v1/traces" for path, _ in collector.received)
    spans = []
    for _path, body in collector.received:
        assert token.encode() not in body
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scoped in resource.scope_spans:
                spans.extend(scoped.spans)
    server = [s for s in spans if s.name == "GET /api/v1/projects"]
    assert len(server) == 1, [s.name for s in spans]
    assert server[0].trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"
    attributes = {a.key: a.value for a in server[0].attributes}
    assert attributes["http.route"].string_value == "/api/v1/projects"
    assert attributes["http.response.status_code"].int_value == 200


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_metrics_are_summed(
    pg_db: PgDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coditect serve --workers 2`: whichever worker answers /metrics, the counts are
    those of both (prometheus_client multiprocess mode)."""

    shared = tmp_path / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    server = ServerProcess(pg_db.app_url, tmp_path, workers=2, pool_size=2)
    requests = 60
    try:
        for _ in range(requests):  # a connection each: the kernel spreads them
            with httpx.Client(base_url=server.url, timeout=10) as client:
                assert client.get("/livez").status_code == 200
        scrapes = []
        for _ in range(6):
            with httpx.Client(base_url=server.url, timeout=10) as client:
                scrapes.append(client.get("/metrics").text)
        writers = {p.stem.rsplit("_", 1)[1] for p in shared.glob("counter_*.db")}
    finally:
        server.stop()
    livez = {"method": "GET", "route": "/livez", "status": "200"}
    assert {_sample(text, "coditect_http_requests_total", **livez) for text in scrapes} == {
        float(requests)
    }
    assert len(writers) == 2, writers  # both workers counted some
    lines = [
        json.loads(line)
        for line in Path(server.log.name).read_text().splitlines()
        if line.startswith("{")
    ]
    assert sum(1 for x in lines if x["route"] == "/livez") == requests
