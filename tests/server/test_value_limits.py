"""Values too big for the database are invalid input, not an outage: a value longer than
its column answers 422 naming the field (the limit is the column's size, from
coditect_tui.core.limits), and a memory body too large for a PostgreSQL tsvector is
stored whole and indexed up to the limit (real server over PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from coditect_store.schema import (
    audit_events,
    git_sessions,
    memory_entries,
    repos,
    status_snapshots,
)
from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant, unique
from tests.server.test_auditor_and_keys import _fill

pytestmark = pytest.mark.postgres

# (method, path, body with the value, field named in the 422, its column)
CASES: list[tuple[str, str, Any, str, Any]] = [
    (
        "PUT",
        "/api/v1/repos",
        {"project_id": "{project}", "path": "/c", "name": "c", "category": "{v}"},
        "category",
        repos.c.category,
    ),
    (
        "POST",
        "/api/v1/sessions",
        {
            "repo_id": "{repo}",
            "session_key": "{v}",
            "description": "d",
            "branch": "b",
            "started_at": "2026-11-26T08:00:00Z",
        },
        "session_key",
        git_sessions.c.session_key,
    ),
    (
        "PATCH",
        "/api/v1/sessions/{session}",
        {"last_commit": "{v}"},
        "last_commit",
        git_sessions.c.last_commit,
    ),
    (
        "PUT",
        "/api/v1/memory",
        {"path": "t.md", "kind": "note", "title": "t", "timestamp_raw": "{v}"},
        "timestamp_raw",
        memory_entries.c.timestamp_raw,
    ),
    (
        "PUT",
        "/api/v1/memory/batch",
        [{"path": "s.md", "kind": "note", "title": "s", "sha256": "{v}"}],
        "sha256",
        memory_entries.c.sha256,
    ),
    (
        "POST",
        "/api/v1/status",
        {"source": "{v}", "summary": {}},
        "source",
        status_snapshots.c.source,
    ),
]
IMPORTED = {"ts": "2025-01-01T00:00:00Z", "actor": "a", "action": "x.y", "resource_type": "repos"}
for _field, _column in (
    ("actor", audit_events.c.actor),
    ("action", audit_events.c.action),
    ("resource_type", audit_events.c.resource_type),
):
    CASES.append(
        (
            "POST",
            "/api/v1/audit/import",
            {"events": [{**IMPORTED, _field: "{v}", "source": f"{_field}.json"}]},
            _field,
            _column,
        )
    )


async def test_a_value_longer_than_its_column_is_a_422_naming_the_field(
    pg_server: ServerProcess,
) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("limits"), {})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        project = (await client.put("/api/v1/projects", json={"name": "p"}, headers=h)).json()["id"]
        repo_body = {"project_id": project, "path": "/r", "name": "r"}
        repo = (await client.put("/api/v1/repos", json=repo_body, headers=h)).json()["id"]
        session_body = _fill(CASES[1][2], {"repo": repo, "v": "k"})
        session = (await client.post("/api/v1/sessions", json=session_body, headers=h)).json()["id"]
        ids = {"project": project, "repo": repo, "session": session}
        answers: dict[str, tuple[int, int, bool]] = {}
        for method, path, body, field, column in CASES:
            size = column.type.length
            url = path.format(**ids)
            # a hex digit fits every one of these fields, so the full size is accepted
            at_limit = await client.request(
                method, url, json=_fill(body, {**ids, "v": "a" * size}), headers=h
            )
            over = await client.request(
                method, url, json=_fill(body, {**ids, "v": "a" * (size + 1)}), headers=h
            )
            named = over.status_code == 422 and field in over.json()["detail"]
            answers[field] = (at_limit.status_code // 100, over.status_code, named)
        big = {"path": "n.md", "kind": "note", "title": "n", "size": 2**31}
        too_big = await client.put("/api/v1/memory", json=big, headers=h)
    assert answers == {field: (2, 422, True) for _m, _p, _b, field, _c in CASES}
    assert too_big.status_code == 422 and "size" in too_big.json()["detail"]


async def test_a_body_too_large_for_a_tsvector_is_kept_whole_and_indexed_up_to_the_limit(
    pg_server: ServerProcess, pg_db: PgDatabase
) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("bigbody"), {})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    # 80,000 distinct 14-letter words (1.2 MB): more lexeme bytes than a tsvector holds
    words = [f"w{i:06d}xyzabcd" for i in range(80_000)]
    body = "alphaword " + " ".join(words) + " omegaword"
    batch = [
        {"path": "big.md", "kind": "transcript", "title": "big", "body": body},
        {"path": "small.md", "kind": "note", "title": "small", "body": "tinyword"},
    ]
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=30) as client:
        stored = await client.put("/api/v1/memory/batch", json=batch, headers=h)
        assert stored.status_code == 200, stored.text
        big_id = stored.json()[0]["id"]
        kept = (await client.get(f"/api/v1/memory/{big_id}/body", headers=h)).json()["body"]

        async def hits(query: str) -> list[str]:
            answer = await client.post("/api/v1/memory/search", json={"query": query}, headers=h)
            assert answer.status_code == 200, answer.text
            return [hit["entry"]["path"] for hit in answer.json()]

        found = {q: await hits(q) for q in ("alphaword", "tinyword", "omegaword")}
    assert kept == body
    assert found == {"alphaword": ["big.md"], "tinyword": ["small.md"], "omegaword": []}
    rows = await pg_db.fetch(
        "SELECT resource_id, details FROM audit_events WHERE action = 'memory.index_truncated'"
    )
    assert [r["resource_id"] for r in rows] == [big_id]
