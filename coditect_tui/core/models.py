"""Domain models that cross the Backend interface.

They are plain pydantic models: serialisable to JSON (the remote API sends them as they
are), immutable, and never ORM objects. Timestamps are timezone-aware UTC datetimes,
except the audit event's ``ts``, which is the exact canonical text that is hashed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from coditect_tui.core import limits, pseudonyms
from coditect_tui.core.permissions import Action as Action  # re-exported: the contract names
from coditect_tui.core.permissions import Resource as Resource
from coditect_tui.core.permissions import Scope as Scope

T = TypeVar("T")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    """Canonical timestamp text: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (sorts as text)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("timestamps must be timezone-aware")
    if offset:
        moment = moment.astimezone(UTC)
    # isoformat is ~10x faster than strftime, and this runs once per audit event
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def date_time_text(value: Any) -> Any:
    """Accept a datetime, or RFC 3339 text with an offset (``format: date-time``).

    Pydantic alone would also read a number (or text of digits) as Unix time, which the
    API's schema does not allow.

    Args:
        value: what a caller gave.

    Returns:
        ``value``, for pydantic to parse.

    Raises:
        ValueError: anything else.
    """
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time with an offset, e.g. 2026-01-31T08:00:00Z")


#: A datetime field of a request: a datetime, or RFC 3339 text (never a number).
DateTimeText = Annotated[datetime, BeforeValidator(date_time_text)]


def json_number(value: Any) -> Any:
    """Accept a number as JSON types it: not a bool, not text of digits.

    Args:
        value: what a caller gave.

    Returns:
        ``value``, for pydantic to check (an integer field still refuses 1.5).

    Raises:
        ValueError: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    return value


#: Scalars of requests as JSON types them (no bool for a number, no number for a bool).
Int = Annotated[int, BeforeValidator(json_number)]
Float = Annotated[float, BeforeValidator(json_number)]
Bool = StrictBool
# (a constraint goes before the validator, or the JSON schema shows it as "ge", not "minimum")
#: An integer an INTEGER column holds.
Int32 = Annotated[int, Field(ge=limits.INT_MIN, le=limits.INT_MAX), BeforeValidator(json_number)]
#: An audit chain position (an INTEGER column).
Seq = Annotated[int, Field(ge=1, le=limits.INT_MAX), BeforeValidator(json_number)]


class Model(BaseModel):
    """Base for every model: frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(Model, Generic[T]):
    """One page of a keyset-paginated list.

    Attributes:
        items: the rows of this page, in the list's documented order.
        next_cursor: opaque text to pass back for the next page; None on the last page.
    """

    items: list[T]
    next_cursor: str | None = None


#: A tenant's lifecycle state (docs/security.md, "Tenant lifecycle"): ``active``;
#: ``suspended`` (everything refused but the owner's data export; can resume);
#: ``offboarded`` (read-only for everyone); ``archived`` (as suspended, for good).
TenantState = Literal["active", "suspended", "offboarded", "archived"]
TENANT_STATES: tuple[TenantState, ...] = ("active", "suspended", "offboarded", "archived")


class Tenant(Model):
    """A tenant: the unit of isolation. Every stored row belongs to exactly one.

    ``state`` is its lifecycle state (:data:`TenantState`).
    """

    id: str
    name: str
    display_name: str
    tier: str
    created_at: datetime
    state: TenantState = "active"


class Principal(Model):
    """Who is acting: a name, the role they hold in the open tenant, and read-only state.

    ``expires_at`` is when their membership (grant) in the open tenant ends; None for a
    grant without end. ``id`` is the pseudonymous id audit events name them by (schema
    0011; None until the chain first names them).
    """

    name: str
    role: str
    tenant: str
    read_only: bool = False
    expires_at: datetime | None = None
    id: str | None = None


class Member(Model):
    """A principal's membership (and role) in the open tenant; ``expires_at`` is when the
    grant ends (None: it does not)."""

    name: str
    role: str
    created_at: datetime
    expires_at: datetime | None = None


