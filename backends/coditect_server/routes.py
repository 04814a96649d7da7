"""The routes of ``/api/v1``: the whole Backend interface, one operation per method.

Every operation authenticates (an API key), spends the tenant's rate
limit, and acts through a store handle bound to the key's principal, role and tenant;
nothing a request carries can name another tenant. Writes honour ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.exc import StatementError
from starlette.responses import Response

from coditect_server import guards
from coditect_server.auth import Identity, Unauthorized
from coditect_server.flagcache import apply_flags
from coditect_server.gate import IDENTITY, JOIN_FAILED, JOIN_PATH
from coditect_server.outbound import Refused
from coditect_server.problems import ERROR_RESPONSES, MEDIA_TYPE, problem_body
from coditect_server.schemas import (
    CURSOR_PATTERN,
    ApiKeyRequest,
    AuditExport,
    AuditQuery,
    Deleted,
    ErasureRequest,
    ExpiryChange,
    FlagChange,
    Imported,
    ImportRequest,
    InvitationSpec,
    JoinRequest,
    MemberSpec,
    MemoryBody,
    MemoryExport,
    MemoryQuery,
    MemorySearch,
    PruneRequest,
    Recorded,
    RecordEvent,
    RoleChange,
    StateChange,
    TenantExport,
    TenantSpec,
    VerifyLine,
    VerifyRequest,
)
from coditect_server.state import ServerState
from coditect_store.invitations import find_invitation
from coditect_store.secrets_key import SecretsKeyError
from coditect_store.store import SqlStore
from coditect_tui.core import limits
from coditect_tui.core.backend import TenantRecord
from coditect_tui.core.errors import (
    BackendError,
    BackendUnavailable,
    InvalidInput,
    PermissionDenied,
)
from coditect_tui.core.flags import FeatureFlag
from coditect_tui.core.invitations import INVALID_TOKEN, Invitation, Joined, NewInvitation
from coditect_tui.core.models import (
    Action,
    ApiKeyInfo,
    AuditEvent,
    AuditHead,
    DateTimeText,
    Erasure,
    GitSession,
    GitSessionSpec,
    GitSessionUpdate,
    Member,
    MemoryCount,
    MemoryEntry,
    MemoryEntrySpec,
    MemorySearchResult,
    NewApiKey,
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
    Usage,
    VerifyReport,
)
from coditect_tui.core.webhooks import NewWebhook, WebhookDelivery, WebhookInfo, WebhookSpec

#: Largest request body of a route that does not say otherwise (bytes). A declared
#: Content-Length above a route's limit is refused (413) without reading the body; a
#: chunked body is cut off at the limit (FastAPI's max_body_size).
BODY_LIMIT = 1024 * 1024
#: One memory entry: the indexer's 4 MiB text cap, JSON-escaped, with room to spare.
MEMORY_BODY_LIMIT = 16 * 1024 * 1024
#: Memory batches and audit imports.
BULK_BODY_LIMIT = 64 * 1024 * 1024

log = logging.getLogger("coditect.webhooks")
router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, max_body_size=BODY_LIMIT)
READ_ONLY_HEADER = "X-Coditect-Read-Only"
_TRUE = {"1", "true", "yes", "on"}
NDJSON = "application/x-ndjson"
_ACCESS_PATHS = (
    "/api/v1/members",
    "/api/v1/api-keys",
    "/api/v1/flags",
    "/api/v1/invitations",
    "/api/v1/erasures",
)
#: The security scheme every /api/v1 operation names in the OpenAPI document.
SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key (cdt_usr_… / cdt_aud_…).",
}
_READ_ONLY_DOC = "true: act read-only (every change is refused with 403)"
CursorQuery = Annotated[
    str | None,
    Query(min_length=4, pattern=CURSOR_PATTERN, description="next_cursor of the previous page"),
]


def document_auth(schema: dict[str, Any]) -> None:
    """Add what ``caller`` reads by hand to the OpenAPI ``schema`` of the app: the bearer
    scheme and the read-only header on every /api/v1 operation.

    ``caller`` takes only the request: declared as FastAPI parameters (HTTPBearer and a
    Header) they cost a nested dependency solve on every request, about a tenth of the
    list endpoint's CPU in bench/bench_api.py.
    """
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["ApiKey"] = (
        SECURITY_SCHEME
    )
    header = {
        "name": READ_ONLY_HEADER,
        "in": "header",
        "required": False,
        "description": _READ_ONLY_DOC,
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": _READ_ONLY_DOC,
            "title": READ_ONLY_HEADER,
        },
    }
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(router.prefix + "/"):
            continue
        # a join needs no key (the token in its body is the credential): optional
        security: list[dict[str, list[str]]] = [{"ApiKey": []}]
        if path == JOIN_PATH:
            security = [{}, *security]
        for operation in operations.values():
            operation["security"] = security
            operation.setdefault("parameters", []).append(dict(header))


#: What every string of a request must match: the server refuses NUL characters anywhere
#: (PostgreSQL text cannot hold them).
NO_NUL = "^[^\\x00]*$"
#: Request fields that name a role of the server's policy.
_ROLE_FIELDS = (("MemberSpec", "role"), ("RoleChange", "role"), ("ApiKeyRequest", "role"))


_JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
#: A value of a free-form object (audit details, status summaries): JSON the server can
#: store and hash: no NUL in any text. Integers written without a fraction or exponent
#: must fit in 64 bits (orjson's range); JSON Schema cannot tell 1e30 from its digits.
_JSON_VALUE = {
    "description": "any JSON value; no NUL character in any text; an integer written "
    "with digits only must fit in 64 bits (else 422)",
    "anyOf": [
        {"type": "null"},
        {"type": "boolean"},
        {"type": "string", "pattern": NO_NUL},
        {"type": "number"},
        {"type": "array", "items": _JSON_VALUE_REF},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": _JSON_VALUE_REF,
        },
    ],
}


def _no_nul(node: Any) -> None:
    """Add :data:`NO_NUL` to every free-text string below ``node``; free-form objects hold
    :data:`_JSON_VALUE` values under NUL-free keys."""
    if isinstance(node, list):
        for item in node:
            _no_nul(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and not {"format", "enum", "const", "pattern"} & set(node):
        node["pattern"] = NO_NUL
    if node.get("type") == "object" and node.get("additionalProperties") is True:
        node["additionalProperties"] = dict(_JSON_VALUE_REF)
        node["propertyNames"] = {"pattern": NO_NUL}
        return
    for value in node.values():
        _no_nul(value)


def document_values(schema: dict[str, Any], roles: list[str]) -> None:
    """Add to the OpenAPI ``schema`` the value rules the server checks beyond pydantic:
    no NUL characters in any string, role names from the server's policy, and a recorded
    event's name starting with its resource; and the schema of the NDJSON verify lines.

    Args:
        schema: the app's OpenAPI document (changed in place).
        roles: the role names of the policy the server enforces.
    """
    _no_nul(schema.get("paths", {}))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # only named by the NDJSON answers of /audit/verify and /tenant/export, so FastAPI
    # did not add them
    for lines_of in (VerifyLine, TenantRecord):
        line = lines_of.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="serialization"
        )
        for name, sub in line.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components.setdefault(lines_of.__name__, line)
    _no_nul(components)
    components["JsonValue"] = _JSON_VALUE
    record = components.get("RecordEvent")
    if record is not None:  # the event's name starts with its resource (the store checks)
        record["oneOf"] = [
            {"properties": {"resource": {"const": r.value}, "name": {"pattern": f"^{r.value}\\."}}}
            for r in Resource
        ]
    for model, field_name in _ROLE_FIELDS:
        prop = components.get(model, {}).get("properties", {}).get(field_name)
        if prop is None:
            continue
        for option in prop.get("anyOf", [prop]):
            if option.get("type") == "string":
                option.pop("pattern", None)
                option["enum"] = sorted(roles)


@dataclass
class Caller:
    """An authenticated request: who, and the store handle acting as them."""

    identity: Identity
    store: SqlStore
    state: ServerState


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.coditect
    return state


async def caller(request: Request) -> Caller:
    """Take the gate's identity (gate.py authenticated the request before anything read
    its body), spend one request of the tenant's rate limit, bind a store handle.

    Raises:
        Unauthorized: the request did not pass the gate (401).
        RateLimited: the tenant's tier budget is spent (429).
        PermissionDenied: the tenant's tier lacks ``remote_api`` (403, audited).
        InvalidInput: NUL characters anywhere in the request (422).
    """
    scope = request.scope
    identity: Identity | None = scope.get("state", {}).get(IDENTITY)
    if identity is None:
        raise Unauthorized("not authenticated")
    if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
        raise InvalidInput("NUL characters are not accepted")
    state = _state(request)
    await guards.check_rate(state, identity.tenant)
    if request.method in ("POST", "PUT", "PATCH") and b"\\u0000" in await request.body():
        raise InvalidInput("NUL characters are not accepted")
    store = SqlStore.bind(
        state.db,
        tenant=identity.tenant,
        principal=identity.principal,
        role=identity.role,
        read_only=(request.headers.get(READ_ONLY_HEADER) or "").strip().lower() in _TRUE,
        policy=state.policy,
        location=state.location,
        grant_expires_at=identity.grant_expires_at,
        clock=state.now,
        platform_admin=f"{identity.tenant.name}/{identity.principal}"
        in state.config.platform_admins,
    )
    await apply_flags(state, store)
    await guards.check_remote_api(store, request.method, scope["path"])
    return Caller(identity, store, state)


def _json(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    if isinstance(value, list):
        return b"[" + b",".join(_json(v) for v in value) + b"]"
    return orjson.dumps(value)


def ok(value: Any, status: int = 200) -> Response:
    """A JSON response of a model (or list of models), serialised once by pydantic-core."""
    return Response(_json(value), status_code=status, media_type="application/json")


async def run(work: Awaitable[Any]) -> Any:
    """Await a store call; malformed values that slipped past validation become 422."""
    try:
        return await work
    except BackendError:
        raise
    except (ValueError, OverflowError, StatementError, orjson.JSONEncodeError) as exc:
        raise InvalidInput(f"invalid value: {str(exc).splitlines()[0][:200]}") from None


async def write(
    c: Caller,
    request: Request,
    work: Callable[[], Awaitable[Any]],
    *,
    status: int = 200,
    replay_as: Callable[[Any], tuple[int, bytes]] | None = None,
) -> Response:
    """Run a change at most once per ``Idempotency-Key`` (replaying the stored response).

    Args:
        c: the caller.
        request: the request (its key, method, path and body).
        work: the change.
        status: the status of a success.
        replay_as: what a replay answers instead of the response (status and body; a
            status >= 400 is sent as problem+json), for a response that must not be kept:
            only this is stored.

    Returns:
        The response, or the stored answer of the earlier request with the same key.
    """
    key = request.headers.get("idempotency-key")
    ident = c.identity
    if key is not None:
        print_ = guards.fingerprint(
            request.method, request.url.path, request.url.query, await request.body()
        )
        replay = await guards.reserve(c.state, ident.tenant.id, ident.principal, key, print_)
        if replay is not None:
            kind = MEDIA_TYPE if replay.status >= 400 else "application/json"
            return Response(
                replay.body or None,
                status_code=replay.status,
                media_type=kind if replay.body else None,
                headers={"Idempotent-Replayed": "true"},
            )
    try:
        result = await run(work())
    except BackendError:
        if key is not None:  # nothing was written: the same request may run again
            await guards.release(c.state, ident.tenant.id, ident.principal, key)
        raise
    if request.url.path.startswith(_ACCESS_PATHS):  # this replica at once; others by NOTIFY
        c.state.invalidate_tenant(ident.tenant.id)
    body = b"" if status == 204 else _json(result)
    if key is not None:
        kept = (status, body) if replay_as is None else replay_as(result)
        await guards.complete(c.state, ident.tenant.id, ident.principal, key, *kept)
    if status == 204:
        return Response(status_code=204)
    return Response(body, status_code=status, media_type="application/json")


async def _ndjson(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    if first is not None:
        yield _json(first) + b"\n"
    async for item in rest:
        yield _json(item) + b"\n"


async def stream_items(iterator: AsyncIterator[Any]) -> StreamingResponse:
    """Stream ``iterator`` as NDJSON, after its first step ran (so a refusal is a 403 and
    the export is audited before any byte is sent)."""
    try:
        first = await run(iterator.__anext__())
    except StopAsyncIteration:
        first = None
    return StreamingResponse(_ndjson(first, iterator), media_type=NDJSON)


def _ndjson_doc(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"one {model.__name__} per line",
            "content": {NDJSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        }
    }


Auth = Depends(caller)

# -- tenants and principals ----------------------------------------------------------------


@router.get("/whoami", response_model=Principal, operation_id="whoami")
async def whoami(c: Caller = Auth) -> Response:
    """Who this key acts as (principal, role, tenant, read-only)."""
    return ok(await run(c.store.whoami()))


@router.get("/tenant", response_model=Tenant, operation_id="get_tenant")
async def get_tenant(c: Caller = Auth) -> Response:
    """The key's tenant."""
    return ok(await run(c.store.get_tenant()))


