"""SQLAlchemy Core tables of the store (the migrations in migrations/ create them).

Every table carries ``tenant_id``. Timestamps are stored as canonical UTC text
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``), which sorts correctly and reads the same on every
dialect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from coditect_tui.core import limits as lim
from coditect_tui.core.models import format_ts


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as canonical text."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return format_ts(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return parse_ts(value)


def parse_ts(value: str) -> datetime:
    """Inverse of ``format_ts``."""
    if len(value) == 27 and value[-1] == "Z":  # the canonical form: 30x faster than strptime
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


metadata = MetaData()


def _tenant() -> Column[str]:
    return Column("tenant_id", String(36), ForeignKey("tenants.id"), nullable=False)


tenants = Table(
    "tenants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("tier", String(50), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # the lifecycle state (migration 0007): active | suspended | offboarded | archived
    Column("state", String(20), nullable=False, server_default="active"),
)

members = Table(
    "members",
    metadata,
    Column("tenant_id", String(36), ForeignKey("tenants.id"), primary_key=True),
    Column("name", String(lim.NAME), primary_key=True),
    Column("role", String(lim.ROLE), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),  # the grant's end (migration 0004)
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("principal", String(lim.NAME), nullable=False),
    Column("role", String(lim.ROLE), nullable=False),
    Column("prefix", String(40), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("name", String(lim.NAME), nullable=False),
    Column("path", Text),
    Column("kind", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

repos = Table(
    "repos",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", String(36), ForeignKey("repos.id", ondelete="CASCADE")),
    Column("name", String(lim.REPO_NAME), nullable=False),
    Column("path", Text, nullable=False),
    Column("url", Text),
    Column("category", String(lim.CATEGORY)),
    Column("is_submodule", Boolean, nullable=False),
    Column("initialised", Boolean, nullable=False),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

git_sessions = Table(
    "git_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("repo_id", String(36), ForeignKey("repos.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("session_key", String(lim.SESSION_KEY), nullable=False),
    Column("description", Text, nullable=False),
    Column("branch", Text, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("last_commit", String(lim.COMMIT)),
    Column("last_push", UTCDateTime()),
    Column("commit_count", Integer, nullable=False),
    Column("push_count", Integer, nullable=False),
    Column("state", String(10), nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_by", String(lim.NAME), nullable=False),
)

memory_entries = Table(
    "memory_entries",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="SET NULL")),
    Column("path", Text, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("title", Text, nullable=False),
    Column("timestamp_raw", String(lim.TIMESTAMP_RAW)),
    Column("timestamp", UTCDateTime()),
    Column("timestamp_note", Text),
    Column("tags", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("mtime", Float),
    Column("sha256", String(lim.SHA256)),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("indexed_at", UTCDateTime(), nullable=False),
)

status_snapshots = Table(
    "status_snapshots",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("taken_at", UTCDateTime(), nullable=False),
    Column("source", String(lim.STATUS_SOURCE), nullable=False),
    Column("summary", Text, nullable=False),
    Column("repos", Text, nullable=False),
    Column("created_by", String(lim.NAME), nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("tenant_id", String(36), ForeignKey("tenants.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("ts", String(32), nullable=False),
    Column("actor", String(lim.NAME), nullable=False),
    Column("role", String(lim.ROLE), nullable=False),
    Column("action", String(lim.ACTION), nullable=False),
    Column("resource_type", String(lim.RESOURCE_TYPE), nullable=False),
    Column("resource_id", Text),
    Column("outcome", String(10), nullable=False),
    Column("details", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("import_key", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("tenant_id", String(36), ForeignKey("tenants.id"), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

feature_flags = Table(
    "feature_flags",
    metadata,
    Column("tenant_id", String(36), ForeignKey("tenants.id"), primary_key=True),
    Column("feature", String(50), primary_key=True),
    # a member's name, or "" for the whole tenant (migration 0006)
    Column("stakeholder", String(lim.NAME), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_by", String(lim.NAME), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# one-time invitations (migration 0008): only the token's sha256 is stored
invitations = Table(
    "invitations",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("name", String(lim.NAME), nullable=False),
    Column("role", String(lim.ROLE), nullable=False),
    Column("expires_at", UTCDateTime()),  # the membership's end
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("prefix", String(40), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# pseudonymous principal ids (migration 0011): what audit events name people by; the
# name is kept here only, and is gone (NULL, erased_at set) once the person is erased
principals = Table(
    "principals",
    metadata,
    Column("tenant_id", String(36), ForeignKey("tenants.id"), primary_key=True),
    Column("id", String(20), primary_key=True),
    Column("name", String(lim.NAME)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("erased_at", UTCDateTime()),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    _tenant(),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of patterns
    Column("description", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("created_by", String(lim.NAME), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("failures", Integer, nullable=False),
)

#: The outbox and the delivery log (migration 0005).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(40), primary_key=True),
    _tenant(),
    Column(
        "subscription_id",
        String(36),
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_seq", Integer, nullable=False),
    Column("event", String(lim.ACTION), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("delivered_at", UTCDateTime()),
)

#: Tables whose rows a read-only handle may still write: its own access records (and
#: the webhook deliveries queued with them, in the same transaction, and the pseudonymous
#: id of a principal the chain names for the first time).
AUDIT_TABLES = frozenset({"audit_events", "audit_heads", "webhook_deliveries", "principals"})

# -- tables of the tenant API server ---------------------------------------------------
# On PostgreSQL, migration 0001 creates them (with row-level security like every tenant
# table); a server on a SQLite file creates them on start (coditect_server.db), so a local
# store's schema stays exactly what the local app creates.

server_metadata = MetaData()

api_idempotency = Table(
    "api_idempotency",
    server_metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("principal", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(10), nullable=False),
    Column("status", Integer),
    Column("body", Text),
    Column("created_at", Float, nullable=False),
)

api_rate_buckets = Table(
    "api_rate_buckets",
    server_metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("allowed", Boolean, nullable=False),
)

# authenticated API requests per tenant and UTC day (coditect_server/api_calls.py adds
# each process's counts; on PostgreSQL migration 0009 creates it)
api_calls = Table(
    "api_calls",
    server_metadata,
    Column("tenant_id", String(36), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("calls", BigInteger, nullable=False),
)

#: PostgreSQL's full-text index of memory bodies (SQLite uses the FTS5 table memory_fts).
memory_fts_pg = Table(
    "memory_fts",
    MetaData(),
    Column("entry_id", String(36), primary_key=True),
    Column("tenant_id", String(36), nullable=False),
    Column("body", Text, nullable=False),
    Column("tsv", Text, nullable=False),
)

#: Tables that carry tenant_id on PostgreSQL (each has RLS ENABLE + FORCE and a policy).
PG_TENANT_TABLES = (
    "members",
    "api_keys",
    "projects",
    "repos",
    "git_sessions",
    "memory_entries",
    "memory_fts",
    "status_snapshots",
    "audit_events",
    "audit_heads",
    "api_idempotency",
    "api_rate_buckets",
    "feature_flags",
    "webhook_subscriptions",
    "webhook_deliveries",
    "invitations",
    "api_calls",
    "principals",
)
