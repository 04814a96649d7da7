"""Per-database roles on PostgreSQL, and an audit head that moves only forward onto an
existing event with its hash (SQLite and PostgreSQL).

Takes a database created by 0001 (every store and deployment of the first release) to
the current schema; a fresh database runs 0001 then this, and ends the same.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: a head names an existing event of its tenant with that event's hash
_NAMES_EVENT = (
    "EXISTS (SELECT 1 FROM audit_events e WHERE e.tenant_id = NEW.tenant_id "
    "AND e.seq = NEW.seq AND e.hash = NEW.hash)"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite()
    elif dialect == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0002(op)


def _sqlite() -> None:
    # 0001's trigger only refused a step back: replace it (as on PostgreSQL).
    op.execute("DROP TRIGGER audit_heads_forward_only")
    op.execute(
        "CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE ON audit_heads "
        f"WHEN NEW.seq <= OLD.seq OR NEW.tenant_id <> OLD.tenant_id OR NOT {_NAMES_EVENT} "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_heads_names_event BEFORE INSERT ON audit_heads "
        f"WHEN NOT {_NAMES_EVENT} "
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    )


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
