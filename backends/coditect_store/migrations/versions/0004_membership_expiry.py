"""Time-limited grants: a membership may end (``members.expires_at``).

SQLite and PostgreSQL: a nullable ``expires_at`` column (canonical UTC text, like every
timestamp of the store) on ``members``; existing memberships keep no end. PostgreSQL: the
SECURITY DEFINER key lookup ``coditect_api_key`` also returns the membership's end, so a
key of an expired membership stops working (its return type changes: it is dropped and
created again, owned by the lookup role and executable by the app role only, as 0002 left
it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # canonical UTC text; on PostgreSQL with the "C" collation, like 0001's timestamps
    ts = sa.String(32).with_variant(sa.String(32, collation="C"), "postgresql")
    op.add_column("members", sa.Column("expires_at", ts, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0004(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
