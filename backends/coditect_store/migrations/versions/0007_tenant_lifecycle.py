"""Tenant lifecycle: a tenant's state (``tenants.state``).

SQLite and PostgreSQL: a ``state`` column on ``tenants`` (``active``, ``suspended``,
``offboarded`` or ``archived``; existing tenants are ``active``). PostgreSQL: the app
role may change that column (and no other of ``tenants``; row-level security still
confines it to the tenant set for the transaction), and the SECURITY DEFINER key lookup
``coditect_api_key`` also returns the tenant's state, so the server refuses a suspended
tenant's next request without another query (its return type changes: it is dropped and
created again, owned by the lookup role and executable by the app role only, as 0004
left it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sa.String(20).with_variant(sa.String(20, collation="C"), "postgresql")
    op.add_column("tenants", sa.Column("state", text, nullable=False, server_default="active"))
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0007(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
