"""Auditor keys (every mutating route refused, reads audited, expiry enforced), key
revocation, idempotency keys, shared rate limits and live events, on a real server over
PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_tui.core.backend import MUTATING_METHODS
from coditect_tui.core.models import utcnow
from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant, unique

pytestmark = pytest.mark.postgres

BODIES: dict[str, tuple[dict[str, str], Any]] = {
    "add_member": ({}, {"name": "new", "role": "viewer"}),
    "set_member_role": ({"name": "owner"}, {"role": "viewer"}),
    "set_member_expiry": ({"name": "owner"}, {"expires_at": "2999-01-01T00:00:00Z"}),
    "remove_member": ({"name": "owner"}, None),
    "erase_principal": ({}, {"name": "owner", "keep_chained": False}),
    "create_tenant": ({}, {"name": "t2", "tier": "internal", "owner": "x"}),
    "set_tenant_state": ({"name": "owner"}, {"state": "suspended"}),
    "set_flag": ({"feature": "memory"}, {"enabled": False}),
    "clear_flag": ({"feature": "memory"}, None),
    "create_invitation": ({}, {"name": "ivy", "role": "viewer"}),
    "revoke_invitation": ({"invitation_id": "00000000000000000000000000000000"}, None),
    "accept_invitation": ({}, {"token": "cdt_inv_unknown"}),
    "add_webhook": ({}, {"url": "https://1.1.1.1/hook", "events": ["*"]}),
    "remove_webhook": ({"webhook_id": "00000000-0000-0000-0000-000000000000"}, None),
    "create_api_key": ({}, {}),
    "revoke_api_key": ({"key_id": "{owner_key}"}, None),
    "upsert_project": ({}, {"name": "p2"}),
    "delete_project": ({"project_id": "{project}"}, None),
    "upsert_repo": ({}, {"project_id": "{project}", "path": "/r2", "name": "r2"}),
    "delete_repo": ({"repo_id": "{repo}"}, None),
    "create_session": (
        {},
        {
            "repo_id": "{repo}",
            "session_key": "k2",
            "description": "d",
            "branch": "b",
            "started_at": "2026-11-26T08:00:00Z",
        },
    ),
    "update_session": ({"session_id": "{session}"}, {"commit_count": 3}),
    "delete_session": ({"session_id": "{session}"}, None),
    "upsert_memory_entry": ({}, {"path": "x.md", "kind": "note", "title": "x"}),
    "upsert_memory_entries": ({}, [{"path": "y.md", "kind": "note", "title": "y"}]),
    "delete_memory_entry": ({"entry_id": "{entry}"}, None),
    "record_status": ({}, {"summary": {}}),
    "prune_status": ({}, {"before": "2030-01-01T00:00:00Z"}),
    "record_event": (
        {},
        {"resource": "sessions", "action": "update", "name": "sessions.push", "resource_id": "s"},
    ),
    "audit_head": ({}, None),
    "import_audit_events": (
        {},
        {
            "events": [
                {
                    "ts": "2025-01-01T00:00:00Z",
                    "actor": "x",
                    "action": "x.y",
                    "resource_type": "repos",
                    "source": "f.json",
                }
            ]
        },
    ),
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def test_auditor_key_refuses_every_mutating_route(
    pg_server: ServerProcess, tmp_path: Path
) -> None:
    spec = create_app(ServerConfig(db=str(tmp_path / "x.db"))).openapi()
    operations = {
        op["operationId"]: (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    assert set(BODIES) == MUTATING_METHODS <= set(operations)
    tenant = await make_tenant(
        pg_server.db_url,
        unique("audited"),
        {"alma": "auditor"},
        expires={"alma": utcnow() + timedelta(days=1)},
    )
    assert tenant.keys["alma"].startswith("cdt_aud_")
    owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    auditor = {"Authorization": f"Bearer {tenant.keys['alma']}"}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        project = (await client.put("/api/v1/projects", json={"name": "p"}, headers=owner)).json()[
            "id"
        ]
        repo = (
            await client.put(
                "/api/v1/repos",
                json={"project_id": project, "path": "/r", "name": "r"},
                headers=owner,
            )
        ).json()["id"]
        session = (
            await client.post(
                "/api/v1/sessions",
                json={
                    "repo_id": repo,
                    "session_key": "k",
                    "description": "d",
                    "branch": "b",
                    "started_at": "2026-11-26T08:00:00Z",
                },
                headers=owner,
            )
        ).json()["id"]
        entry = (
            await client.put(
                "/api/v1/memory", json={"path": "m.md", "kind": "note", "title": "t"}, headers=owner
            )
        ).json()["id"]
        ids = {
            "project": project,
            "repo": repo,
            "session": session,
            "entry": entry,
            "owner_key": tenant.ids["owner"],
        }
        before = (await client.get("/api/v1/audit/head", headers=owner)).json()["seq"]
        answers = {}
        for name, (params, body) in BODIES.items():
            method, path = operations[name]
            url = path.replace("{name}", "{name}").format(**_fill(params, ids))
            response = await client.request(method, url, json=_fill(body, ids), headers=auditor)
            answers[name] = (response.status_code, response.json().get("code"))
        assert {k: v for k, v in answers.items() if v != (403, "read_only")} == {}
        # reads work and are audited; nothing but audit rows changed
        assert (await client.get("/api/v1/projects", headers=auditor)).status_code == 200
        events = (
            await client.post(
                "/api/v1/audit/query",
                json={"filter": {"actor": "alma"}, "limit": 100, "ascending": True},
                headers=owner,
            )
        ).json()["items"]
        denied = {e["details"]["method"] for e in events if e["outcome"] == "denied"}
        assert denied == MUTATING_METHODS
        assert [e["action"] for e in events if e["outcome"] == "ok"] == ["projects.read"]
        assert all(e["seq"] > before for e in events)
        listed = (await client.get("/api/v1/projects", headers=owner)).json()["items"]
        assert [p["name"] for p in listed] == ["p"]


class FakeClock:
    """A clock that moves only when told (the server reads it for every expiry)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        self.now += step


