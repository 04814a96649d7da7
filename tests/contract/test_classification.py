"""The contract's read/mutating classification is declared at each method's definition,
and it is exactly what the read-only guards of the store, the server and the remote
client refuse."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from coditect_remote.client import RemoteBackend
from coditect_tui.core.backend import (
    MUTATING_METHODS,
    READ_METHODS,
    RESOURCE_INTERFACES,
    Backend,
    BackendBase,
    NotSupported,
    classify,
    kind_of,
    mutates,
    reads,
    unclassified,
)
from coditect_tui.core.errors import BackendError, ReadOnly
from coditect_tui.core.models import (
    Action,
    AuditFilter,
    GitSessionSpec,
    MemoryEntrySpec,
    MemoryFilter,
    ProjectSpec,
    RepoSpec,
    Resource,
    utcnow,
)
from tests.contract.harness import Harness, SqliteHarness
from tests.contract.test_read_only import _calls as mutating_calls


def _abstract(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls)
        if getattr(member, "__isabstractmethod__", False)
    }


def test_every_abstract_method_is_classified_exactly_once() -> None:
    assert unclassified(Backend) == frozenset()
    assert _abstract(Backend) - {"close"} == MUTATING_METHODS | READ_METHODS
    assert not MUTATING_METHODS & READ_METHODS
    for name in MUTATING_METHODS | READ_METHODS:
        kind = kind_of(getattr(Backend, name))
        assert kind == ("mutating" if name in MUTATING_METHODS else "read"), name
    # each method is defined (and classified) in exactly one resource interface
    seen: dict[str, str] = {}
    for interface in RESOURCE_INTERFACES:
        for name in _abstract(interface):
            assert name not in seen, f"{name} in {seen.get(name)} and {interface.__name__}"
            seen[name] = interface.__name__
    assert set(seen) == MUTATING_METHODS | READ_METHODS
    # the sets are derived from the marks, not kept by hand
    assert classify(Backend) == (MUTATING_METHODS, READ_METHODS)


def test_a_method_cannot_be_both() -> None:
    with pytest.raises(TypeError, match="already classified"):

        class Both:
            @mutates
            @reads
            async def method(self) -> None: ...


def test_an_unmarked_method_is_reported() -> None:
    class Extended(Backend):
        async def new_method(self) -> None: ...

        new_method.__isabstractmethod__ = True  # type: ignore[attr-defined]

    Extended.__abstractmethods__ = frozenset(Backend.__abstractmethods__ | {"new_method"})
    assert unclassified(Extended) == {"new_method"}


def _read_calls(ids: dict[str, str]) -> dict[str, Callable[[Backend], Awaitable[Any]]]:
    async def drain(stream: Any) -> list[Any]:
        return [item async for item in stream]

    return {
        "whoami": lambda b: b.whoami(),
        "get_tenant": lambda b: b.get_tenant(),
        "list_tenants": lambda b: b.list_tenants(),
        "list_members": lambda b: b.list_members(),
        "list_flags": lambda b: b.list_flags(),
        "list_invitations": lambda b: b.list_invitations(),
        "list_api_keys": lambda b: b.list_api_keys(),
        "list_projects": lambda b: b.list_projects(),
        "get_project": lambda b: b.get_project(ids["project"]),
        "list_repos": lambda b: b.list_repos(),
        "get_repo": lambda b: b.get_repo(ids["repo"]),
        "get_session": lambda b: b.get_session(ids["session"]),
        "list_sessions": lambda b: b.list_sessions(),
        "get_memory_entry": lambda b: b.get_memory_entry(ids["memory"]),
        "get_memory_body": lambda b: b.get_memory_body(ids["memory"]),
        "list_memory_entries": lambda b: b.list_memory_entries(),
        "count_memory_entries": lambda b: b.count_memory_entries(),
        "search_memory": lambda b: b.search_memory("text"),
        "search_memory_result": lambda b: b.search_memory_result("text"),
        "export_memory": lambda b: drain(b.export_memory(MemoryFilter())),
        "list_status": lambda b: b.list_status(),
        "query_audit": lambda b: b.query_audit(AuditFilter()),
        "export_audit": lambda b: drain(b.export_audit()),
        "export_tenant": lambda b: drain(b.export_tenant()),
        "verify_audit": lambda b: b.verify_audit(),
        "authorize_event": lambda b: b.authorize_event(
            Resource.SESSIONS, Action.READ, "sessions.status"
        ),
        "list_webhooks": lambda b: b.list_webhooks(),
        "list_webhook_deliveries": lambda b: b.list_webhook_deliveries(),
        "usage": lambda b: b.usage(),
    }


@pytest.mark.parametrize("role", ["owner", "auditor"])
async def test_read_only_allows_every_read(harness: Harness, role: str) -> None:
    """What the guards refuse is MUTATING_METHODS and nothing more: no read is refused
    as a write (the role may still deny one, but never with ReadOnly)."""
    owner = await harness.open("acme", "olivia", "owner")
    project = await owner.upsert_project(ProjectSpec(name="p"))
    repo = await owner.upsert_repo(RepoSpec(project_id=project.id, path="/r", name="r"))
    session = await owner.create_session(
        GitSessionSpec(
            repo_id=repo.id, session_key="k", description="d", branch="b", started_at=utcnow()
        )
    )
    memory = await owner.upsert_memory_entry(
        MemoryEntrySpec(path="m.md", kind="note", title="t", body="text")
    )
    ids = {"project": project.id, "repo": repo.id, "session": session.id, "memory": memory.id}
    read_only = await harness.open("acme", "rita", role, read_only=True)
    calls = _read_calls(ids)
    assert set(calls) == READ_METHODS
    outcomes: dict[str, str] = {}
    try:
        for name, call in calls.items():
            try:
                await call(read_only)
                outcomes[name] = "ok"
            except ReadOnly:
                outcomes[name] = "read-only"
            except BackendError as exc:
                outcomes[name] = exc.code
    finally:
        await read_only.close()
        await owner.close()
    assert {n for n, o in outcomes.items() if o == "read-only"} == set()


class _Recorder:
    """A transport that records each request's HTTP method and whether it carries an
    Idempotency-Key (what the remote client sends with a retried change); answers 422."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bool]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, "idempotency-key" in request.headers))
        return httpx.Response(
            422,
            json={"code": "invalid_input", "detail": "recorded"},
            headers={"content-type": "application/problem+json"},
        )