@router.get("/tenants", response_model=list[Tenant], operation_id="list_tenants")
async def list_tenants(c: Caller = Auth) -> Response:
    """The key's tenant, as a list: a key's principal is a member of that tenant only.

    Member names are per tenant; the same name in another tenant is another principal,
    so nothing of other tenants is ever listed (the store's own ``list_tenants`` matches
    by name, which is right only for a local profile)."""
    return ok(await run(c.store.list_key_tenants()))


@router.post("/tenants", response_model=Tenant, status_code=201, operation_id="create_tenant")
async def create_tenant(spec: TenantSpec, request: Request, c: Caller = Auth) -> Response:
    """Create a tenant in a tier with its first owner (platform administrators only;
    audited in the new tenant; a refusal is audited in the caller's)."""
    return await write(
        c,
        request,
        lambda: c.store.create_tenant(
            spec.name, tier=spec.tier, owner=spec.owner, display_name=spec.display_name
        ),
        status=201,
    )


@router.put("/tenants/{name}/state", response_model=Tenant, operation_id="set_tenant_state")
async def set_tenant_state(
    name: str, change: StateChange, request: Request, c: Caller = Auth
) -> Response:
    """Suspend, resume, offboard or archive another tenant (platform administrators
    only; audited in that tenant). Its next request meets the new state."""

    async def work() -> Tenant:
        tenant = await c.store.set_tenant_state(name, change.state)
        c.state.invalidate_tenant(tenant.id)  # this replica at once; others by NOTIFY
        return tenant

    return await write(c, request, work)


