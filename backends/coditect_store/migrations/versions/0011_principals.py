"""Pseudonymous principals: what audit events name people by (``principals``).

One row per (tenant, principal id); the id is random (``p_`` and 12 hex digits), the
name sits only here, and ``coditect members erase`` empties it (``erased_at``). Events
written before this revision keep the names they were hashed with. PostgreSQL: row-level
security like every tenant table (FORCE, ``tenant_isolation``); the app role may read
and change it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _s(length: int) -> sa.types.TypeEngine:
    # on PostgreSQL with the "C" collation, like 0001's text columns
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "principals",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("id", _s(20), primary_key=True),
        sa.Column("name", _s(200)),
        sa.Column("created_at", _s(32), nullable=False),
        sa.Column("erased_at", _s(32)),
    )
    op.create_index("ux_principals_name", "principals", ["tenant_id", "name"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0011(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