async def test_expired_and_revoked_keys_are_refused(pg_server: ServerProcess) -> None:
    expiry = utcnow() + timedelta(hours=1)
    tenant = await make_tenant(
        pg_server.db_url,
        unique("expiry"),
        {"alma": "auditor", "vic": "viewer"},
        expires={"alma": expiry},
    )
    # expiry: the same database served in-process by a server whose clock the test moves
    clock = FakeClock(expiry - timedelta(seconds=1))
    state = ServerState(ServerConfig(db=pg_server.db_url, pool_size=2), clock=clock)
    await state.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(state=state)),
            base_url="http://clocked.test",
            timeout=10,
        ) as clocked:
            auditor = {"Authorization": f"Bearer {tenant.keys['alma']}"}
            for _ in range(2):  # a lookup, then (once the listener is up) maybe the cache
                assert (await clocked.get("/api/v1/whoami", headers=auditor)).status_code == 200
            clock.advance(timedelta(seconds=1))  # the key expires at this very moment
            expired = await clocked.get("/api/v1/whoami", headers=auditor)
            assert (expired.status_code, expired.json().get("detail")) == (
                401,
                "this API key has expired",
            )
            state.invalidate_tenant()  # the database lookup refuses it too
            expired = await clocked.get("/api/v1/whoami", headers=auditor)
            assert (expired.status_code, expired.json().get("detail")) == (
                401,
                "this API key has expired",
            )
    finally:
        await state.stop()
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        # the real server, on the real clock, still accepts the key for an hour
        auditor = {"Authorization": f"Bearer {tenant.keys['alma']}"}
        assert (await client.get("/api/v1/whoami", headers=auditor)).status_code == 200
        owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
        revoked = await client.post(f"/api/v1/api-keys/{tenant.ids['vic']}/revoke", headers=owner)
        assert revoked.status_code == 200
        refused = await client.get(
            "/api/v1/whoami", headers={"Authorization": f"Bearer {tenant.keys['vic']}"}
        )
        assert (refused.status_code, refused.json()["detail"]) == (401, "this API key was revoked")
        forged = tenant.keys["owner"][:-1] + ("A" if tenant.keys["owner"][-1] != "A" else "B")
        bad = await client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {forged}"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
        # an auditor key without expiry cannot even be created
        no_expiry = await client.post("/api/v1/api-keys", json={"principal": "alma"}, headers=owner)
        assert (no_expiry.status_code, no_expiry.json()["code"]) == (422, "invalid_input")