class Erasure(Model):
    """What erasing a principal did (``Backend.erase_principal``; docs/security.md,
    "Erasure").

    Attributes:
        principal_id: the pseudonymous id the audit log keeps naming them by; exports
            show it as ``erased principal #<id>``.
        was_member: a membership was removed.
        keys_revoked: API keys revoked (every key of theirs now names the id).
        invitations_deleted: pending invitations for them deleted.
        rows_rewritten: rows whose author or holder (``created_by``, a key's or an
            invitation's principal, ``updated_by``) now names the id instead.
        sessions_cleared: git sessions of theirs whose description and summary were
            emptied.
        memory_deleted: memory entries they indexed, deleted with their indexed text.
        deliveries_purged: webhook deliveries and stored replies whose payload named them.
        chained_events: audit events whose hashed fields still hold the name (written
            before pseudonymous ids, schema 0011, or naming them in free text): they
            cannot change without breaking ``audit verify``.
        compacted: the SQLite file was rewritten (secure delete, VACUUM, WAL truncated),
            so no freed page, freelist page or WAL frame still holds what was erased;
            False on PostgreSQL (its VACUUM is the operator's) or when another process
            kept the WAL from being truncated.
    """

    principal_id: str
    was_member: bool
    keys_revoked: int
    invitations_deleted: int
    rows_rewritten: int
    sessions_cleared: int
    memory_deleted: int
    deliveries_purged: int
    chained_events: int
    compacted: bool


class ApiKeyInfo(Model):
    """An API key as listed: never the secret, only its recognisable prefix."""

    id: str
    prefix: str
    principal: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class NewApiKey(Model):
    """A freshly created key. ``secret`` is shown once and never stored."""

    info: ApiKeyInfo
    secret: str


#: How many UTC days of API calls ``Usage.api_calls`` holds (today and the days before).
API_CALL_DAYS = 7


class ApiCallsDay(Model):
    """The tenant API's authenticated requests of one UTC day."""

    day: date
    calls: int


class ApiCalls(Model):
    """Authenticated requests to the tenant API, per UTC day, as the server counted them.

    The server counts in memory and adds its counts to the database every few seconds
    (docs/server.md, "API calls per day"): the days are complete up to the last flush of
    every server process, and the answering process adds its own unflushed calls.

    Attributes:
        days: the last :data:`API_CALL_DAYS` UTC days, oldest first, today last (0 for a
            day without calls).
        per_minute_limit: the tier's ``rate_limits.requests_per_minute`` (None: unlimited).
    """

    days: list[ApiCallsDay]
    per_minute_limit: int | None = None


class Usage(Model):
    """What a tenant holds, against its tier's quotas (None: the tier sets no limit).

    ``memory_bytes`` is the size of the indexed memory documents (their files' sizes),
    the tenant's share of the store that grows with use. ``api_calls`` is None where
    there is no API to count (a local store).
    """

    tier: str
    projects: int
    projects_quota: int | None = None
    members: int
    members_quota: int | None = None
    repos: int
    sessions: int
    memory_documents: int
    memory_bytes: int
    audit_events: int
    api_calls: ApiCalls | None = None


ProjectKind = Literal["master", "standalone", "group"]


class ProjectSpec(Model):
    """What a caller gives to register or update a project (keyed by name)."""

    name: str = Field(min_length=1, max_length=limits.NAME)
    path: str | None = None
    kind: ProjectKind = "standalone"
    description: str = ""


class Project(Model):
    """A registered project of the tenant."""

    id: str
    name: str
    path: str | None
    kind: ProjectKind
    description: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class RepoSpec(Model):
    """What a caller gives to register or update a repo (keyed by project and path)."""

    project_id: str
    path: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=limits.REPO_NAME)
    parent_id: str | None = None
    url: str | None = None
    category: str | None = Field(default=None, max_length=limits.CATEGORY)
    is_submodule: Bool = False
    initialised: Bool = True


