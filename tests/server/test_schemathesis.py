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
from tests.pg import PgDatabase, free_port, run_sync
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

#: requests sent per operation (checked by the last test of the module)
SENT: Counter[str] = Counter()
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def live_api(pg_db: PgDatabase) -> Iterator[tuple[str, str]]:
    """(base URL, owner key) of a uvicorn on 127.0.0.1 serving ``pg_db``."""
    tenant = run_sync(lambda: make_tenant(pg_db.app_url, unique("fuzz"), {"vic": "viewer"}))
    config = uvicorn.Config(
        create_app(ServerConfig(db=pg_db.app_url)),
        host="127.0.0.1",
        port=free_port(),
        log_level="error",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}", tenant.keys["owner"]
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def api_schema(live_api: tuple[str, str]) -> Any:
    url, _key = live_api
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


# /events is an endless stream by design (it is exercised in test_auditor_and_keys).
@schema.exclude(path="/api/v1/events").parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi(case: Any, live_api: tuple[str, str]) -> None:
    url, key = live_api
    SENT[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    case.call_and_validate(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, checks=CHECKS, timeout=30
    )


def test_at_least_100_requests_per_operation(api_schema: Any) -> None:
    operations = {
        f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()
    } - {"GET /api/v1/events"}
    assert SENT, "run with the schemathesis test above"
    # /healthz takes no input at all: hypothesis stops once it has tried every variant
    assert SENT["GET /healthz"] >= 1
    assert {name: SENT[name] for name in operations - {"GET /healthz"} if SENT[name] < 100} == {}