# -- members and keys --------------------------------------------------------------------


@router.get("/members", response_model=list[Member], operation_id="list_members")
async def list_members(c: Caller = Auth) -> Response:
    """Members of the tenant, by name."""
    return ok(await run(c.store.list_members()))


@router.post("/members", response_model=Member, status_code=201, operation_id="add_member")
async def add_member(spec: MemberSpec, request: Request, c: Caller = Auth) -> Response:
    """Add a principal to the tenant."""
    return await write(
        c,
        request,
        lambda: c.store.add_member(spec.name, spec.role, expires_at=spec.expires_at),
        status=201,
    )


@router.put("/members/{name:path}", response_model=Member, operation_id="set_member_role")
async def set_member_role(
    name: str, change: RoleChange, request: Request, c: Caller = Auth
) -> Response:
    """Change a member's role."""
    return await write(c, request, lambda: c.store.set_member_role(name, change.role))


@router.patch("/members/{name:path}", response_model=Member, operation_id="set_member_expiry")
async def set_member_expiry(
    name: str, change: ExpiryChange, request: Request, c: Caller = Auth
) -> Response:
    """Extend or shorten a member's grant (owners and admins; audited)."""
    return await write(c, request, lambda: c.store.set_member_expiry(name, change.expires_at))


@router.delete("/members/{name:path}", status_code=204, operation_id="remove_member")
async def remove_member(name: str, request: Request, c: Caller = Auth) -> Response:
    """Remove a member and revoke their keys in this tenant."""
    return await write(c, request, lambda: c.store.remove_member(name), status=204)


