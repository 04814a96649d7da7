"""Feature flags: a tenant's stored overrides of tier features (``feature_flags``).

One row per (tenant, feature, stakeholder); ``stakeholder`` is a member's name, or the
empty text for the whole tenant (a primary key column cannot be NULL). PostgreSQL: the
table has row-level security like every tenant table (FORCE, ``tenant_isolation``), and
the app role may read and change it.

Revision ID: 0006
Revises: 0004 (the merger chains it after 0005)
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _s(length: int) -> sa.types.TypeEngine:
    # on PostgreSQL with the "C" collation, like 0001's text columns
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "feature_flags",
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("feature", _s(50), primary_key=True),
        sa.Column("stakeholder", _s(200), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_by", _s(200), nullable=False),
        sa.Column("updated_at", _s(32), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0006(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
