"""Initial schema: tenants, members, keys, projects, repos, sessions, memory, status, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine:
    """Text columns; on PostgreSQL with the "C" collation, so names sort (and keyset
    cursors compare) byte-wise exactly as SQLite's BINARY collation does."""
    base = sa.String(length) if length else sa.Text()
    pg = sa.String(length, collation="C") if length else sa.Text(collation="C")
    return base.with_variant(pg, "postgresql")


TS = _s(32)


def _tenant_fk() -> sa.Column:
    return sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", _s(36), primary_key=True),
        sa.Column("name", _s(100), nullable=False, unique=True),
        sa.Column("display_name", _s(200), nullable=False),
        sa.Column("tier", _s(50), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("name", _s(200), primary_key=True),
        sa.Column("role", _s(50), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_members_name", "members", ["name"])
    op.create_table(
        "api_keys",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column("principal", _s(200), nullable=False),
        sa.Column("role", _s(50), nullable=False),
        sa.Column("prefix", _s(40), nullable=False),
        sa.Column("key_hash", _s(64), nullable=False, unique=True),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_index("ix_api_keys_tenant", "api_keys", ["tenant_id", "created_at"])
    op.create_table(
        "projects",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column("name", _s(200), nullable=False),
        sa.Column("path", _s()),
        sa.Column("kind", _s(20), nullable=False),
        sa.Column("description", _s(), nullable=False),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_projects_tenant_name"),
    )
    op.create_table(
        "repos",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column(
            "project_id", _s(36), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("parent_id", _s(36), sa.ForeignKey("repos.id", ondelete="CASCADE")),
        sa.Column("name", _s(300), nullable=False),
        sa.Column("path", _s(), nullable=False),
        sa.Column("url", _s()),
        sa.Column("category", _s(200)),
        sa.Column("is_submodule", sa.Boolean, nullable=False),
        sa.Column("initialised", sa.Boolean, nullable=False),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "project_id", "path", name="uq_repos_tenant_path"),
    )
    op.create_index("ix_repos_parent", "repos", ["parent_id"])
    op.create_table(
        "git_sessions",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column("repo_id", _s(36), sa.ForeignKey("repos.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "project_id", _s(36), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("session_key", _s(40), nullable=False),
        sa.Column("description", _s(), nullable=False),
        sa.Column("branch", _s(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("last_commit", _s(64)),
        sa.Column("last_push", TS),
        sa.Column("commit_count", sa.Integer, nullable=False),
        sa.Column("push_count", sa.Integer, nullable=False),
        sa.Column("state", _s(10), nullable=False),
        sa.Column("summary", _s(), nullable=False),
        sa.Column("created_by", _s(200), nullable=False),
        sa.UniqueConstraint("tenant_id", "repo_id", "session_key", name="uq_sessions_key"),
    )
    op.create_index("ix_sessions_started", "git_sessions", ["tenant_id", "started_at", "id"])
    op.create_table(
        "memory_entries",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column("project_id", _s(36), sa.ForeignKey("projects.id", ondelete="SET NULL")),
        sa.Column("path", _s(), nullable=False),
        sa.Column("kind", _s(30), nullable=False),
        sa.Column("title", _s(), nullable=False),
        sa.Column("timestamp_raw", _s(64)),
        sa.Column("timestamp", TS),
        sa.Column("timestamp_note", _s()),
        sa.Column("tags", _s(), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("mtime", sa.Float),
        sa.Column("sha256", _s(64)),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("indexed_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "path", name="uq_memory_tenant_path"),
    )
    op.create_index("ix_memory_ts", "memory_entries", ["tenant_id", "timestamp", "id"])
    op.create_table(
        "status_snapshots",
        sa.Column("id", _s(36), primary_key=True),
        _tenant_fk(),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("source", _s(50), nullable=False),
        sa.Column("summary", _s(), nullable=False),
        sa.Column("repos", _s(), nullable=False),
        sa.Column("created_by", _s(200), nullable=False),
    )
    op.create_index("ix_status_taken", "status_snapshots", ["tenant_id", "taken_at", "id"])
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("actor", _s(200), nullable=False),
        sa.Column("role", _s(50), nullable=False),
        sa.Column("action", _s(100), nullable=False),
        sa.Column("resource_type", _s(50), nullable=False),
        sa.Column("resource_id", _s()),
        sa.Column("outcome", _s(10), nullable=False),
        sa.Column("details", _s(), nullable=False),
        sa.Column("source", _s(), nullable=False),
        sa.Column("import_key", _s(64)),
        sa.Column("prev_hash", _s(64), nullable=False),
        sa.Column("hash", _s(64), nullable=False),
    )
    op.create_index("ix_audit_actor", "audit_events", ["tenant_id", "actor", "seq"])
    op.create_index("ix_audit_action", "audit_events", ["tenant_id", "action", "seq"])
    # The audit pane's common "who did what" filter, newest first, without a scan.
    op.create_index(
        "ix_audit_actor_action", "audit_events", ["tenant_id", "actor", "action", "seq"]
    )
    op.create_index("ix_audit_resource", "audit_events", ["tenant_id", "resource_type", "seq"])
    op.create_index("ix_audit_ts", "audit_events", ["tenant_id", "ts"])
    # Imports are deduplicated by (source, ts) then import_key; ordinary events share the
    # source '' and grow in ts, so this index appends at its end instead of taking random
    # inserts (a unique index on the sha256 import_key did, and cost a third of the speed).
    op.create_index("ix_audit_source", "audit_events", ["tenant_id", "source", "ts"])
    op.create_table(
        "audit_heads",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", _s(64), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_extras()
    elif op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade(op)


def _sqlite_extras() -> None:
    # The audit log is append-only: refuse edits and deletes at the lowest level we own.
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_heads_no_delete BEFORE DELETE ON audit_heads "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
        "WHEN NEW.seq < OLD.seq OR NEW.tenant_id <> OLD.tenant_id "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    # Full-text index of memory bodies; rowid = memory_entries.rowid.
    op.execute(
        "CREATE VIRTUAL TABLE memory_fts USING fts5(title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