@router.post("/erasures", response_model=Erasure, operation_id="erase_principal")
async def erase_principal(change: ErasureRequest, request: Request, c: Caller = Auth) -> Response:
    """Erase a person's personal data; the audit chain still verifies (owners and admins;
    audited as ``members.erase``, naming only the pseudonymous id). The name travels in
    the body, so no access log or proxy keeps it."""
    return await write(
        c,
        request,
        lambda: c.store.erase_principal(change.name, keep_chained=change.keep_chained),
    )


# -- usage -----------------------------------------------------------------------------------


@router.get("/usage", response_model=Usage, operation_id="usage")
async def usage(c: Caller = Auth) -> Response:
    """What the tenant holds against its tier's quotas (owners and admins), with the API
    calls of the last seven UTC days (this process's unflushed ones added)."""
    return ok(await c.state.api_calls.usage(lambda: run(c.store.usage()), c.identity.tenant.id))


# -- invitations -----------------------------------------------------------------------------


def _token_shown_once(new: NewInvitation) -> tuple[int, bytes]:
    """The replay of an invitation: 409 naming it, never its token (not kept)."""
    detail = (
        f"invitation {new.info.id} was created by the first request with this "
        f"Idempotency-Key; its token was shown once and is not kept: revoke it "
        f"(DELETE /api/v1/invitations/{new.info.id}) and invite again"
    )
    return 409, problem_body(409, "conflict", detail)


@router.post(
    "/invitations",
    response_model=NewInvitation,
    status_code=201,
    operation_id="create_invitation",
)
async def create_invitation(spec: InvitationSpec, request: Request, c: Caller = Auth) -> Response:
    """Invite a principal (owners and admins, never above their own role; audited). The
    token is in this response only."""
    return await write(
        c,
        request,
        lambda: c.store.create_invitation(
            spec.name,
            spec.role,
            expires_at=spec.expires_at,
            valid_for=timedelta(days=spec.valid_days),
        ),
        status=201,
        replay_as=_token_shown_once,
    )


@router.get("/invitations", response_model=list[Invitation], operation_id="list_invitations")
async def list_invitations(c: Caller = Auth) -> Response:
    """Pending invitations, newest first (those who may invite)."""
    return ok(await run(c.store.list_invitations()))


@router.delete("/invitations/{invitation_id}", status_code=204, operation_id="revoke_invitation")
async def revoke_invitation(invitation_id: str, request: Request, c: Caller = Auth) -> Response:
    """Revoke a pending invitation (audited)."""
    return await write(c, request, lambda: c.store.revoke_invitation(invitation_id), status=204)


@router.post(
    "/join",
    response_model=Joined,
    status_code=201,
    operation_id="accept_invitation",
    max_body_size=4096,
)
async def accept_invitation(body: JoinRequest, request: Request) -> Response:
    """Accept an invitation: no API key, the token is the credential. Answers the tenant,
    the membership and its first API key (shown once). An unknown, used, revoked or
    expired token gets one answer (403) and spends an attempt of the failed-authentication
    limit of the address."""
    state = _state(request)
    if request.scope.get("state", {}).get(IDENTITY) is not None:
        # a caller with a key (the gate authenticated it): a read-only one is refused,
        # and audited, as itself; any other joins like a caller without a key
        c = await caller(request)
        if c.store.read_only:
            return ok(await run(c.store.accept_invitation(body.token)), 201)
    failed: Callable[[], None] = request.scope.get("state", {}).get(JOIN_FAILED, lambda: None)
    found = await find_invitation(state.db, body.token)
    if found is None:
        failed()
        raise PermissionDenied(INVALID_TOKEN)
    tenant, name, role = found
    store = SqlStore.bind(
        state.db,
        tenant=tenant,
        principal=name,
        role=role,
        policy=state.policy,
        location=state.location,
        clock=state.now,
    )
    try:
        joined = await run(store.accept_invitation(body.token))
    except PermissionDenied:
        failed()
        raise
    state.invalidate_tenant(tenant.id)
    return ok(joined, 201)


