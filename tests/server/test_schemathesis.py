"""Property-based API testing with schemathesis against /openapi.json: at least 100
generated requests per operation on a real uvicorn over PostgreSQL; no server error, every
answer conforms to the documented schema, status code and content type."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from tests.pg import PgDatabase, listening_socket, run_sync
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
#: requests each operation must get (but /healthz, which takes no input at all: hypothesis
#: stops once it has tried every variant)
MIN_REQUESTS = 100


@pytest.fixture(scope="module")
def live_api(pg_db: PgDatabase) -> Iterator[tuple[str, str]]:
    """(base URL, owner key) of a uvicorn on 127.0.0.1 serving ``pg_db``."""
    tenant = run_sync(lambda: make_tenant(pg_db.app_url, unique("fuzz"), {"vic": "viewer"}))
    sock = listening_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(ServerConfig(db=pg_db.app_url)),
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", tenant.keys["owner"]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def api_schema(live_api: tuple[str, str]) -> Any:
    url, _key = live_api
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


@pytest.fixture
def sent() -> Counter[str]:
    """Requests sent per operation ("METHOD /path"), by this test only."""
    return Counter()


schema = schemathesis.pytest.from_fixture("api_schema")


def _conforms(case: Any, live_api: tuple[str, str], sent: Counter[str]) -> None:
    """One generated request: no server error, and the answer is what the schema says."""
    url, key = live_api
    sent[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    case.call_and_validate(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=30
    )


# /events is an endless stream by design (it is exercised in test_auditor_and_keys).
_fuzz_every_operation = schema.exclude(path="/api/v1/events").parametrize()(
    settings(
        max_examples=MIN_REQUESTS,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(_conforms)
)


@pytest.mark.timeout(1800)
def test_api_conforms_to_its_openapi(
    request: pytest.FixtureRequest, api_schema: Any, sent: Counter[str]
) -> None:
    """Every operation conforms (reported per operation) with at least 100 requests each."""
    _fuzz_every_operation(request=request)
    assert_at_least_100_requests_per_operation(api_schema, sent)


def assert_at_least_100_requests_per_operation(api_schema: Any, sent: Counter[str]) -> None:
    operations = {
        f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()
    } - {"GET /api/v1/events"}
    assert sent["GET /healthz"] >= 1
    few = {name: sent[name] for name in operations - {"GET /healthz"} if sent[name] < MIN_REQUESTS}
    assert few == {}, f"operations that got fewer than {MIN_REQUESTS} requests"
