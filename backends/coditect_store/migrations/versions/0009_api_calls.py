"""API calls per day: ``api_calls`` (tenant, UTC day, authenticated requests).

PostgreSQL only: the tenant API server adds each process's counts there (an upsert per
tenant and flush; coditect_server/api_calls.py), under row-level security like every
tenant table (FORCE, ``tenant_isolation``); the app role may read, insert and update it.
A server on a SQLite file creates the table when it starts, like its other tables
(schema.server_metadata); a local store has no API and no such table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from coditect_store.migrations import postgres

    text = sa.String(36, collation="C")
    op.create_table(
        "api_calls",
        sa.Column("tenant_id", text, sa.ForeignKey("tenants.id"), primary_key=True),
        sa.Column("day", sa.String(10, collation="C"), primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
    )
    postgres.upgrade_0009(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