# -- feature flags ---------------------------------------------------------------------------


@router.get("/flags", response_model=list[FeatureFlag], operation_id="list_flags")
async def list_flags(c: Caller = Auth) -> Response:
    """The tenant's stored feature flag overrides (members.read)."""
    return ok(await run(c.store.list_flags()))


@router.put("/flags/{feature}", response_model=FeatureFlag, operation_id="set_flag")
async def set_flag(
    feature: str, change: FlagChange, request: Request, c: Caller = Auth
) -> Response:
    """Switch a tier feature on or off for the tenant or one member (owners and admins;
    audited; within the tier and the server's flags.yaml). The next request sees it."""
    return await write(
        c,
        request,
        lambda: c.store.set_flag(feature, change.enabled, stakeholder=change.stakeholder),
    )


@router.delete("/flags/{feature}", status_code=204, operation_id="clear_flag")
async def clear_flag(
    feature: str,
    request: Request,
    stakeholder: Annotated[
        str | None,
        Query(min_length=1, max_length=limits.NAME, description="a member; omit for the tenant"),
    ] = None,
    c: Caller = Auth,
) -> Response:
    """Remove a stored override (owners and admins; audited)."""
    return await write(
        c, request, lambda: c.store.clear_flag(feature, stakeholder=stakeholder), status=204
    )


def _secret_shown_once(new: NewApiKey) -> tuple[int, bytes]:
    """The replay of a key creation: 409 naming the key, never its secret (not kept)."""
    key_id = new.info.id
    detail = (
        f"API key {key_id} was created by the first request with this Idempotency-Key; "
        f"its secret was shown once and is not kept: revoke it "
        f"(POST /api/v1/api-keys/{key_id}/revoke) and create another"
    )
    return 409, problem_body(409, "conflict", detail)


@router.post("/api-keys", response_model=NewApiKey, status_code=201, operation_id="create_api_key")
async def create_api_key(spec: ApiKeyRequest, request: Request, c: Caller = Auth) -> Response:
    """Create a key (its secret is in this response only: a replay of the same
    Idempotency-Key answers 409 naming the key)."""
    return await write(
        c,
        request,
        lambda: c.store.create_api_key(
            principal=spec.principal, role=spec.role, expires_at=spec.expires_at
        ),
        status=201,
        replay_as=_secret_shown_once,
    )


@router.get("/api-keys", response_model=list[ApiKeyInfo], operation_id="list_api_keys")
async def list_api_keys(c: Caller = Auth) -> Response:
    """Keys of the tenant (own keys only with an own scope), newest first."""
    return ok(await run(c.store.list_api_keys()))


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyInfo, operation_id="revoke_api_key")
async def revoke_api_key(key_id: str, request: Request, c: Caller = Auth) -> Response:
    """Revoke a key."""
    return await write(c, request, lambda: c.store.revoke_api_key(key_id))


# -- projects and repos ------------------------------------------------------------------


@router.get("/projects", response_model=Page[Project], operation_id="list_projects")
async def list_projects(cursor: CursorQuery = None, limit: int = 100, c: Caller = Auth) -> Response:
    """Projects by name (keyset pages: pass next_cursor back)."""
    return ok(await run(c.store.list_projects(cursor=cursor, limit=limit)))


@router.put("/projects", response_model=Project, operation_id="upsert_project")
async def upsert_project(spec: ProjectSpec, request: Request, c: Caller = Auth) -> Response:
    """Register a project, or update the one with the same name."""
    return await write(c, request, lambda: c.store.upsert_project(spec))


@router.get("/projects/{project_id}", response_model=Project, operation_id="get_project")
async def get_project(project_id: str, c: Caller = Auth) -> Response:
    """One project."""
    return ok(await run(c.store.get_project(project_id)))


@router.delete("/projects/{project_id}", status_code=204, operation_id="delete_project")
async def delete_project(project_id: str, request: Request, c: Caller = Auth) -> Response:
    """Delete a project with its repos and sessions."""
    return await write(c, request, lambda: c.store.delete_project(project_id), status=204)


@router.get("/repos", response_model=Page[Repo], operation_id="list_repos")
async def list_repos(
    project_id: str | None = None, cursor: CursorQuery = None, limit: int = 100, c: Caller = Auth
) -> Response:
    """Repos by (project, path), optionally of one project."""
    return ok(await run(c.store.list_repos(project_id=project_id, cursor=cursor, limit=limit)))


@router.put("/repos", response_model=Repo, operation_id="upsert_repo")
async def upsert_repo(spec: RepoSpec, request: Request, c: Caller = Auth) -> Response:
    """Register a repo, or update the one with the same (project, path)."""
    return await write(c, request, lambda: c.store.upsert_repo(spec))


@router.get("/repos/{repo_id}", response_model=Repo, operation_id="get_repo")
async def get_repo(repo_id: str, c: Caller = Auth) -> Response:
    """One repo."""
    return ok(await run(c.store.get_repo(repo_id)))


