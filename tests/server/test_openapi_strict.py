"""The OpenAPI document is as strict as the server: what the schema forbids is refused
(no number for a date-time, no 0/1 for a bool, no bool for a number), what the server
checks is declared (column sizes, role names, no NUL), and a 405 lists every method of
the path (real server over PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from coditect_tui.core.policy import shipped_policy
from tests.pg import ServerProcess
from tests.server.conftest import make_tenant, unique
from tests.server.test_value_limits import CASES

pytestmark = pytest.mark.postgres

_EVENT = {"ts": "2025-01-01T00:00:00Z", "actor": "a", "action": "x.y", "resource_type": "repos"}
_NOTE = {"path": "lax.md", "kind": "note", "title": "t"}
# (method, path, body, the field the 422 names): each value is schema-invalid JSON that
# pydantic's lax mode would coerce
LAX: list[tuple[str, str, Any, str]] = [
    ("POST", "/api/v1/audit/import", {"events": [{**_EVENT, "source": "f", "ts": 0}]}, "ts"),
    ("POST", "/api/v1/audit/query", {"filter": {"until": 0}}, "until"),
    ("POST", "/api/v1/memory/list", {"filter": {"since": "1700000000"}}, "since"),
    ("POST", "/api/v1/status/prune", {"before": 0}, "before"),
    ("GET", "/api/v1/status?since=1700000000", None, "since"),
    ("POST", "/api/v1/api-keys", {"expires_at": 4102444800}, "expires_at"),
    ("POST", "/api/v1/memory/list", {"limit": False}, "limit"),
    ("POST", "/api/v1/audit/query", {"ascending": 0}, "ascending"),
    ("POST", "/api/v1/audit/export", {"filter": {"min_seq": 2**31}}, "min_seq"),
    ("POST", "/api/v1/audit/verify", {"progress": 1}, "progress"),
    ("PUT", "/api/v1/memory", {**_NOTE, "mtime": False}, "mtime"),
    ("PUT", "/api/v1/memory", {**_NOTE, "size": "3"}, "size"),
    ("PATCH", "/api/v1/sessions/none", {"commit_count": True}, "commit_count"),
    (
        "PUT",
        "/api/v1/repos",
        {"project_id": "p", "path": "/r", "name": "r", "is_submodule": 1},
        "is_submodule",
    ),
]


async def test_values_the_schema_forbids_are_refused_naming_the_field(
    pg_server: ServerProcess,
) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("lax"), {})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    answers: dict[str, tuple[int, bool]] = {}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        for method, path, body, field in LAX:
            answer = await client.request(method, path, json=body, headers=h)
            named = answer.status_code == 422 and field in answer.json()["detail"]
            answers[f"{path} {field}"] = (answer.status_code, named)
        # JSON Schema's integer includes 5.0; a real date-time with an offset is fine
        whole = await client.post(
            "/api/v1/audit/query",
            json={"filter": {"max_seq": 5.0, "since": "2025-01-01T00:00:00+02:00"}},
            headers=h,
        )
    assert answers == {f"{path} {field}": (422, True) for _m, path, _b, field in LAX}
    assert whole.status_code == 200, whole.text


async def test_a_405_allows_exactly_the_documented_methods_of_the_path(
    pg_server: ServerProcess,
) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("allow"), {})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}"}  # /api/v1 authenticates first
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10, headers=h) as client:
        spec = (await client.get("/openapi.json")).json()
        allowed: dict[str, set[str]] = {}
        for path in spec["paths"]:
            url = path.replace("{", "").replace("}", "")  # any value fills a parameter
            answer = await client.request("OPTIONS", url)
            assert answer.status_code == 405, (path, answer.status_code)
            allowed[path] = {m.strip() for m in answer.headers["allow"].split(",")}
        documented = {p: {m.upper() for m in ops} for p, ops in spec["paths"].items()}
        wrong = await client.delete("/api/v1/projects")
    assert allowed == documented
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, PUT"
    assert wrong.headers["content-type"] == "application/problem+json"


def _strings(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "string" else []
    return own + [s for value in node.values() for s in _strings(value)]


def test_the_openapi_document_declares_what_the_server_checks(tmp_path: Path) -> None:
    spec = create_app(ServerConfig(db=str(tmp_path / "x.db"))).openapi()
    schemas = spec["components"]["schemas"]
    roles = sorted(shipped_policy().roles)
    assert schemas["MemberSpec"]["properties"]["role"]["enum"] == roles
    assert schemas["RoleChange"]["properties"]["role"]["enum"] == roles
    # every free text refuses NUL (the server does); cursors look like cursors
    free = [s for s in _strings(spec) if not {"format", "enum", "const"} & set(s)]
    assert free and all("pattern" in s for s in free)
    assert schemas["MemberSpec"]["properties"]["name"]["pattern"] == "^[^\\x00]*$"
    cursor = schemas["MemoryQuery"]["properties"]["cursor"]["anyOf"][0]
    assert cursor["pattern"].startswith("^WyJ")
    # the column sizes are the documented maxLength (one source: coditect_tui.core.limits)
    component = {
        "category": "RepoSpec",
        "session_key": "GitSessionSpec",
        "last_commit": "GitSessionUpdate",
        "timestamp_raw": "MemoryEntrySpec",
        "sha256": "MemoryEntrySpec",
        "source": "StatusSnapshotSpec",
        "actor": "AuditEventSpec",
        "action": "AuditEventSpec",
        "resource_type": "AuditEventSpec",
    }
    for _method, _path, _body, field, column in CASES:
        prop = schemas[component[field]]["properties"][field]
        text = next(o for o in prop.get("anyOf", [prop]) if o.get("type") == "string")
        assert text["maxLength"] == column.type.length, field
    size = schemas["GitSessionUpdate"]["properties"]["commit_count"]["anyOf"][0]
    assert (size["minimum"], size["maximum"]) == (-(2**31), 2**31 - 1)
    # every reference resolves (the NDJSON lines of /audit/verify named a missing one)
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(schemas)
    seq = schemas["AuditFilter"]["properties"]["max_seq"]["anyOf"][0]
    assert (seq["minimum"], seq["maximum"]) == (1, 2**31 - 1)
