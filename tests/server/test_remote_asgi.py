"""The remote backend over an in-process ASGI app (SQLite): behaviour the contract suite
does not pin down — verification progress, read-only header, NDJSON exports, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from coditect_remote.client import RemoteBackend
from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_tui.core.errors import ReadOnly
from coditect_tui.core.models import AuditEventSpec, ProjectSpec
from tests.server.conftest import make_tenant, open_db


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Path, httpx.ASGITransport]]:
    db = tmp_path / "server.db"
    state = ServerState(ServerConfig(db=str(db), poll_interval=0.05))
    await state.start()
    try:
        yield db, httpx.ASGITransport(app=create_app(state=state))
    finally:
        await state.stop()


async def test_verify_reports_progress_while_it_rehashes(
    served: tuple[Path, httpx.ASGITransport],
) -> None:
    db, transport = served
    tenant = await make_tenant(str(db), "acme", {})
    store = await open_db(str(db), "acme", "owner")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    try:
        await store.import_audit_events(
            [
                AuditEventSpec(
                    ts=start + timedelta(seconds=i),
                    actor="script",
                    action="x.import",
                    resource_type="repos",
                    source="big.json",
                    details={"i": i},
                )
                for i in range(25_000)
            ]
        )
    finally:
        await store.close()
    backend = RemoteBackend("http://asgi.test", tenant.keys["owner"], transport=transport)
    try:
        seen: list[tuple[int, int]] = []
        report = await backend.verify_audit(progress=lambda d, t: seen.append((d, t)))
        assert report.ok and report.rows > 25_000
        assert len(seen) >= 2 and seen[0][0] == 20_000 and seen[-1][0] == seen[-1][1]
        plain = await backend.verify_audit()
        assert plain.ok and plain.rows == report.rows  # no progress asked: one plain answer
    finally:
        await backend.close()


async def test_read_only_header_and_exports(served: tuple[Path, httpx.ASGITransport]) -> None:
    db, transport = served
    tenant = await make_tenant(str(db), "acme", {})
    owner = RemoteBackend("http://asgi.test", tenant.keys["owner"], transport=transport)
    careful = RemoteBackend(
        "http://asgi.test", tenant.keys["owner"], transport=transport, read_only=True
    )
    try:
        for i in range(3):
            await owner.upsert_project(ProjectSpec(name=f"p{i}"))
        assert (await careful.whoami()).read_only
        with pytest.raises(ReadOnly):
            await careful.upsert_project(ProjectSpec(name="nope"))
        exported = [e.action async for e in owner.export_audit()]
        assert exported.count("projects.create") == 3
        events = [e async for e in owner.export_memory()]
        assert events == []
    finally:
        await owner.close()
        await careful.close()


def announcing(app: Any, path: str, answered: asyncio.Event) -> Any:
    """``app``, setting ``answered`` once it has sent the headers of a response to ``path``.

    httpx's ASGITransport hands a response to the client only once it is complete, so
    over it the client's own readiness signal (``RemoteBackend.events(ready=...)``) cannot
    fire while a stream runs; the same moment is observed here, at the app's side.
    """

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != path:
            await app(scope, receive, send)
            return

        async def tell(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                answered.set()

        await app(scope, receive, tell)

    return asgi


async def test_events_on_a_sqlite_server_are_polled(
    served: tuple[Path, httpx.ASGITransport],
) -> None:
    db, transport = served
    tenant = await make_tenant(str(db), "acme", {})
    answered = asyncio.Event()
    listener = RemoteBackend(
        "http://asgi.test",
        tenant.keys["owner"],
        transport=httpx.ASGITransport(app=announcing(transport.app, "/api/v1/events", answered)),
    )
    writer = RemoteBackend("http://asgi.test", tenant.keys["owner"], transport=transport)
    try:
        got: list[dict[str, object]] = []

        async def listen() -> None:
            async for event in listener.events(max_events=1):
                got.append(event)

        task = asyncio.create_task(listen())
        # the stream's start is fixed before its headers go out: this write comes after
        await asyncio.wait_for(answered.wait(), 5)
        project = await writer.upsert_project(ProjectSpec(name="live"))
        await asyncio.wait_for(task, 5)
        data = got[0]["data"]
        assert got[0]["event"] == "audit" and isinstance(data, dict)
        assert (data["action"], data["resource_id"]) == ("projects.create", project.id)
    finally:
        await listener.close()
        await writer.close()


async def test_a_running_idempotency_key_answers_409_with_retry_after(
    served: tuple[Path, httpx.ASGITransport], tmp_path: Path
) -> None:
    from coditect_server import guards
    from coditect_server.problems import from_error

    db, _transport = served
    await make_tenant(str(db), "acme", {})
    state = ServerState(ServerConfig(db=str(db)))
    await state.start()
    try:
        store = await open_db(str(db), "acme", "owner")
        tenant_id = (await store.get_tenant()).id
        await store.close()
        print_ = guards.fingerprint("PUT", "/api/v1/projects", "", b"{}")
        assert await guards.reserve(state, tenant_id, "owner", "k1", print_) is None
        with pytest.raises(guards.InProgress) as caught:
            await guards.reserve(state, tenant_id, "owner", "k1", print_)
        answer = from_error(caught.value)
        assert (answer.status_code, answer.headers["retry-after"]) == (409, "1")
        await guards.complete(state, tenant_id, "owner", "k1", 200, b'{"ok": 1}')
        replay = await guards.reserve(state, tenant_id, "owner", "k1", print_)
        assert replay == guards.Replay(200, b'{"ok": 1}')
    finally:
        await state.stop()


async def test_authentication_comes_before_validation(
    served: tuple[Path, httpx.ASGITransport],
) -> None:
    """A caller without a valid key learns nothing, not even what a valid request looks
    like: 401 before any 422 (auth is the routes' first dependency, see routes.caller)."""
    db, transport = served
    tenant = await make_tenant(str(db), "acme", {})
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        for headers in ({}, {"Authorization": "Bearer cdt_usr_not-a-key"}):
            bad_query = await client.get("/api/v1/projects?limit=lots", headers=headers)
            bad_body = await client.put(
                "/api/v1/projects", json={"name": 7, "x": []}, headers=headers
            )
            assert (bad_query.status_code, bad_body.status_code) == (401, 401)
        owner = {"Authorization": f"Bearer {tenant.keys['owner']}"}
        bad_query = await client.get("/api/v1/projects?limit=lots", headers=owner)
        bad_body = await client.put("/api/v1/projects", json={"name": 7, "x": []}, headers=owner)
        assert (bad_query.status_code, bad_body.status_code) == (422, 422)


async def test_a_large_memory_batch_is_sent_in_parts_under_the_servers_limit(
    served: tuple[Path, httpx.ASGITransport],
) -> None:
    """Issue [3/8] item 13's follow-up: a batch whose body would pass the server's limit is
    split by the client (each request atomic), never refused, and every entry arrives."""
    from coditect_remote.client import MEMORY_BATCH_BYTES
    from coditect_server.routes import BULK_BODY_LIMIT
    from coditect_tui.core.models import MemoryEntrySpec

    assert MEMORY_BATCH_BYTES < BULK_BODY_LIMIT
    db, transport = served
    tenant = await make_tenant(str(db), "acme", {})
    sent: list[int] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/memory/batch"):
            sent.append(len(request.content))

    backend = RemoteBackend("http://asgi.test", tenant.keys["owner"], transport=transport)
    backend.memory_batch_bytes = 300_000
    backend._client.event_hooks["request"].append(count)
    try:
        specs = [
            MemoryEntrySpec(
                path=f"MEMORY-CONTEXT/notes/{i:02}.md",
                kind="note",
                title=f"n{i}",
                body="x" * 100_000,
            )
            for i in range(20)
        ]
        stored = await backend.upsert_memory_entries(specs)
        assert [e.path for e in stored] == [s.path for s in specs]
        assert len(sent) >= 7 and max(sent) <= 300_000
        listed = (await backend.list_memory_entries(limit=100)).items
        assert len(listed) == 20
    finally:
        await backend.close()
