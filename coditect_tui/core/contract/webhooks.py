"""The tenant's webhook subscriptions and their delivery log.

Part of the Backend contract (coditect_tui.core.backend). Storing a subscription is the
backend's job; delivering is the tenant API server's (a local store keeps the rows but
has no server to send them: ``coditect webhooks`` works on remote profiles)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.webhooks import NewWebhook, WebhookDelivery, WebhookInfo, WebhookSpec


class WebhooksApi(ABC):
    """Webhook subscriptions (URL, event filter, secret) and the delivery log."""

    @mutates
    @abstractmethod
    async def add_webhook(self, spec: WebhookSpec) -> NewWebhook:
        """Subscribe ``spec.url`` to the tenant's audit events matching ``spec.events``.

        Needs webhooks.create. From the commit on, every matching event appended to the
        tenant's audit chain is queued for delivery in the same transaction.

        Returns:
            The subscription and its signing secret (shown this once).

        Raises:
            InvalidInput: a malformed URL or pattern; (server) a URL whose host resolves
                to a private, loopback, link-local or reserved address the server's
                configuration does not allow.
        """

    @reads
    @abstractmethod
    async def list_webhooks(self) -> list[WebhookInfo]:
        """The tenant's subscriptions, oldest first, without secrets. Needs webhooks.read."""

    @mutates
    @abstractmethod
    async def remove_webhook(self, webhook_id: str) -> None:
        """Delete a subscription and its queued and logged deliveries. Needs webhooks.delete.

        Raises:
            NotFound: no such subscription in the tenant.
        """

    @reads
    @abstractmethod
    async def list_webhook_deliveries(
        self, webhook_id: str | None = None, *, limit: int = 100
    ) -> list[WebhookDelivery]:
        """The delivery log, newest first. Needs webhooks.read.

        Args:
            webhook_id: only this subscription's deliveries (None: every one).
            limit: at most this many (1..1000).

        Raises:
            NotFound: ``webhook_id`` names no subscription of the tenant.
        """
