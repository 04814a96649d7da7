"""``RemoteBackend``: the Backend contract over the tenant API, with httpx.

Timeouts: connect / read / write / pool from the profile's ``timeout`` (connect at most
5 s), and an overall deadline per call (``deadline``, default 3x timeout) that also
bounds retries, so a server that drip-feeds bytes cannot hang the app. A stream (exports,
verification progress) must deliver its headers, and then each complete NDJSON line,
within the deadline.

Size: bodies are read as a stream and refused past ``max_response_bytes`` (an answer, or
one line of a stream; default 32 MiB), so a huge answer cannot exhaust memory; an error
answer's body is read up to 64 KiB and its ``detail`` cut to 500 characters. Compression
is not asked for (``Accept-Encoding: identity``), so the cap counts the bytes that are held.

Retries: every request this client sends is idempotent: reads are safe, and every write
carries an ``Idempotency-Key`` (one per call, the same on each attempt; the server runs it
at most once and replays its response). A call is retried, with exponential backoff and
jitter, after a connection failure, a timeout, a dropped connection, 500/502/503/504 and
429 (and a 409 that says, with ``Retry-After``, that the same idempotency key is still
being processed); ``Retry-After`` is honoured when it fits in the deadline, else the typed
error is raised at once. Other 4xx answers are never retried.

Errors: problem+json ``code`` -> the typed error class of coditect_tui.core.errors
(401 -> PermissionDenied); anything unreadable -> BackendUnavailable.

``online`` tells a UI whether the last call reached the server; it turns true again by
itself on the next call that does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from coditect_tui import __version__
from coditect_tui.core.backend import Backend, ProgressCallback, TenantRecord
from coditect_tui.core.batches import cut
from coditect_tui.core.errors import (
    ERRORS_BY_CODE,
    BackendError,
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from coditect_tui.core.flags import FeatureFlag
from coditect_tui.core.invitations import DEFAULT_VALIDITY, Invitation, Joined, NewInvitation
from coditect_tui.core.models import (
    Action,
    ApiKeyInfo,
    AuditEvent,
    AuditEventSpec,
    AuditFilter,
    AuditHead,
    Erasure,
    GitSession,
    GitSessionSpec,
    GitSessionUpdate,
    Member,
    MemoryCount,
    MemoryEntry,
    MemoryEntrySpec,
    MemoryFilter,
    MemorySearchResult,
    NewApiKey,
    Outcome,
    Page,
    Principal,
    Project,
    ProjectSpec,
    Repo,
    RepoSpec,
    Resource,
    SearchHit,
    StatusSnapshot,
    StatusSnapshotSpec,
    Tenant,
    TenantState,
    Usage,
    VerifyReport,
)
from coditect_tui.core.settings import TenantProfile
from coditect_tui.core.webhooks import NewWebhook, WebhookDelivery, WebhookInfo, WebhookSpec

T = TypeVar("T")
#: Default cap on one answer (or one line of a stream), in bytes.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: An error answer's body is read up to this many bytes (the rest is ignored).
_ERROR_BODY_BYTES = 64 * 1024
#: The most a memory batch sends in one request: below the server's limit for
#: ``PUT /memory/batch`` (64 MiB), so a large index is split instead of refused.
MEMORY_BATCH_BYTES = 32 * 1024 * 1024
#: A server's ``detail`` is cut to this many characters.
_DETAIL_CHARS = 500
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_STATUS_ERRORS: dict[int, type[BackendError]] = {
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: RateLimited,
}
_adapters: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def _parts(items: list[Any], budget: int) -> list[list[Any]]:
    """``items`` in order, cut into lists whose JSON stays within ``budget`` bytes (a
    larger item goes alone)."""
    import orjson

    return cut(items, budget, lambda item: len(orjson.dumps(item)) + 1)


class RemoteBackend(Backend):
    """The tenant API, seen through the Backend contract.

    Args:
        url: the server's base URL (``https://host:port``; ``/api/v1`` is added).
        token: an API key (``cdt_usr_…``/``cdt_aud_…``).
        timeout: seconds for connect (at most 5), read, write and pool waits.
        deadline: seconds a whole call may take, retries included (default 3x timeout).
        retries: further attempts after the first.
        read_only: ask the server to refuse every change (it enforces it).
        transport: an httpx transport (tests: ``httpx.ASGITransport(app)``).
        on_close: awaited after the client closes (e.g. to stop an in-process server).
        backoff: the first retry's delay in seconds (doubled per retry, at most 2 s).
        max_response_bytes: the largest answer (or stream line) accepted, in bytes.
    """

    kind = "remote"
    supports_live_events = True

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 10.0,
        deadline: float | None = None,
        retries: int = 3,
        read_only: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        on_close: Callable[[], Any] | None = None,
        backoff: float = 0.2,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self.location = self.url
        self.read_only = read_only
        self.retries = max(0, retries)
        self.deadline = deadline if deadline is not None else timeout * 3
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        #: the most one ``PUT /memory/batch`` request sends (JSON bytes, about)
        self.memory_batch_bytes = MEMORY_BATCH_BYTES
        self._online = True
        self._last_error: str | None = None
        #: Called (soon after, from the event loop) when ``online`` flips.
        self.on_state: Callable[[], None] | None = None
        headers = {
            "Authorization": f"Bearer {token}",
            "User-Agent": f"coditect/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
        if read_only:
            headers["X-Coditect-Read-Only"] = "true"
        self._client = httpx.AsyncClient(
            base_url=self.url + "/api/v1",
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(
                connect=min(timeout, 5.0), read=timeout, write=timeout, pool=timeout
            ),
            follow_redirects=False,
        )
        self._on_close = on_close

    @property
    def online(self) -> bool:
        """Whether the last call reached the server (the header's connection state).

        Returns:
            False after a call could not reach the server (or it answered 5xx), until a
            call reaches it again; then :attr:`on_state` is called.
        """
        return self._online

    @online.setter
    def online(self, value: bool) -> None:
        if value == self._online:
            return
        self._online = value
        if self.on_state is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nobody to tell
                asyncio.get_running_loop().call_soon(self.on_state)

    @property
    def last_error(self) -> str | None:
        """Why the server could not be reached, while offline (None when online).

        Returns:
            A one-line reason, or None.
        """
        return self._last_error

    @last_error.setter
    def last_error(self, value: str | None) -> None:
        self._last_error = value

    # -- plumbing ---------------------------------------------------------------------

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()
        if self._on_close is not None:
            with contextlib.suppress(Exception):
                result = self._on_close()
                if asyncio.iscoroutine(result):
                    await result

    def _offline(self, why: str) -> BackendUnavailable:
        self.online = False
        self.last_error = why
        return BackendUnavailable(f"{self.url}: {why}")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        write: bool = False,
    ) -> httpx.Response:
        """One call with retries inside the deadline; returns a 2xx response."""
        headers = {"Idempotency-Key": uuid.uuid4().hex} if write else None
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.deadline
        attempt = 0
        while True:
            wait: float | None = None
            try:
                async with asyncio.timeout(max(ends - loop.time(), 0.001)):
                    response = await self._request(
                        method, path, json=json, params=params, headers=headers
                    )
            except TimeoutError:
                raise self._offline(f"no complete answer within {self.deadline:g} s") from None
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                error: BackendError = self._offline(_describe(exc))
            else:
                self.online, self.last_error = True, None
                if response.is_success:
                    return response
                error = _error(response)
                # 409 + Retry-After: our own earlier attempt (same Idempotency-Key) is still
                # running on the server; its stored answer is replayed once it finishes
                in_progress = (
                    write and response.status_code == 409 and "retry-after" in response.headers
                )
                if response.status_code not in RETRY_STATUSES and not in_progress:
                    raise error
                if response.status_code >= 500:
                    self.online, self.last_error = False, str(error)
                wait = _retry_after(response)
            attempt += 1
            remaining = ends - loop.time()
            if attempt > self.retries:
                raise error
            delay = (
                wait
                if wait is not None
                else min(self.backoff * 2 ** (attempt - 1), 2.0) * (0.5 + random.random() / 2)
            )
            if delay >= remaining:
                raise error
            await asyncio.sleep(delay)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        """One attempt: the answer, its body read as a stream under the size cap."""
        request = self._client.build_request(
            method, path, json=json, params=params, headers=headers
        )
        response = await self._client.send(request, stream=True)
        try:
            content = await self._read_body(response)
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The body of an open streamed response: at most ``max_response_bytes`` for a 2xx
        answer (else BackendUnavailable), the first 64 KiB of an error answer.

        Raises:
            BackendUnavailable: a 2xx answer larger than the cap.
        """
        if not response.is_success:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= _ERROR_BODY_BYTES:
                    break
            return bytes(body[:_ERROR_BODY_BYTES])
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise self._too_large()
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            parts.append(chunk)
            size += len(chunk)
            if size > self.max_response_bytes:
                raise self._too_large()
        return b"".join(parts)

    async def _error_of(self, response: httpx.Response) -> BackendError:
        """The typed error of an open streamed non-2xx response (its body capped)."""
        content = await self._read_body(response)
        return _error(
            httpx.Response(response.status_code, headers=response.headers, content=content)
        )

    def _too_large(self) -> BackendUnavailable:
        return BackendUnavailable(
            f"{self.url}: the answer is larger than the client's cap of "
            f"{self.max_response_bytes:,} bytes; refused"
        )

    async def _lines(
        self, response: httpx.Response, *, deadline: float | None
    ) -> AsyncIterator[bytes]:
        """The lines of a streamed body, each under the size cap and, with ``deadline``,
        each complete within ``deadline`` seconds of asking for it.

        Raises:
            BackendUnavailable: a line larger than the cap, or not complete in time.
        """
        loop = asyncio.get_running_loop()
        chunks = response.aiter_bytes().__aiter__()
        pending: list[bytes] = []  # the current line's pieces (no copy while it grows)
        size = 0
        ends: float | None = None
        while True:
            if deadline is not None and ends is None:
                ends = loop.time() + deadline
            try:
                if ends is None:
                    chunk = await anext(chunks)
                else:
                    async with asyncio.timeout(max(ends - loop.time(), 0.001)):
                        chunk = await anext(chunks)
            except StopAsyncIteration:
                if pending:
                    yield b"".join(pending)
                return
            except TimeoutError:
                raise self._offline(f"no complete answer within {deadline:g} s") from None
            start = 0
            while (newline := chunk.find(b"\n", start)) >= 0:
                pending.append(chunk[start:newline])
                line = b"".join(pending).rstrip(b"\r")
                pending, size, ends, start = [], 0, None, newline + 1
                yield line
            if start < len(chunk):
                pending.append(chunk[start:])
                size += len(chunk) - start
                if size > self.max_response_bytes:
                    raise self._too_large()

    async def _call(self, kind: Any, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._send(method, path, **kwargs)
        return self._parse(kind, response.content)

    def _parse(self, kind: Any, content: bytes) -> Any:
        try:
            return _adapter(kind).validate_json(content)
        except ValidationError as exc:
            first = exc.errors()[0].get("msg", "invalid") if exc.errors() else "invalid"
            raise BackendUnavailable(
                f"{self.url}: the server sent a malformed response ({first})"
            ) from None

    async def _stream(self, kind: Any, path: str, body: dict[str, Any]) -> AsyncIterator[Any]:
        """NDJSON lines of a streaming export (not retried once items flowed).

        The answer's headers, and then each line, must come within the deadline; each
        line is held to the size cap.
        """
        try:
            async with contextlib.AsyncExitStack() as stack:
                try:
                    async with asyncio.timeout(self.deadline):
                        response = await stack.enter_async_context(
                            self._client.stream("POST", path, json=body)
                        )
                        self.online, self.last_error = True, None
                        if not response.is_success:
                            raise await self._error_of(response)
                except TimeoutError:
                    raise self._offline(f"no complete answer within {self.deadline:g} s") from None
                async for line in self._lines(response, deadline=self.deadline):
                    if line.strip():
                        yield self._parse(kind, line)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise self._offline(_describe(exc)) from None

    # -- tenants and principals ---------------------------------------------------------

    async def whoami(self) -> Principal:
        principal: Principal = await self._call(Principal, "GET", "/whoami")
        return principal

    async def get_tenant(self) -> Tenant:
        tenant: Tenant = await self._call(Tenant, "GET", "/tenant")
        return tenant

    async def list_tenants(self) -> list[Tenant]:
        tenants: list[Tenant] = await self._call(list[Tenant], "GET", "/tenants")
        return tenants

    # -- members and keys -----------------------------------------------------------------

    async def list_members(self) -> list[Member]:
        members: list[Member] = await self._call(list[Member], "GET", "/members")
        return members

    async def add_member(
        self, name: str, role: str, *, expires_at: datetime | None = None
    ) -> Member:
        body = {"name": name, "role": role}
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        member: Member = await self._call(Member, "POST", "/members", json=body, write=True)
        return member

    async def set_member_expiry(self, name: str, expires_at: datetime | None) -> Member:
        body = {"expires_at": expires_at.isoformat() if expires_at else None}
        member: Member = await self._call(
            Member, "PATCH", f"/members/{_seg(name)}", json=body, write=True
        )
        return member

    async def set_member_role(self, name: str, role: str) -> Member:
        member: Member = await self._call(
            Member, "PUT", f"/members/{_seg(name)}", json={"role": role}, write=True
        )
        return member

    async def remove_member(self, name: str) -> None:
        await self._send("DELETE", f"/members/{_seg(name)}", write=True)

    async def erase_principal(self, name: str, *, keep_chained: bool = False) -> Erasure:
        done: Erasure = await self._call(
            Erasure,
            "POST",
            "/erasures",
            json={"name": name, "keep_chained": keep_chained},
            write=True,
        )
        return done

    # -- usage ----------------------------------------------------------------------------

    async def usage(self) -> Usage:
        found: Usage = await self._call(Usage, "GET", "/usage")
        return found

    # -- tenant lifecycle (platform administrators) ----------------------------------------

    async def create_tenant(
        self, name: str, *, tier: str, owner: str, display_name: str | None = None
    ) -> Tenant:
        body = {"name": name, "tier": tier, "owner": owner, "display_name": display_name}
        tenant: Tenant = await self._call(Tenant, "POST", "/tenants", json=body, write=True)
        return tenant

    async def set_tenant_state(self, name: str, state: TenantState) -> Tenant:
        tenant: Tenant = await self._call(
            Tenant, "PUT", f"/tenants/{_seg(name)}/state", json={"state": state}, write=True
        )
        return tenant

    # -- feature flags --------------------------------------------------------------------

    async def list_flags(self) -> list[FeatureFlag]:
        flags: list[FeatureFlag] = await self._call(list[FeatureFlag], "GET", "/flags")
        return flags

    async def set_flag(
        self, feature: str, enabled: bool, *, stakeholder: str | None = None
    ) -> FeatureFlag:
        body = {"enabled": enabled, "stakeholder": stakeholder}
        flag: FeatureFlag = await self._call(
            FeatureFlag, "PUT", f"/flags/{_seg(feature)}", json=body, write=True
        )
        return flag

    async def clear_flag(self, feature: str, *, stakeholder: str | None = None) -> None:
        await self._send(
            "DELETE",
            f"/flags/{_seg(feature)}",
            params={"stakeholder": stakeholder},
            write=True,
        )

    async def create_api_key(
        self,
        *,
        principal: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewApiKey:
        body = {
            "principal": principal,
            "role": role,
            "expires_at": expires_at.isoformat() if expires_at else None,
        }
        key: NewApiKey = await self._call(NewApiKey, "POST", "/api-keys", json=body, write=True)
        return key

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        keys: list[ApiKeyInfo] = await self._call(list[ApiKeyInfo], "GET", "/api-keys")
        return keys

    async def revoke_api_key(self, key_id: str) -> ApiKeyInfo:
        info: ApiKeyInfo = await self._call(
            ApiKeyInfo, "POST", f"/api-keys/{_seg(key_id)}/revoke", write=True
        )
        return info

    # -- invitations ------------------------------------------------------------------------

    async def create_invitation(
        self,
        name: str,
        role: str,
        *,
        expires_at: datetime | None = None,
        valid_for: timedelta = DEFAULT_VALIDITY,
    ) -> NewInvitation:
        body: dict[str, Any] = {
            "name": name,
            "role": role,
            "valid_days": valid_for.total_seconds() / 86400,
        }
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        new: NewInvitation = await self._call(
            NewInvitation, "POST", "/invitations", json=body, write=True
        )
        return new

    async def list_invitations(self) -> list[Invitation]:
        pending: list[Invitation] = await self._call(list[Invitation], "GET", "/invitations")
        return pending

    async def revoke_invitation(self, invitation_id: str) -> None:
        await self._send("DELETE", f"/invitations/{_seg(invitation_id)}", write=True)

    async def accept_invitation(self, token: str) -> Joined:
        # POST /join takes no key: the token is the credential (this handle's key is
        # ignored by the server, unless the handle is read-only: then it is refused)
        joined: Joined = await self._call(
            Joined, "POST", "/join", json={"token": token}, write=True
        )
        return joined

    # -- webhooks ---------------------------------------------------------------------------

    async def add_webhook(self, spec: WebhookSpec) -> NewWebhook:
        hook: NewWebhook = await self._call(
            NewWebhook, "POST", "/webhooks", json=spec.model_dump(mode="json"), write=True
        )
        return hook

    async def list_webhooks(self) -> list[WebhookInfo]:
        hooks: list[WebhookInfo] = await self._call(list[WebhookInfo], "GET", "/webhooks")
        return hooks

    async def remove_webhook(self, webhook_id: str) -> None:
        await self._send("DELETE", f"/webhooks/{_seg(webhook_id)}", write=True)

    async def list_webhook_deliveries(
        self, webhook_id: str | None = None, *, limit: int = 100
    ) -> list[WebhookDelivery]:
        log: list[WebhookDelivery] = await self._call(
            list[WebhookDelivery],
            "GET",
            "/webhooks/deliveries",
            params={"webhook_id": webhook_id, "limit": limit},
        )
        return log

    # -- projects and repos -----------------------------------------------------------------

    async def list_projects(self, *, cursor: str | None = None, limit: int = 100) -> Page[Project]:
        page: Page[Project] = await self._call(
            Page[Project], "GET", "/projects", params={"cursor": cursor, "limit": limit}
        )
        return page

    async def get_project(self, project_id: str) -> Project:
        project: Project = await self._call(Project, "GET", f"/projects/{_seg(project_id)}")
        return project

    async def upsert_project(self, spec: ProjectSpec) -> Project:
        project: Project = await self._call(
            Project, "PUT", "/projects", json=_dump(spec), write=True
        )
        return project

    async def delete_project(self, project_id: str) -> None:
        await self._send("DELETE", f"/projects/{_seg(project_id)}", write=True)

    async def list_repos(
        self, *, project_id: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Repo]:
        page: Page[Repo] = await self._call(
            Page[Repo],
            "GET",
            "/repos",
            params={"project_id": project_id, "cursor": cursor, "limit": limit},
        )
        return page

    async def get_repo(self, repo_id: str) -> Repo:
        repo: Repo = await self._call(Repo, "GET", f"/repos/{_seg(repo_id)}")
        return repo

    async def upsert_repo(self, spec: RepoSpec) -> Repo:
        repo: Repo = await self._call(Repo, "PUT", "/repos", json=_dump(spec), write=True)
        return repo

    async def delete_repo(self, repo_id: str) -> None:
        await self._send("DELETE", f"/repos/{_seg(repo_id)}", write=True)

    # -- sessions ---------------------------------------------------------------------------

    async def create_session(self, spec: GitSessionSpec) -> GitSession:
        session: GitSession = await self._call(
            GitSession, "POST", "/sessions", json=_dump(spec), write=True
        )
        return session

    async def update_session(self, session_id: str, update: GitSessionUpdate) -> GitSession:
        session: GitSession = await self._call(
            GitSession,
            "PATCH",
            f"/sessions/{_seg(session_id)}",
            json=update.model_dump(mode="json", exclude_none=True),
            write=True,
        )
        return session

    async def get_session(self, session_id: str) -> GitSession:
        session: GitSession = await self._call(GitSession, "GET", f"/sessions/{_seg(session_id)}")
        return session

    async def list_sessions(
        self,
        *,
        project_id: str | None = None,
        repo_id: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[GitSession]:
        page: Page[GitSession] = await self._call(
            Page[GitSession],
            "GET",
            "/sessions",
            params={"project_id": project_id, "repo_id": repo_id, "cursor": cursor, "limit": limit},
        )
        return page

    async def delete_session(self, session_id: str) -> None:
        await self._send("DELETE", f"/sessions/{_seg(session_id)}", write=True)

    # -- memory -------------------------------------------------------------------------------

    async def upsert_memory_entry(self, spec: MemoryEntrySpec) -> MemoryEntry:
        entry: MemoryEntry = await self._call(
            MemoryEntry, "PUT", "/memory", json=_dump(spec), write=True
        )
        return entry

    async def upsert_memory_entries(self, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        """Sent in requests of at most ``memory_batch_bytes`` each (one entry per request
        at least), so a batch of large documents is never refused for its size; each
        request is atomic, the whole batch is not (re-indexing repeats what failed)."""
        entries: list[MemoryEntry] = []
        for part in _parts([_dump(s) for s in specs], self.memory_batch_bytes):
            done: list[MemoryEntry] = await self._call(
                list[MemoryEntry], "PUT", "/memory/batch", json=part, write=True
            )
            entries += done
        return entries

    async def get_memory_entry(self, entry_id: str) -> MemoryEntry:
        entry: MemoryEntry = await self._call(MemoryEntry, "GET", f"/memory/{_seg(entry_id)}")
        return entry

    async def get_memory_body(self, entry_id: str) -> str:
        data: dict[str, str] = await self._call(
            dict[str, str], "GET", f"/memory/{_seg(entry_id)}/body"
        )
        return data.get("body", "")

    async def list_memory_entries(
        self, filter: MemoryFilter | None = None, *, cursor: str | None = None, limit: int = 100
    ) -> Page[MemoryEntry]:
        page: Page[MemoryEntry] = await self._call(
            Page[MemoryEntry],
            "POST",
            "/memory/list",
            json={"filter": _dump(filter), "cursor": cursor, "limit": limit},
        )
        return page

    async def count_memory_entries(self, filter: MemoryFilter | None = None) -> MemoryCount:
        count: MemoryCount = await self._call(
            MemoryCount, "POST", "/memory/count", json={"filter": _dump(filter)}
        )
        return count

    async def search_memory(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> list[SearchHit]:
        hits: list[SearchHit] = await self._call(
            list[SearchHit],
            "POST",
            "/memory/search",
            json={"query": query, "filter": _dump(filter), "limit": limit},
        )
        return hits

    async def search_memory_result(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> MemorySearchResult:
        result: MemorySearchResult = await self._call(
            MemorySearchResult,
            "POST",
            "/memory/search/result",
            json={"query": query, "filter": _dump(filter), "limit": limit},
        )
        return result

    async def delete_memory_entry(self, entry_id: str) -> None:
        await self._send("DELETE", f"/memory/{_seg(entry_id)}", write=True)

    async def export_memory(
        self, filter: MemoryFilter | None = None
    ) -> AsyncGenerator[MemoryEntry, None]:
        async for entry in self._stream(MemoryEntry, "/memory/export", {"filter": _dump(filter)}):
            yield entry

    # -- status ---------------------------------------------------------------------------------

    async def record_status(self, spec: StatusSnapshotSpec) -> StatusSnapshot:
        snapshot: StatusSnapshot = await self._call(
            StatusSnapshot, "POST", "/status", json=_dump(spec), write=True
        )
        return snapshot

    async def list_status(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[StatusSnapshot]:
        page: Page[StatusSnapshot] = await self._call(
            Page[StatusSnapshot],
            "GET",
            "/status",
            params={
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return page

    async def prune_status(self, before: datetime) -> int:
        data: dict[str, int] = await self._call(
            dict[str, int], "POST", "/status/prune", json={"before": before.isoformat()}, write=True
        )
        return data["deleted"]

    # -- audit -------------------------------------------------------------------------------------

    async def query_audit(
        self,
        filter: AuditFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = 100,
        ascending: bool = False,
    ) -> Page[AuditEvent]:
        page: Page[AuditEvent] = await self._call(
            Page[AuditEvent],
            "POST",
            "/audit/query",
            json={
                "filter": _dump(filter),
                "cursor": cursor,
                "limit": limit,
                "ascending": ascending,
            },
        )
        return page

    async def export_audit(
        self, filter: AuditFilter | None = None
    ) -> AsyncGenerator[AuditEvent, None]:
        async for event in self._stream(AuditEvent, "/audit/export", {"filter": _dump(filter)}):
            yield event

    async def export_tenant(self, person: str | None = None) -> AsyncGenerator[TenantRecord, None]:
        async for record in self._stream(TenantRecord, "/tenant/export", {"person": person}):
            yield record

    async def verify_audit(
        self, *, checkpoint: tuple[int, str] | None = None, progress: ProgressCallback | None = None
    ) -> VerifyReport:
        body = {"checkpoint": list(checkpoint) if checkpoint else None}
        if progress is None:
            report: VerifyReport = await self._call(
                VerifyReport, "POST", "/audit/verify", json=body
            )
            return report
        # NDJSON: progress lines while the server re-hashes, then the report
        async for line in self._stream(dict[str, Any], "/audit/verify", {**body, "progress": True}):
            if line.get("progress") is not None:
                done, total = line["progress"]
                progress(int(done), int(total))
            elif line.get("report") is not None:
                return self._parse(VerifyReport, orjson_dumps(line["report"]))
            elif line.get("error") is not None:
                error = line["error"]
                cls = ERRORS_BY_CODE.get(str(error.get("code")), BackendUnavailable)
                raise cls(_cut(str(error.get("detail") or "verification failed")))
        raise BackendUnavailable(f"{self.url}: the verification ended without a report")

    async def audit_head(self) -> AuditHead:
        head: AuditHead = await self._call(AuditHead, "GET", "/audit/head")
        return head

    async def authorize_event(
        self, resource: Resource, action: Action, name: str, resource_id: str | None = None
    ) -> None:
        await self._send(
            "POST",
            "/audit/authorize",
            json={
                "resource": resource.value,
                "action": action.value,
                "name": name,
                "resource_id": resource_id,
            },
        )

    async def record_event(
        self,
        resource: Resource,
        action: Action,
        name: str,
        resource_id: str | None,
        *,
        outcome: Outcome = "ok",
        details: dict[str, Any] | None = None,
    ) -> int:
        data: dict[str, int] = await self._call(
            dict[str, int],
            "POST",
            "/audit/events",
            json={
                "resource": resource.value,
                "action": action.value,
                "name": name,
                "resource_id": resource_id,
                "outcome": outcome,
                "details": details,
            },
            write=True,
        )
        return data["seq"]

    async def import_audit_events(self, events: list[AuditEventSpec]) -> int:
        data: dict[str, int] = await self._call(
            dict[str, int],
            "POST",
            "/audit/import",
            json={"events": [_dump(e) for e in events]},
            write=True,
        )
        return data["appended"]

    # -- live events (an optional ability of the Backend contract) --------------------------

    async def events(
        self,
        *,
        last_event_id: int | None = None,
        max_events: int | None = None,
        ready: asyncio.Event | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The tenant's live events (server-sent events), reconnecting with Last-Event-ID.

        The subscription starts on the first iteration (await ``ready`` from another
        task). A stream is established once the server has answered its headers with
        2xx; the server fixes where the stream starts (after ``last_event_id``, or at the
        tenant's newest event) before it answers, so every event committed from then on
        is delivered.

        Args:
            last_event_id: resume after this event (None: start with the next one).
            max_events: stop after this many events (None: never).
            ready: set each time a stream is established; cleared when the connection
                is lost, until the next stream is established. (Over an in-process
                ``httpx.ASGITransport``, which hands a response over only once it is
                complete, it is set only when the stream has ended.)

        Yields:
            ``{"id": seq, "event": "audit"|"change", "data": {...}}`` in seq order.

        Raises:
            BackendError: the server answered the subscription with an error (the typed
                error of its status, e.g. PermissionDenied for 401; not retried). A lost
                or refused connection is retried with backoff instead.
        """
        import orjson

        seen = 0
        delay = 0.5
        while max_events is None or seen < max_events:
            headers = {"Accept": "text/event-stream"}
            if last_event_id is not None:
                headers["Last-Event-ID"] = str(last_event_id)
            params = {"max_events": max_events - seen} if max_events else None
            try:
                async with self._client.stream(
                    "GET",
                    "/events",
                    headers=headers,
                    params=params,
                    timeout=httpx.Timeout(self._client.timeout.connect, read=None),
                ) as response:
                    if not response.is_success:
                        raise await self._error_of(response)
                    self.online, self.last_error, delay = True, None, 0.5
                    if ready is not None:
                        ready.set()
                    frame: dict[str, str] = {}
                    async for raw in self._lines(response, deadline=None):
                        line = raw.decode("utf-8", errors="replace")
                        if line:
                            field, _, value = line.partition(":")
                            frame[field] = value.lstrip(" ")
                            continue
                        if "data" in frame and "id" in frame:
                            last_event_id = int(frame["id"])
                            seen += 1
                            yield {
                                "id": last_event_id,
                                "event": frame.get("event", "message"),
                                "data": orjson.loads(frame["data"]),
                            }
                        frame = {}
                    if max_events is not None and seen >= max_events:
                        return
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                self._offline(_describe(exc))
            if ready is not None:
                ready.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


def orjson_dumps(value: Any) -> bytes:
    """Compact JSON bytes (orjson)."""
    import orjson

    return orjson.dumps(value)


def _seg(value: str) -> str:
    """A path segment, every reserved character escaped."""
    return quote(value, safe="")


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"


def _cut(detail: str) -> str:
    """A server's ``detail``, at most 500 characters (the CLI shows it on one line)."""
    return detail if len(detail) <= _DETAIL_CHARS else detail[: _DETAIL_CHARS - 1] + "…"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error(response: httpx.Response) -> BackendError:
    """The typed error of a non-2xx response (problem+json, or a bare status)."""
    status = response.status_code
    detail, code = "", ""
    try:
        import orjson

        data = orjson.loads(response.content)
        if isinstance(data, dict):
            detail = str(data.get("detail") or data.get("title") or "")
            code = str(data.get("code") or "")
    except ValueError:
        detail = ""
    detail = _cut(detail) or f"HTTP {status}"
    if status == 401:
        return PermissionDenied(f"the server refused the credential: {detail}")
    cls = ERRORS_BY_CODE.get(code) or _STATUS_ERRORS.get(status)
    if cls is RateLimited or status == 429:
        return RateLimited(detail, retry_after=_retry_after(response))
    if cls is None:
        cls = BackendUnavailable if status >= 500 else InvalidInput
    return cls(detail)


async def open_remote(
    profile: TenantProfile,
    *,
    read_only: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RemoteBackend:
    """A remote backend for ``profile`` (``backend: {kind: remote, url, token_…}``).

    Opening does not contact the server (the app starts, and shows offline, when it is
    down); the first call does.

    Raises:
        ConfigError: no usable token (see credentials.load_token).
    """
    from coditect_remote.credentials import load_token
    from coditect_tui.core.settings import RemoteBackendConfig

    config = profile.backend
    assert isinstance(config, RemoteBackendConfig)
    token = load_token(config, tenant=profile.name)
    return RemoteBackend(
        config.url, token, timeout=config.timeout, read_only=read_only, transport=transport
    )
