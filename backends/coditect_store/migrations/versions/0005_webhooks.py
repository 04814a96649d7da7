"""Webhooks: per-tenant subscriptions and the delivery outbox.

SQLite and PostgreSQL: ``webhook_subscriptions`` (URL, event patterns, the signing secret,
whether it is enabled and why not) and ``webhook_deliveries`` (one row per event and
subscription, inserted in the transaction that appends the event to the audit chain;
the tenant API server's worker sends and retries them, and they are the delivery log).
PostgreSQL: both tables get row-level security like every tenant table, the app role may
read and write them, and the SECURITY DEFINER function ``coditect_webhook_due`` (owned by
the lookup role, executable by the app role only) tells the worker which tenants have
deliveries due, without lifting row-level security for anything else.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _s(length: int | None = None) -> sa.types.TypeEngine:
    """Text columns; on PostgreSQL with the "C" collation, like 0001's."""
    base = sa.String(length) if length else sa.Text()
    pg = sa.String(length, collation="C") if length else sa.Text(collation="C")
    return base.with_variant(pg, "postgresql")


TS = _s(32)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", _s(36), primary_key=True),
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("url", _s(), nullable=False),
        sa.Column("events", _s(), nullable=False),
        sa.Column("description", _s(), nullable=False),
        sa.Column("secret", _s(), nullable=False),
        sa.Column("created_by", _s(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", _s()),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_index("ix_webhook_subscriptions_tenant", "webhook_subscriptions", ["tenant_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _s(40), primary_key=True),
        sa.Column("tenant_id", _s(36), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column(
            "subscription_id",
            _s(36),
            sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event", _s(100), nullable=False),
        sa.Column("payload", _s(), nullable=False),
        sa.Column("state", _s(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", _s()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
    )
    # the worker's claim: pending rows by due time
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    # the delivery log: a tenant's (or a subscription's) deliveries, newest first
    op.create_index(
        "ix_webhook_deliveries_log",
        "webhook_deliveries",
        ["tenant_id", "subscription_id", "created_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        from coditect_store.migrations import postgres

        postgres.upgrade_0005(op)


def downgrade() -> None:
    raise RuntimeError("downgrades are not supported: restore the backup taken before upgrade")
