"""Request and small response bodies of the API (the domain models come from core)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from coditect_tui.core import limits
from coditect_tui.core.models import (
    Action,
    AuditEventSpec,
    AuditFilter,
    Bool,
    Int,
    MemoryFilter,
    Outcome,
    Resource,
    TenantState,
    VerifyReport,
    date_time_text,
)

_Strict = ConfigDict(extra="forbid")
#: An aware datetime given as RFC 3339 text (never a number).
_Moment = Annotated[AwareDatetime, BeforeValidator(date_time_text)]
#: What every cursor looks like: base64url (unpadded) of a JSON list starting with its
#: list's name, ``["`` (coditect_store.cursors). Only a cursor the server gave is valid.
CURSOR_PATTERN = "^WyJ[A-Za-z0-9_-]*$"
_CURSOR_DOC = "next_cursor of the previous page (opaque; absent for the first page)"
Cursor = Annotated[str | None, Field(min_length=4, pattern=CURSOR_PATTERN, description=_CURSOR_DOC)]


class MemberSpec(BaseModel):
    """A principal to add to the tenant."""

    model_config = _Strict
    name: str = Field(min_length=1, max_length=limits.NAME)
    role: str = Field(min_length=1, max_length=limits.ROLE)
    expires_at: _Moment | None = Field(
        default=None, description="when the grant ends (in the future; required for auditors)"
    )


class InvitationSpec(BaseModel):
    """A principal to invite into the tenant."""

    model_config = _Strict
    name: str = Field(min_length=1, max_length=limits.NAME)
    role: str = Field(min_length=1, max_length=limits.ROLE)
    expires_at: _Moment | None = Field(
        default=None,
        description="when the membership ends (required for auditors; not before the "
        "invitation's end)",
    )
    valid_days: float = Field(
        default=7,
        gt=0,
        le=3660,
        description="how long the token may be accepted, in days (at most 90)",
    )


class JoinRequest(BaseModel):
    """An invitation's token (the only credential of ``POST /api/v1/join``)."""

    model_config = _Strict
    token: str = Field(min_length=1, max_length=200)


class ExpiryChange(BaseModel):
    """A member's new grant end (null: no end, refused where the role requires one)."""

    model_config = _Strict
    expires_at: _Moment | None = Field(description="in the future, or null")


class TenantSpec(BaseModel):
    """A tenant to create (a platform administrator's)."""

    model_config = _Strict
    name: str = Field(min_length=1, max_length=100)
    tier: str = Field(min_length=1, max_length=50, description="a tier of tiers.yaml")
    owner: str = Field(min_length=1, max_length=limits.NAME, description="its first owner")
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


class StateChange(BaseModel):
    """A tenant's new lifecycle state (a platform administrator's)."""

    model_config = _Strict
    state: TenantState


class FlagChange(BaseModel):
    """A stored feature flag override (the feature is the path's)."""

    model_config = _Strict
    enabled: StrictBool = Field(
        description="switch the feature on (within the tier and flags.yaml) or off"
    )
    stakeholder: str | None = Field(
        default=None,
        min_length=1,
        max_length=limits.NAME,
        description="a member's name; null for the whole tenant",
    )


class RoleChange(BaseModel):
    """A member's new role."""

    model_config = _Strict
    role: str = Field(min_length=1, max_length=limits.ROLE)


class ErasureRequest(BaseModel):
    """How to erase a person (docs/security.md, "Erasure")."""

    model_config = _Strict
    name: str = Field(min_length=1, max_length=limits.NAME, description="the person")
    keep_chained: StrictBool = Field(
        default=False,
        description="erase even though audit events hold the name inside the hash chain",
    )


class ApiKeyRequest(BaseModel):
    """A key to create (defaults: the caller, the caller's role, no expiry)."""

    model_config = _Strict
    principal: str | None = Field(default=None, min_length=1, max_length=limits.NAME)
    role: str | None = Field(default=None, min_length=1, max_length=limits.ROLE)
    expires_at: _Moment | None = Field(default=None, description="in the future")


class MemoryQuery(BaseModel):
    """A page of memory entries."""

    model_config = _Strict
    filter: MemoryFilter | None = None
    cursor: Cursor = None
    limit: Int = 100


class MemorySearch(BaseModel):
    """A full-text search (syntax: coditect_tui.core.memory.query)."""

    model_config = _Strict
    query: str = Field(
        min_length=1, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$", description="not blank"
    )
    filter: MemoryFilter | None = None
    limit: Int = 50


class MemoryExport(BaseModel):
    """Entries to stream."""

    model_config = _Strict
    filter: MemoryFilter | None = None


class MemoryBody(BaseModel):
    """The indexed text of an entry."""

    body: str


class PruneRequest(BaseModel):
    """Delete status snapshots taken before ``before``."""

    model_config = _Strict
    before: _Moment


class Deleted(BaseModel):
    """How many rows were deleted."""

    deleted: int


class AuditQuery(BaseModel):
    """A page of audit events."""

    model_config = _Strict
    filter: AuditFilter | None = None
    cursor: Cursor = None
    limit: Int = 100
    ascending: Bool = False


class AuditExport(BaseModel):
    """Audit events to stream, oldest first."""

    model_config = _Strict
    filter: AuditFilter | None = None


class TenantExport(BaseModel):
    """A tenant export: everything, or one person's data (subject access)."""

    model_config = _Strict
    person: Annotated[str, Field(min_length=1, max_length=limits.NAME)] | None = None


class VerifyRequest(BaseModel):
    """Verify the chain, optionally against a checkpoint (seq, hash).

    With ``progress``, the answer is NDJSON: ``{"progress": [done, total]}`` lines while
    the chain is re-hashed, then ``{"report": {...}}`` (or ``{"error": {...}}``).
    """

    model_config = _Strict
    checkpoint: tuple[Int, str] | None = None
    progress: Bool = False


class VerifyLine(BaseModel):
    """One line of a verification with progress."""

    progress: tuple[int, int] | None = None
    report: VerifyReport | None = None
    error: dict[str, Any] | None = None


class RecordEvent(BaseModel):
    """Something done outside the backend, to audit."""

    model_config = _Strict
    resource: Resource
    action: Action
    name: str = Field(min_length=1, max_length=limits.ACTION)
    resource_id: str | None = None
    outcome: Outcome = "ok"
    details: dict[str, Any] | None = None


class Recorded(BaseModel):
    """The seq of a recorded event."""

    seq: int


class ImportRequest(BaseModel):
    """Events brought in from elsewhere."""

    model_config = _Strict
    events: list[AuditEventSpec]


class Imported(BaseModel):
    """How many events were appended (duplicates are skipped)."""

    appended: int


class Health(BaseModel):
    """Liveness and the database kind."""

    status: str
    database: str
    version: str