class Repo(Model):
    """A repo of a project; submodules point to their parent repo."""

    id: str
    project_id: str
    parent_id: str | None
    name: str
    path: str
    url: str | None
    category: str | None
    is_submodule: bool
    initialised: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


SessionState = Literal["active", "ended"]


class GitSessionSpec(Model):
    """A git session record, compatible with ``.coditect-session.json`` fields."""

    repo_id: str
    session_key: str = Field(
        min_length=1,
        max_length=limits.SESSION_KEY,
        description="the helper's session_id, %Y%m%d-%H%M%S",
    )
    description: str
    branch: str
    started_at: DateTimeText


class GitSessionUpdate(Model):
    """Fields a session update may change (None = leave as is)."""

    last_commit: str | None = Field(default=None, max_length=limits.COMMIT)
    last_push: DateTimeText | None = None
    commit_count: Int32 | None = None
    push_count: Int32 | None = None
    ended_at: DateTimeText | None = None
    state: SessionState | None = None
    summary: dict[str, Any] | None = None


class GitSession(Model):
    """A git session record kept in the backend (history the old helper did not keep)."""

    id: str
    repo_id: str
    project_id: str
    session_key: str
    description: str
    branch: str
    started_at: datetime
    ended_at: datetime | None
    last_commit: str | None
    last_push: datetime | None
    commit_count: int
    push_count: int
    state: SessionState
    summary: dict[str, Any]
    created_by: str


MemoryKind = Literal[
    "checkpoint",
    "session",
    "session-template",
    "export-json",
    "jsonl-dump",
    "export-placeholder",
    "transcript",
    "summary",
    "audit-log",
    "setup-log",
    "note",
    "other",
]


class MemoryEntrySpec(Model):
    """A memory entry to index (keyed by its path within the tenant)."""

    path: str = Field(min_length=1)
    kind: MemoryKind
    title: str
    body: str = ""
    project_id: str | None = None
    timestamp_raw: str | None = Field(default=None, max_length=limits.TIMESTAMP_RAW)
    timestamp: DateTimeText | None = None
    timestamp_note: str | None = None
    tags: list[str] = Field(default_factory=list)
    size: Int32 = 0
    mtime: Float | None = None
    sha256: str | None = Field(default=None, max_length=limits.SHA256)


class MemoryEntry(Model):
    """An indexed memory entry (the body stays in the full-text index)."""

    id: str
    path: str
    kind: MemoryKind
    title: str
    project_id: str | None
    timestamp_raw: str | None
    timestamp: datetime | None
    timestamp_note: str | None
    tags: list[str]
    size: int
    mtime: float | None
    sha256: str | None
    created_by: str
    indexed_at: datetime


class MemoryFilter(Model):
    """Filters for listing and searching memory entries; every given field must match.

    ``since`` is inclusive and ``until`` exclusive (on the entry's timestamp);
    ``path_prefix`` and ``id_prefix`` match the start of the path or id literally;
    ``tags`` matches entries carrying any of the tags.
    """

    kinds: list[MemoryKind] | None = None
    project_id: str | None = None
    since: DateTimeText | None = None
    until: DateTimeText | None = None
    path_prefix: str | None = None
    id_prefix: str | None = None
    tags: list[str] | None = None


class SearchHit(Model):
    """A full-text search result: the entry, its rank (lower is better) and a snippet.

    The snippet marks matches with the ASCII control characters STX (\\x02) and ETX
    (\\x03) so a UI can highlight them without interpreting any markup in the text.
    Entries with identical content are one hit: ``duplicate_count`` other files hold
    the same content, ``duplicates`` names up to 20 of them (paths, sorted).
    """

    entry: MemoryEntry
    rank: float
    snippet: str
    duplicate_count: int = 0
    duplicates: list[str] = Field(default_factory=list)