@router.delete("/repos/{repo_id}", status_code=204, operation_id="delete_repo")
async def delete_repo(repo_id: str, request: Request, c: Caller = Auth) -> Response:
    """Delete a repo, its submodules and sessions."""
    return await write(c, request, lambda: c.store.delete_repo(repo_id), status=204)


# -- git sessions ----------------------------------------------------------------------


@router.post("/sessions", response_model=GitSession, status_code=201, operation_id="create_session")
async def create_session(spec: GitSessionSpec, request: Request, c: Caller = Auth) -> Response:
    """Record a started git session."""
    return await write(c, request, lambda: c.store.create_session(spec), status=201)


@router.get("/sessions", response_model=Page[GitSession], operation_id="list_sessions")
async def list_sessions(
    project_id: str | None = None,
    repo_id: str | None = None,
    cursor: CursorQuery = None,
    limit: int = 100,
    c: Caller = Auth,
) -> Response:
    """Sessions, newest start first."""
    return ok(
        await run(
            c.store.list_sessions(
                project_id=project_id, repo_id=repo_id, cursor=cursor, limit=limit
            )
        )
    )


@router.get("/sessions/{session_id}", response_model=GitSession, operation_id="get_session")
async def get_session(session_id: str, c: Caller = Auth) -> Response:
    """One session."""
    return ok(await run(c.store.get_session(session_id)))


@router.patch("/sessions/{session_id}", response_model=GitSession, operation_id="update_session")
async def update_session(
    session_id: str, update: GitSessionUpdate, request: Request, c: Caller = Auth
) -> Response:
    """Change a session's counters or end it."""
    return await write(c, request, lambda: c.store.update_session(session_id, update))


@router.delete("/sessions/{session_id}", status_code=204, operation_id="delete_session")
async def delete_session(session_id: str, request: Request, c: Caller = Auth) -> Response:
    """Delete a session record."""
    return await write(c, request, lambda: c.store.delete_session(session_id), status=204)


# -- memory ------------------------------------------------------------------------------


@router.put(
    "/memory",
    response_model=MemoryEntry,
    operation_id="upsert_memory_entry",
    max_body_size=MEMORY_BODY_LIMIT,
)
async def upsert_memory_entry(
    spec: MemoryEntrySpec, request: Request, c: Caller = Auth
) -> Response:
    """Index an entry, or replace the one with the same path."""
    return await write(c, request, lambda: c.store.upsert_memory_entry(spec))


@router.put(
    "/memory/batch",
    response_model=list[MemoryEntry],
    operation_id="upsert_memory_entries",
    max_body_size=BULK_BODY_LIMIT,
)
async def upsert_memory_entries(
    specs: list[MemoryEntrySpec], request: Request, c: Caller = Auth
) -> Response:
    """Index many entries in one transaction (all or nothing)."""
    return await write(c, request, lambda: c.store.upsert_memory_entries(specs))


@router.post("/memory/list", response_model=Page[MemoryEntry], operation_id="list_memory_entries")
async def list_memory_entries(body: MemoryQuery, c: Caller = Auth) -> Response:
    """Entries, newest timestamp first (a read: safe to retry)."""
    return ok(
        await run(c.store.list_memory_entries(body.filter, cursor=body.cursor, limit=body.limit))
    )


@router.post("/memory/count", response_model=MemoryCount, operation_id="count_memory_entries")
async def count_memory_entries(body: MemoryExport, c: Caller = Auth) -> Response:
    """How many entries match the filter (a read: safe to retry)."""
    return ok(await run(c.store.count_memory_entries(body.filter)))


@router.post("/memory/search", response_model=list[SearchHit], operation_id="search_memory")
async def search_memory(body: MemorySearch, c: Caller = Auth) -> Response:
    """Full-text search, best match first (a read: safe to retry)."""
    return ok(await run(c.store.search_memory(body.query, body.filter, limit=body.limit)))


@router.post(
    "/memory/search/result",
    response_model=MemorySearchResult,
    operation_id="search_memory_result",
)
async def search_memory_result(body: MemorySearch, c: Caller = Auth) -> Response:
    """Full-text search with the total number of hits (a read: safe to retry)."""
    return ok(await run(c.store.search_memory_result(body.query, body.filter, limit=body.limit)))


@router.post(
    "/memory/export",
    response_class=StreamingResponse,
    responses=_ndjson_doc(MemoryEntry),
    operation_id="export_memory",
)
async def export_memory(body: MemoryExport, c: Caller = Auth) -> StreamingResponse:
    """Every matching entry, newest first, as NDJSON (the export is audited first)."""
    return await stream_items(c.store.export_memory(body.filter))


@router.get("/memory/{entry_id}", response_model=MemoryEntry, operation_id="get_memory_entry")
async def get_memory_entry(entry_id: str, c: Caller = Auth) -> Response:
    """One entry."""
    return ok(await run(c.store.get_memory_entry(entry_id)))


@router.get("/memory/{entry_id}/body", response_model=MemoryBody, operation_id="get_memory_body")
async def get_memory_body(entry_id: str, c: Caller = Auth) -> Response:
    """The indexed text of an entry."""
    return ok(MemoryBody(body=await run(c.store.get_memory_body(entry_id))))