async def test_remote_client_sends_changes_as_changes() -> None:
    """No read goes out as a change; every mutating method is either a keyed change
    (retried at most once on the server) or a GET, which is safe to repeat."""
    ids = {
        k: "x"
        for k in ("project", "repo", "session", "memory", "key", "webhook", "invitation", "token")
    }
    calls = {**mutating_calls(ids), **_read_calls(ids)}
    assert set(calls) == MUTATING_METHODS | READ_METHODS
    recorder = _Recorder()
    client = RemoteBackend(
        "http://recorder.test", "cdt_usr_x", retries=0, transport=httpx.MockTransport(recorder)
    )
    sent: dict[str, tuple[str, bool]] = {}
    try:
        for name, call in calls.items():
            recorder.requests.clear()
            with pytest.raises(BackendError):
                await call(client)
            assert len(recorder.requests) == 1, f"{name}: {recorder.requests}"
            sent[name] = recorder.requests[0]
    finally:
        await client.close()
    keyed = {name for name, (_method, key) in sent.items() if key}
    assert keyed <= MUTATING_METHODS
    assert {n for n in MUTATING_METHODS - keyed if sent[n][0] != "GET"} == set()


# -- optional abilities ---------------------------------------------------------------------


async def test_optional_abilities_have_defaults(tmp_path: Path) -> None:
    store = await SqliteHarness(tmp_path / "s.db").open("acme", "olivia")
    try:
        assert isinstance(store, BackendBase)
        assert store.supports_live_events is False
        assert store.online is True
        assert store.last_error is None
        assert store.on_state is None
        with pytest.raises(NotSupported):
            store.events(ready=asyncio.Event())
        assert issubclass(NotSupported, BackendError)
    finally:
        await store.close()


async def test_remote_abilities_conform() -> None:
    client = RemoteBackend(
        "http://down.test",
        "cdt_usr_x",
        retries=0,
        transport=httpx.MockTransport(lambda _r: (_ for _ in ()).throw(httpx.ConnectError("x"))),
    )
    told: list[bool] = []
    client.on_state = lambda: told.append(client.online)
    try:
        assert client.supports_live_events is True
        assert (client.online, client.last_error) == (True, None)
        with pytest.raises(BackendError):
            await client.whoami()
        await asyncio.sleep(0)
        assert client.online is False
        assert client.last_error and "cannot connect" in client.last_error
        assert told == [False]
    finally:
        await client.close()


async def test_exports_can_be_closed_early(tmp_path: Path) -> None:
    store = await SqliteHarness(tmp_path / "s.db").open("acme", "olivia")
    try:
        for i in range(3):
            await store.record_event(Resource.SESSIONS, Action.UPDATE, "sessions.push", str(i))
        stream = store.export_audit()
        first = await anext(stream)
        await stream.aclose()
        assert first.seq == 1
        # the handle is still usable: the export's transaction was released
        assert (await store.audit_head()).seq >= 4
        events = store.export_memory()
        await events.aclose()
    finally:
        await store.close()