async def test_idempotency_key_runs_a_write_once(pg_server: ServerProcess) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("idem"), {})
    h = {"Authorization": f"Bearer {tenant.keys['owner']}", "Idempotency-Key": "once-1"}
    async with httpx.AsyncClient(base_url=pg_server.url, timeout=10) as client:
        body = {"summary": {"n": 1}}
        first = await client.post("/api/v1/status", json=body, headers=h)
        again = await client.post("/api/v1/status", json=body, headers=h)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
        other = await client.post("/api/v1/status", json={"summary": {"n": 2}}, headers=h)
        assert (other.status_code, other.json()["code"]) == (422, "invalid_input")
        listed = (await client.get("/api/v1/status", headers=h)).json()["items"]
        assert len(listed) == 1


async def test_rate_limit_is_shared_across_replicas(pg_db: PgDatabase) -> None:
    # the smallest budget of a tier with remote_api and api_keys: 120/min, burst 30
    tenant = await make_tenant(pg_db.app_url, unique("limited"), {}, tier="vendor")
    replicas = [ServerState(ServerConfig(db=pg_db.app_url, pool_size=2)) for _ in range(2)]
    for replica in replicas:
        await replica.start()
    h = {"Authorization": f"Bearer {tenant.keys['owner']}"}
    codes: list[int] = []
    retry_after = None
    try:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(state=r)),
                base_url="http://replica.test",
            )
            for r in replicas
        ]
        for i in range(40):  # alternating replicas: one bucket, not one per process
            response = await clients[i % 2].get("/api/v1/whoami", headers=h)
            codes.append(response.status_code)
            if response.status_code == 429:
                retry_after = response.headers["retry-after"]
                assert response.json()["code"] == "rate_limited"
        for client in clients:
            await client.aclose()
    finally:
        for replica in replicas:
            await replica.stop()
    assert codes[:30] == [200] * 30
    assert 429 in codes[30:]
    assert retry_after is not None and 1 <= int(retry_after) <= 2


async def test_live_events_reach_a_teammate(pg_server: ServerProcess) -> None:
    tenant = await make_tenant(pg_server.db_url, unique("live"), {"vic": "viewer"})
    other = await make_tenant(pg_server.db_url, unique("elsewhere"), {})
    from coditect_remote.client import RemoteBackend
    from coditect_tui.core.models import ProjectSpec, StatusSnapshotSpec

    owner = RemoteBackend(pg_server.url, tenant.keys["owner"])
    viewer = RemoteBackend(pg_server.url, tenant.keys["vic"])
    stranger = RemoteBackend(pg_server.url, other.keys["owner"])
    received: dict[str, list[dict[str, Any]]] = {"owner": [], "vic": []}

    ready = {"owner": asyncio.Event(), "vic": asyncio.Event()}

    async def listen(who: str, backend: RemoteBackend) -> None:
        async for event in backend.events(max_events=2, ready=ready[who]):
            received[who].append(event)

    try:
        tasks = [
            asyncio.create_task(listen("owner", owner)),
            asyncio.create_task(listen("vic", viewer)),
        ]
        # both streams are open: the server fixed where they start before answering
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready.values())), 10)
        started = time.monotonic()
        await stranger.upsert_project(ProjectSpec(name="not-yours"))
        project = await owner.upsert_project(ProjectSpec(name="shared"))
        await owner.record_status(StatusSnapshotSpec(summary={}))
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        assert time.monotonic() - started < 5
    finally:
        for backend in (owner, viewer, stranger):
            await backend.close()
    assert [e["event"] for e in received["owner"]] == ["audit", "audit"]
    assert received["owner"][0]["data"]["action"] == "projects.create"
    assert received["owner"][0]["data"]["resource_id"] == project.id
    assert [(e["event"], e["data"]["action"]) for e in received["vic"]] == [
        ("change", "projects.create"),
        ("change", "status.create"),
    ]