class MemorySearchResult(Model):
    """One page of search hits and how many there are in all.

    Attributes:
        hits: best first (identical content merged, see ``SearchHit``).
        total: how many hits the query has in all (after merging identical content).
        total_exact: False when ``total`` is a lower bound ("at least"), because
            counting was cut short; the stores count exactly today.
    """

    hits: list[SearchHit]
    total: int
    total_exact: bool = True


class MemoryCount(Model):
    """How many memory entries match a filter.

    Attributes:
        total: the number of entries.
        total_exact: False when ``total`` is a lower bound ("at least"), because
            counting was cut short; the stores count exactly today.
    """

    total: int
    total_exact: bool = True


class StatusSnapshotSpec(Model):
    """A status run to record: a summary and one record per repo."""

    source: str = Field(default="status", max_length=limits.STATUS_SOURCE)
    summary: dict[str, Any]
    repos: list[dict[str, Any]] = Field(default_factory=list)


class StatusSnapshot(Model):
    """A recorded status run (the history behind trends)."""

    id: str
    taken_at: datetime
    source: str
    summary: dict[str, Any]
    repos: list[dict[str, Any]]
    created_by: str


Outcome = Literal["ok", "denied", "error"]


class AuditEvent(Model):
    """One link of the tenant's audit hash chain.

    ``hash = sha256(prev_hash || canonical_json(event))`` where the event is every field
    but ``prev_hash`` and ``hash`` (see coditect_tui.core.audit_chain).
    """

    seq: int
    ts: str
    actor: str
    role: str
    action: str
    resource_type: str
    resource_id: str | None
    outcome: Outcome
    details: dict[str, Any]
    source: str
    prev_hash: str
    hash: str
    #: what to show for each pseudonymous principal id the event mentions (schema 0011):
    #: the name, or ``erased principal #<id>``; beside the chain, never hashed
    names: dict[str, str] = Field(default_factory=dict)

    def shown(self, value: str | None) -> str:
        """``value`` (a field of this event) with principal ids replaced by ``names``."""
        return pseudonyms.shown(value or "", self.names)


class AuditFilter(Model):
    """Filters of an audit query or export; every given field must match.

    ``since`` is inclusive and ``until`` exclusive. ``text`` matches as a substring of
    the action, resource id or details. ``min_seq``/``max_seq`` bound the chain position
    (inclusive): seqs are contiguous, so a view can jump to any row of the whole log.
    """

    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: Outcome | None = None
    since: DateTimeText | None = None
    until: DateTimeText | None = None
    text: str | None = None
    min_seq: Seq | None = None
    max_seq: Seq | None = None


class AuditEventSpec(Model):
    """An event brought in from elsewhere (e.g. MEMORY-CONTEXT/audit-logs); source required."""

    ts: DateTimeText
    actor: str = Field(max_length=limits.NAME)
    action: str = Field(max_length=limits.ACTION)
    resource_type: str = Field(max_length=limits.RESOURCE_TYPE)
    resource_id: str | None = None
    outcome: Outcome = "ok"
    details: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(min_length=1)


VerifyReason = Literal["gap", "edit", "reorder", "truncation", "head", "checkpoint_mismatch"]


class VerifyReport(Model):
    """The verdict of an audit chain verification.

    Attributes:
        ok: the chain (and the checkpoint, when given) is intact.
        rows: rows read.
        first_bad_seq: the first seq at which the chain is broken, when not ok.
        reason: why it is broken.
        detail: one line a human can act on.
        checkpoint_seq: seq of the checkpoint checked, when one was given.
    """

    ok: bool
    rows: int
    first_bad_seq: int | None = None
    reason: VerifyReason | None = None
    detail: str = ""
    checkpoint_seq: int | None = None


class AuditHead(Model):
    """The newest link of a tenant's chain: what a signed checkpoint certifies."""

    tenant: str
    seq: int
    hash: str
