"""The webhook delivery worker: one per server process, owned by ``ServerState``.

Each round it asks which tenants have deliveries due, claims a batch of each
(``coditect_store.outbox.claim``: several workers, even on several replicas, never send
the same claimed row twice while its lease holds), POSTs them concurrently and records
the round's outcomes (one transaction per tenant). A failed attempt is retried with
exponential backoff and jitter (``retry_delay``) until ``webhook_max_attempts``;
``webhook_disable_after`` failures in a row disable the subscription with the reason.
Delivery is at least once: a worker that dies after the receiver answered but before the
round's outcomes were stored sends them again after the lease, with the same
``webhook-id``.

Each connection goes to an address checked when it was opened (``outbound.PinnedTransport``),
and each secret is opened with the server's secrets key just before it signs
(``coditect_store.secrets_key``); a secret that does not open is one line on the
delivery log and the server's log, and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.exc import DBAPIError

from coditect_server.outbound import (
    IPNetwork,
    PinnedTransport,
    Refused,
    Resolver,
    check_destination,
    parse_networks,
    system_resolver,
)
from coditect_store.outbox import Claimed, Outcome, Settled, claim, due_tenants, settle
from coditect_store.secrets_key import SecretsKeyError, open_secret
from coditect_tui import __version__
from coditect_tui.core.errors import BackendError
from coditect_tui.core.webhooks import retry_delay, sign

if TYPE_CHECKING:
    from coditect_server.state import ServerState

log = logging.getLogger("coditect.webhooks")
#: concurrent POSTs of one round
_CONCURRENCY = 16


class WebhookWorker:
    """Sends the outbox. ``start()`` once the engine is open, ``stop()`` before it closes.

    Args:
        state: the server's state (engine, config, clock, metrics).
        rng: the jitter's random source (a seeded one in tests).
        resolver: how destination names are resolved (default: the system's).
    """

    def __init__(
        self,
        state: ServerState,
        *,
        rng: random.Random | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._state = state
        config = state.config
        self._networks = parse_networks(config.webhook_allow_networks)
        self._resolver = resolver
        #: the receivers' certificates are verified against this (True: certifi's bundle)
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=config.webhook_ca_file)
            if config.webhook_ca_file
            else True
        )
        self._rng = rng or random.Random()
        #: subscriptions whose secret did not open, already logged by this worker
        self._key_errors: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        #: deliveries this worker settled (attempts, successful or not)
        self.attempts = 0

    @property
    def networks(self) -> tuple[IPNetwork, ...]:
        """The networks webhooks may reach although not public."""
        return self._networks

    async def check(self, url: str) -> None:
        """Refuse ``url`` unless its host resolves to allowed addresses only (at
        subscription time; every connection checks again).

        Raises:
            Refused: it does not resolve, or resolves to an address not allowed.
        """
        await check_destination(url, self._networks, self._resolver)

    def start(self) -> None:
        """Start the delivery loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="coditect-webhooks")

    def _http(self) -> httpx.AsyncClient:
        """The worker's HTTP client (opened on first use; :meth:`stop` closes it)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=PinnedTransport(
                    self._networks, resolver=self._resolver, verify=self._verify
                ),
                follow_redirects=False,
                timeout=self._state.config.webhook_timeout,
                headers={"user-agent": f"coditect-webhooks/{__version__}"},
                trust_env=False,
            )
        return self._client

    def wake(self) -> None:
        """Look at the outbox now instead of after the poll interval."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the loop (if started) and await it, then close the HTTP client (if
        opened). Never raises."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _loop(self) -> None:
        interval = self._state.config.webhook_poll_interval
        while True:
            try:
                busy = await self.run_once()
            except (BackendError, DBAPIError, OSError) as exc:  # the database is away
                log.warning("webhook round failed: %s", str(exc).splitlines()[0][:300])
                busy = 0
            except Exception:
                log.exception("webhook round failed")
                busy = 0
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    async def run_once(self) -> int:
        """One round: claim what is due in every tenant, send it, record the outcomes.

        Returns:
            How many deliveries were attempted.
        """
        state = self._state
        engine = state.db
        config = state.config
        now = state.now()
        tenants = await due_tenants(engine, now)
        items: list[Claimed] = []
        for tenant_id in tenants:
            items += await claim(
                engine, tenant_id, now, lease=config.webhook_lease, limit=config.webhook_batch
            )
        oldest = min((item.due_at for item in items), default=None)
        state.metrics.outbox_lag(0.0 if oldest is None else (now - oldest).total_seconds())
        if not items:
            return 0
        gate = asyncio.Semaphore(_CONCURRENCY)

        async def one(item: Claimed) -> Settled:
            async with gate:
                outcome = await self.send(item)
            return Settled(item, outcome, self._retry_at(item, outcome))

        attempts = await asyncio.gather(*(one(item) for item in items))
        by_tenant: dict[str, list[Settled]] = {}
        for attempt in attempts:
            by_tenant.setdefault(attempt.item.tenant_id, []).append(attempt)
        for tenant_id, mine in by_tenant.items():
            disabled = await settle(
                engine,
                tenant_id,
                mine,
                state.now(),
                disable_after=config.webhook_disable_after,
            )
            for sub_id, reason in disabled.items():
                log.warning("webhook %s disabled: %s", sub_id, reason)
        self.attempts += len(attempts)
        return len(items)

    async def send(self, item: Claimed) -> Outcome:
        """POST one delivery (a new connection goes only where its URL resolves to now,
        once checked).

        Returns:
            The outcome: 2xx is a success; anything else, a refusal of the destination or
            a transport error is a failure with a one-line reason. A secret the server's
            key does not open is not an attempt (``attempted`` false).
        """
        client = self._http()
        try:
            secret = open_secret(item.secret, item.tenant_id, item.subscription_id)
        except SecretsKeyError as exc:
            if item.subscription_id not in self._key_errors:
                self._key_errors.add(item.subscription_id)
                log.error("webhook %s: not sent: %s", item.subscription_id, exc)
            # the tenant's log line without the server's paths; the server's log has them
            return Outcome(False, None, f"not sent: {exc.reason}", attempted=False)
        body = item.payload.encode()
        stamp = int(self._state.now().timestamp())
        try:
            signature = sign(secret, item.id, stamp, body)
        except ValueError as exc:
            return Outcome(False, None, f"cannot sign: {exc}")
        headers = {
            "content-type": "application/json",
            "webhook-id": item.id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature,
        }
        try:
            # the whole attempt is bounded (httpx's timeout is per read), and the answer's
            # body is never read: a receiver cannot hold a slot or fill memory
            async with asyncio.timeout(self._state.config.webhook_timeout):
                request = client.build_request("POST", item.url, content=body, headers=headers)
                response = await client.send(request, stream=True)
                await response.aclose()
        except TimeoutError:
            return Outcome(False, None, "timed out")
        except Refused as exc:  # raised by the connect: where the name resolves to now
            return Outcome(False, None, f"refused: {exc}")
        except Exception as exc:  # whatever ends one attempt is that attempt's failure
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code, None)
        why = "redirect not followed" if response.is_redirect else f"HTTP {response.status_code}"
        return Outcome(False, response.status_code, why)

    def _retry_at(self, item: Claimed, outcome: Outcome) -> datetime | None:
        """When to try a failed delivery again (None: never, after the last attempt)."""
        if not outcome.attempted:
            return self._state.now() + timedelta(seconds=retry_delay(1, self._rng.random()))
        if outcome.ok or item.attempts + 1 >= self._state.config.webhook_max_attempts:
            return None
        wait = retry_delay(item.attempts + 1, self._rng.random())
        return self._state.now() + timedelta(seconds=wait)