@router.delete("/memory/{entry_id}", status_code=204, operation_id="delete_memory_entry")
async def delete_memory_entry(entry_id: str, request: Request, c: Caller = Auth) -> Response:
    """Drop an entry from the index."""
    return await write(c, request, lambda: c.store.delete_memory_entry(entry_id), status=204)


# -- status --------------------------------------------------------------------------------


@router.post(
    "/status", response_model=StatusSnapshot, status_code=201, operation_id="record_status"
)
async def record_status(spec: StatusSnapshotSpec, request: Request, c: Caller = Auth) -> Response:
    """Record a status run."""
    return await write(c, request, lambda: c.store.record_status(spec), status=201)


@router.get("/status", response_model=Page[StatusSnapshot], operation_id="list_status")
async def list_status(
    since: DateTimeText | None = None,
    until: DateTimeText | None = None,
    cursor: CursorQuery = None,
    limit: int = 100,
    c: Caller = Auth,
) -> Response:
    """Snapshots, newest first; since inclusive, until exclusive."""
    return ok(await run(c.store.list_status(since=since, until=until, cursor=cursor, limit=limit)))


@router.post("/status/prune", response_model=Deleted, operation_id="prune_status")
async def prune_status(body: PruneRequest, request: Request, c: Caller = Auth) -> Response:
    """Delete snapshots taken before ``before``."""

    async def work() -> Deleted:
        return Deleted(deleted=await c.store.prune_status(body.before))

    return await write(c, request, work)


# -- audit ---------------------------------------------------------------------------------


@router.post("/audit/query", response_model=Page[AuditEvent], operation_id="query_audit")
async def query_audit(body: AuditQuery, c: Caller = Auth) -> Response:
    """A page of audit events, newest (or oldest) first."""
    return ok(
        await run(
            c.store.query_audit(
                body.filter, cursor=body.cursor, limit=body.limit, ascending=body.ascending
            )
        )
    )


@router.post(
    "/audit/export",
    response_class=StreamingResponse,
    responses=_ndjson_doc(AuditEvent),
    operation_id="export_audit",
)
async def export_audit(body: AuditExport, c: Caller = Auth) -> StreamingResponse:
    """Every matching event, oldest first, as NDJSON (the export is audited first)."""
    return await stream_items(c.store.export_audit(body.filter))


@router.post(
    "/tenant/export",
    response_class=StreamingResponse,
    responses=_ndjson_doc(TenantRecord),
    operation_id="export_tenant",
)
async def export_tenant(body: TenantExport, c: Caller = Auth) -> StreamingResponse:
    """Everything of the tenant (or of one person), kind by kind, as NDJSON (the export
    is audited first)."""
    return await stream_items(c.store.export_tenant(body.person))


@router.post(
    "/audit/verify",
    response_model=VerifyReport,
    operation_id="verify_audit",
    responses={
        200: {
            "description": "the report (NDJSON lines with progress)",
            "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/VerifyLine"}}},
        }
    },
)
async def verify_audit(body: VerifyRequest, c: Caller = Auth) -> Response:
    """Re-hash the chain; report the first broken link (with progress lines on request)."""
    if not body.progress:
        return ok(await run(c.store.verify_audit(checkpoint=body.checkpoint)))
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    task = asyncio.create_task(
        c.store.verify_audit(
            checkpoint=body.checkpoint, progress=lambda done, total: queue.put_nowait((done, total))
        )
    )
    first = asyncio.create_task(queue.get())
    await asyncio.wait({task, first}, return_when=asyncio.FIRST_COMPLETED)
    if task.done() and task.exception() is not None:  # refused before any work: a status
        first.cancel()
        await run(task)

    async def lines() -> AsyncIterator[bytes]:
        pending: asyncio.Task[tuple[int, int]] | None = first
        try:
            while True:
                waiting = {task} if pending is None else {task, pending}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if pending is not None and pending.done():
                    yield _json(VerifyLine(progress=pending.result())) + b"\n"
                    pending = asyncio.create_task(queue.get())
                    continue
                if task.done():
                    break
            while not queue.empty():
                yield _json(VerifyLine(progress=queue.get_nowait())) + b"\n"
            try:
                report = await run(task)
            except BackendError as exc:
                yield _json(VerifyLine(error={"code": exc.code, "detail": str(exc)})) + b"\n"
                return
            yield _json(VerifyLine(report=report)) + b"\n"
        finally:
            if pending is not None:
                pending.cancel()
            task.cancel()

    return StreamingResponse(lines(), media_type=NDJSON)


@router.get("/audit/head", response_model=AuditHead, operation_id="audit_head")
async def audit_head(c: Caller = Auth) -> Response:
    """The newest link (for a signed checkpoint); the request is audited first."""
    return ok(await run(c.store.audit_head()))


@router.post("/audit/authorize", status_code=204, operation_id="authorize_event")
async def authorize_event(body: RecordEvent, c: Caller = Auth) -> Response:
    """Whether the event would be allowed (204), before the work it records; a refusal is
    audited as denied. ``outcome`` and ``details`` are ignored."""
    await run(c.store.authorize_event(body.resource, body.action, body.name, body.resource_id))
    return Response(status_code=204)


