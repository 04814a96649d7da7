"""Webhook subscriptions and the delivery log of the store (the outbox is outbox.py)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from coditect_store.base import StoreBase
from coditect_store.rows import new_id
from coditect_store.schema import webhook_deliveries, webhook_subscriptions
from coditect_store.secrets_key import sealing_keyring
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import Action, Resource, utcnow
from coditect_tui.core.webhooks import (
    NewWebhook,
    WebhookDelivery,
    WebhookInfo,
    WebhookSpec,
    new_secret,
)

W = Resource.WEBHOOKS
S = webhook_subscriptions.c
D = webhook_deliveries.c
_INFO_COLUMNS = [S[name] for name in WebhookInfo.model_fields]
_DELIVERY_COLUMNS = [D[name] for name in WebhookDelivery.model_fields]


def _info(row: Any) -> WebhookInfo:
    values = dict(row._mapping)
    values["events"] = orjson.loads(values["events"])
    return WebhookInfo.model_validate(values)


class WebhooksMixin(StoreBase):
    """Who is told about the tenant's events, and how each telling went."""

    async def add_webhook(self, spec: WebhookSpec) -> NewWebhook:
        secret = new_secret()
        async with self._op(W, Action.CREATE, method="add_webhook", target=spec.url) as op:
            info = WebhookInfo(
                id=new_id(),
                url=spec.url,
                events=spec.events,
                description=spec.description,
                created_by=self._principal,
                created_at=utcnow(),
                enabled=True,
            )
            # sealed with the key file's key, bound to this row (secrets_key.py)
            # every subscription the handle sees: the whole file on SQLite, the tenant's
            # rows on PostgreSQL (row-level security)
            ring = await sealing_keyring(op.conn)
            sealed = ring.seal(secret, self._tid, info.id)
            await op.conn.execute(
                webhook_subscriptions.insert().values(
                    tenant_id=self._tid,
                    secret=sealed,
                    **info.model_dump(exclude={"events"}),
                    events=orjson.dumps(spec.events).decode(),
                )
            )
            # the URL and filter are recorded; the secret never is
            op.record("webhooks.create", info.id, url=spec.url, events=spec.events)
        return NewWebhook(info=info, secret=secret)

    async def list_webhooks(self) -> list[WebhookInfo]:
        async with self._op(W, Action.READ, method="list_webhooks") as op:
            rows = (
                await op.conn.execute(
                    select(*_INFO_COLUMNS)
                    .where(S.tenant_id == self._tid)
                    .order_by(S.created_at, S.id)
                )
            ).all()
        return [_info(row) for row in rows]

    async def remove_webhook(self, webhook_id: str) -> None:
        async with self._op(W, Action.DELETE, method="remove_webhook", target=webhook_id) as op:
            row = await self._one(
                op.conn,
                select(S.url).where(S.tenant_id == self._tid, S.id == webhook_id),
                "webhook",
            )
            await op.conn.execute(
                webhook_deliveries.delete().where(
                    D.tenant_id == self._tid, D.subscription_id == webhook_id
                )
            )
            await op.conn.execute(
                webhook_subscriptions.delete().where(S.tenant_id == self._tid, S.id == webhook_id)
            )
            op.record("webhooks.delete", webhook_id, url=row.url)

    async def list_webhook_deliveries(
        self, webhook_id: str | None = None, *, limit: int = 100
    ) -> list[WebhookDelivery]:
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000")
        details = {"webhook": webhook_id} if webhook_id else {}
        async with self._op(
            W, Action.READ, method="list_webhook_deliveries", read_details=details
        ) as op:
            stmt = select(*_DELIVERY_COLUMNS).where(D.tenant_id == self._tid)
            if webhook_id is not None:
                await self._one(
                    op.conn,
                    select(S.id).where(S.tenant_id == self._tid, S.id == webhook_id),
                    "webhook",
                )
                stmt = stmt.where(D.subscription_id == webhook_id)
            rows = (
                await op.conn.execute(
                    stmt.order_by(D.created_at.desc(), D.event_seq.desc(), D.id).limit(limit)
                )
            ).all()
        return [WebhookDelivery.model_validate(dict(r._mapping)) for r in rows]
