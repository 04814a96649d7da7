"""Cross-tenant access (BOLA): every ID-bearing route, called with another tenant's key,
answers 404 or 403 and changes nothing (real server, PostgreSQL with RLS)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from tests.pg import ServerProcess
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _victim(client: httpx.AsyncClient, key: str) -> dict[str, str]:
    h = _auth(key)
    project = (await client.put("/api/v1/projects", json={"name": "secret"}, headers=h)).json()
    repo = (
        await client.put(
            "/api/v1/repos",
            json={"project_id": project["id"], "path": "/w/secret", "name": "secret"},
            headers=h,
        )
    ).json()
    session = (
        await client.post(
            "/api/v1/sessions",
            json={
                "repo_id": repo["id"],
                "session_key": "k1",
                "description": "d",
                "branch": "b",
                "started_at": "2026-11-26T08:00:00Z",
            },
            headers=h,
        )
    ).json()
    entry = (
        await client.put(
            "/api/v1/memory",
            json={
                "path": "m.md",
                "kind": "note",
                "title": "t",
                "body": "confidential words",
                "project_id": project["id"],
            },
            headers=h,
        )
    ).json()
    key_info = (await client.post("/api/v1/api-keys", json={}, headers=h)).json()["info"]
    flag = {"enabled": False, "stakeholder": "member-of-a"}
    assert (await client.put("/api/v1/flags/memory", json=flag, headers=h)).status_code == 200
    hook = (
        await client.post(
            "/api/v1/webhooks",
            json={"url": "https://1.1.1.1/victim", "events": ["nothing.matches"]},
            headers=h,
        )
    ).json()["info"]
    invitation = (
        await client.post("/api/v1/invitations", json={"name": "ivy", "role": "viewer"}, headers=h)
    ).json()["info"]
    return {
        "invitation_id": invitation["id"],
        "project_id": project["id"],
        "repo_id": repo["id"],
        "session_id": session["id"],
        "entry_id": entry["id"],
        "key_id": key_info["id"],
        "webhook_id": hook["id"],
        "name": "member-of-a",
        "feature": "memory",
    }


#: Every route with a path parameter: (method, path template, JSON body).
ID_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/projects/{project_id}", None),
    ("DELETE", "/api/v1/projects/{project_id}", None),
    ("GET", "/api/v1/repos/{repo_id}", None),
    ("DELETE", "/api/v1/repos/{repo_id}", None),
    ("GET", "/api/v1/sessions/{session_id}", None),
    ("PATCH", "/api/v1/sessions/{session_id}", {"commit_count": 99}),
    ("DELETE", "/api/v1/sessions/{session_id}", None),
    ("GET", "/api/v1/memory/{entry_id}", None),
    ("GET", "/api/v1/memory/{entry_id}/body", None),
    ("DELETE", "/api/v1/memory/{entry_id}", None),
    ("POST", "/api/v1/api-keys/{key_id}/revoke", None),
    ("PUT", "/api/v1/members/{name}", {"role": "viewer"}),
    ("PATCH", "/api/v1/members/{name}", {"expires_at": "2030-01-01T00:00:00Z"}),
    ("DELETE", "/api/v1/members/{name}", None),
    ("PUT", "/api/v1/flags/{feature}", {"enabled": True, "stakeholder": "{name}"}),
    ("DELETE", "/api/v1/flags/{feature}", None),
    ("DELETE", "/api/v1/webhooks/{webhook_id}", None),
    ("PUT", "/api/v1/tenants/{name}/state", {"state": "suspended"}),
    ("DELETE", "/api/v1/invitations/{invitation_id}", None),
]

#: Routes that take another object's id in the body.
BODY_ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/erasures", {"name": "{name}", "keep_chained": True}),
    ("PUT", "/api/v1/repos", {"project_id": "{project_id}", "path": "/x", "name": "x"}),
    (
        "PUT",
        "/api/v1/repos",
        {"project_id": "{project_id}", "path": "/y", "name": "y", "parent_id": "{repo_id}"},
    ),
    (
        "POST",
        "/api/v1/sessions",
        {
            "repo_id": "{repo_id}",
            "session_key": "k9",
            "description": "d",
            "branch": "b",
            "started_at": "2026-11-26T08:00:00Z",
        },
    ),
    (
        "PUT",
        "/api/v1/memory",
        {"path": "n.md", "kind": "note", "title": "t", "project_id": "{project_id}"},
    ),
    (
        "PUT",
        "/api/v1/memory/batch",
        [{"path": "n.md", "kind": "note", "title": "t", "project_id": "{project_id}"}],
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_the_table_covers_every_id_bearing_route(tmp_path: Any) -> None:
    spec = create_app(ServerConfig(db=str(tmp_path / "x.db"))).openapi()
    with_ids = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, ops in spec["paths"].items()
        if "{" in path
        for method in ops
    }
    covered = {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p, _ in ID_ROUTES}
    assert with_ids == covered


async def test_another_tenants_key_gets_404_or_403_everywhere(pg_server: ServerProcess) -> None:
    db = pg_server.db_url
    a = await make_tenant(db, unique("victim"), {"member-of-a": "editor"})
    b = await make_tenant(db, unique("attacker"), {})
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        ids = await _victim(client, a.keys["owner"])
        attacker = _auth(b.keys["owner"])
        outcomes = {}
        for method, template, body in ID_ROUTES + BODY_ROUTES:
            path = template.format(**ids)
            response = await client.request(method, path, json=_fill(body, ids), headers=attacker)
            outcomes[f"{method} {template} {body is not None}"] = response.status_code
        bad = {k: v for k, v in outcomes.items() if v not in (403, 404)}
        assert bad == {}
        # filters naming another tenant's ids find nothing
        for path, params in (
            ("/api/v1/repos", {"project_id": ids["project_id"]}),
            ("/api/v1/sessions", {"repo_id": ids["repo_id"]}),
            ("/api/v1/sessions", {"project_id": ids["project_id"]}),
        ):
            page = (await client.get(path, params=params, headers=attacker)).json()
            assert page["items"] == []
        log = await client.get(
            "/api/v1/webhooks/deliveries",
            params={"webhook_id": ids["webhook_id"]},
            headers=attacker,
        )
        assert log.status_code == 404
        found = (
            await client.post(
                "/api/v1/memory/search", json={"query": "confidential"}, headers=attacker
            )
        ).json()
        assert found == []
        # and the victim's rows are all still there, unchanged
        victim = _auth(a.keys["owner"])
        for path in (
            "/api/v1/projects/{project_id}",
            "/api/v1/repos/{repo_id}",
            "/api/v1/sessions/{session_id}",
            "/api/v1/memory/{entry_id}",
        ):
            assert (await client.get(path.format(**ids), headers=victim)).status_code == 200
        session = (await client.get(f"/api/v1/sessions/{ids['session_id']}", headers=victim)).json()
        assert session["commit_count"] == 0
        keys = (await client.get("/api/v1/api-keys", headers=victim)).json()
        assert all(k["revoked_at"] is None for k in keys)
        members = (await client.get("/api/v1/members", headers=victim)).json()
        assert {m["name"]: m["role"] for m in members}["member-of-a"] == "editor"
        flags = (await client.get("/api/v1/flags", headers=victim)).json()
        assert [(f["stakeholder"], f["enabled"]) for f in flags] == [("member-of-a", False)]
        hooks = (await client.get("/api/v1/webhooks", headers=victim)).json()
        assert [h["id"] for h in hooks] == [ids["webhook_id"]]