@router.post("/audit/events", response_model=Recorded, status_code=201, operation_id="record_event")
async def record_event(body: RecordEvent, request: Request, c: Caller = Auth) -> Response:
    """Audit something done outside the backend (e.g. a git push)."""

    async def work() -> Recorded:
        return Recorded(
            seq=await c.store.record_event(
                body.resource,
                body.action,
                body.name,
                body.resource_id,
                outcome=body.outcome,
                details=body.details,
            )
        )

    return await write(c, request, work, status=201)


@router.post(
    "/audit/import",
    response_model=Imported,
    operation_id="import_audit_events",
    max_body_size=BULK_BODY_LIMIT,
)
async def import_audit_events(body: ImportRequest, request: Request, c: Caller = Auth) -> Response:
    """Append events from elsewhere (duplicates skipped)."""

    async def work() -> Imported:
        return Imported(appended=await c.store.import_audit_events(body.events))

    return await write(c, request, work)


# -- live events -----------------------------------------------------------------------------


@router.get(
    "/events",
    response_class=StreamingResponse,
    operation_id="events",
    responses={
        200: {
            "description": "server-sent events: audit and change",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    request: Request,
    c: Caller = Auth,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    max_events: Annotated[
        int | None, Query(ge=1, le=100_000, description="close after this many")
    ] = None,
) -> StreamingResponse:
    """The tenant's live events (SSE): ``audit`` events for roles that read the audit log,
    ``change`` events (resource, action, id) for the resources the role may read."""
    from coditect_server import events as ev

    await c.store.require_active("audit.read", method="events")
    # an auditor's subscription is itself audited
    await c.store.record_read(Resource.AUDIT, "events")
    if last_event_id is not None and last_event_id.strip().isdigit():
        last = int(last_event_id.strip())
    else:
        last = await ev.head_seq(c.store)
    return StreamingResponse(
        ev.stream(
            c.state,
            c.store,
            last,
            max_events=max_events,
            still_allowed=ev.subscriber_check(
                c.state, c.store, c.identity, request.headers.get("authorization")
            ),
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# -- webhooks ----------------------------------------------------------------------------


def _webhook_secret_shown_once(new: NewWebhook) -> tuple[int, bytes]:
    """The replay of a subscription: 409 naming it, never its secret (not kept)."""
    detail = (
        f"webhook {new.info.id} was created by the first request with this Idempotency-Key; "
        f"its secret was shown once: remove it (DELETE /api/v1/webhooks/{new.info.id}) "
        "and add another"
    )
    return 409, problem_body(409, "conflict", detail)


async def _add_webhook(c: Caller, spec: WebhookSpec) -> NewWebhook:
    # Where the URL points is checked only for a caller the store will let subscribe
    # (the store decides and audits a refusal): nobody else gets the server to resolve
    # names for them.
    if not c.store.read_only and c.store.may(Resource.WEBHOOKS, Action.CREATE):
        try:
            await c.state.webhooks.check(spec.url)
        except Refused as exc:
            raise InvalidInput(f"url: {exc}") from None
    try:
        return await c.store.add_webhook(spec)
    except SecretsKeyError as exc:  # the operator's log names the key file, the caller not
        log.error("webhook secrets cannot be sealed: %s", exc)
        raise BackendUnavailable(f"webhook secrets cannot be sealed: {exc.reason}") from None


@router.post("/webhooks", response_model=NewWebhook, status_code=201, operation_id="add_webhook")
async def add_webhook(spec: WebhookSpec, request: Request, c: Caller = Auth) -> Response:
    """Subscribe a URL to the tenant's events (its signing secret is in this response
    only; a replay of the same Idempotency-Key answers 409). The URL's host must resolve
    to public addresses unless the server allows the network (docs/server.md)."""
    return await write(
        c,
        request,
        lambda: _add_webhook(c, spec),
        status=201,
        replay_as=_webhook_secret_shown_once,
    )


@router.get("/webhooks", response_model=list[WebhookInfo], operation_id="list_webhooks")
async def list_webhooks(c: Caller = Auth) -> Response:
    """The tenant's subscriptions, oldest first, without secrets."""
    return ok(await run(c.store.list_webhooks()))


@router.get(
    "/webhooks/deliveries",
    response_model=list[WebhookDelivery],
    operation_id="list_webhook_deliveries",
)
async def list_webhook_deliveries(
    webhook_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    c: Caller = Auth,
) -> Response:
    """The delivery log, newest first (of one subscription with webhook_id)."""
    return ok(await run(c.store.list_webhook_deliveries(webhook_id, limit=limit)))


@router.delete("/webhooks/{webhook_id}", status_code=204, operation_id="remove_webhook")
async def remove_webhook(webhook_id: str, request: Request, c: Caller = Auth) -> Response:
    """Delete a subscription with its queued and logged deliveries."""
    return await write(c, request, lambda: c.store.remove_webhook(webhook_id), status=204)
