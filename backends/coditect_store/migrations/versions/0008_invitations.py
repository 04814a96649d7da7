"""Invitations: one-time tokens that make their holder a member (``invitations``).

Only the token's sha256 is stored (``token_hash``, unique). PostgreSQL: row-level
security like every tenant table (FORCE, ``tenant_isolation``), the app role may read and
change it, and the unauthenticated ``POST /api/v1/join`` finds a token's tenant through
the SECURITY DEFINER function ``coditect_invitation`` owned by the lookup role.

Revision ID: 0008
Revises: 0006 (the merger chains it after 0007)
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _s(length: int) -> sa.types.TypeEngine:
    # on PostgreSQL with the "C" collation, like 0001's text columns
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", _s(36), primary_key=True),
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("name", _s(200), nullable=False),
        sa.Column("role", _s(50), nullable=False),
        sa.Column("expires_at", _s(32)),
        sa.Column("valid_until", _s(32), nullable=False),
        sa.Column("prefix", _s(40), nullable=False),
        sa.Column("token_hash", _s(64), nullable=False, unique=True),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("created_at", _s(32), nullable=False),
        sa.Column("used_at", _s(32)),
        sa.Column("revoked_at", _s(32)),
    )
    op.create_index("ix_invitations_tenant", "invitations", ["tenant_id", "name"])
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0008(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
