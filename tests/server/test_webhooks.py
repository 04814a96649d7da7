"""Webhook delivery in one process: signing, backoff with jitter on an injected clock,
disabling a subscription that keeps failing, refused destinations (at subscription and at
delivery time), redirects not followed, and the worker's resources closed.

The server state runs on a SQLite file with its worker loop off; each test drives rounds
with ``run_once()`` and moves a fake clock, so nothing waits on the wall clock. The
receiver is real (an HTTP server on 127.0.0.1 verifying signatures).
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from coditect_remote.client import RemoteBackend
from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_server.webhooks import WebhookWorker
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import ProjectSpec, utcnow
from coditect_tui.core.webhooks import MAX_ATTEMPTS, WebhookSpec, retry_delay, sign
from tests.contract.harness import FakeClock
from tests.server.conftest import make_tenant
from tests.server.receiver import Receiver


@dataclass
class Rig:
    """A server state on SQLite, an owner's client of it, its clock and the receiver."""

    state: ServerState
    client: RemoteBackend
    clock: FakeClock
    receiver: Receiver
    rng_seed: int = 7


async def _rig(tmp_path: Path, receiver: Receiver, *, allow: tuple[str, ...]) -> Rig:
    db = str(tmp_path / "server.db")
    tenant = await make_tenant(db, "acme", {})
    # events are stamped by the real clock: the worker's starts a minute after them
    clock = FakeClock(utcnow() + timedelta(minutes=1))
    config = ServerConfig(
        db=db,
        webhooks=False,  # rounds are driven by the test
        webhook_allow_networks=allow,
        webhook_disable_after=3,
        webhook_max_attempts=10,
    )
    state = ServerState(config, clock=clock)
    state.webhooks = WebhookWorker(state, rng=random.Random(7))
    await state.start()
    client = RemoteBackend(
        "http://hooks.test",
        tenant.keys["owner"],
        retries=0,
        transport=httpx.ASGITransport(app=create_app(state=state)),
        on_close=state.stop,
    )
    return Rig(state, client, clock, receiver)


@pytest.fixture
async def rig(tmp_path: Path, receiver: Receiver) -> AsyncIterator[Rig]:
    made = await _rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    try:
        yield made
    finally:
        await made.client.close()


def test_signature_matches_the_standard_webhooks_vector() -> None:
    # the example of the Standard Webhooks reference libraries
    assert (
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    assert [retry_delay(n, 0.0) for n in (1, 2, 3)] == [15.0, 30.0, 60.0]
    assert [retry_delay(n, 0.999999) for n in (1, 2)] == pytest.approx([30.0, 60.0])
    assert retry_delay(30, 0.999999) == pytest.approx(3600.0)
    # the whole schedule spans hours before a delivery is given up
    assert sum(retry_delay(n, 0.0) for n in range(1, MAX_ATTEMPTS)) > 4 * 3600


async def test_failures_back_off_then_disable_with_a_reason(rig: Rig) -> None:
    fds_before = len(os.listdir("/proc/self/fd"))
    threads_before = threading.active_count()
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.status = lambda n: 500
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
    receiver.secret = new.secret
    await client.upsert_project(ProjectSpec(name="p1"))

    rng = random.Random(rig.rng_seed)
    for attempt in (1, 2, 3):
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0  # not due again until the backoff has passed
        (delivery,) = await client.list_webhook_deliveries(new.info.id)
        assert (delivery.attempts, delivery.last_status) == (attempt, 500)
        wait = retry_delay(attempt, rng.random())
        if attempt < 3:
            assert delivery.state == "pending"
            assert delivery.next_attempt_at == rig.clock.now + timedelta(seconds=wait)
        rig.clock.advance(timedelta(seconds=wait))
    assert receiver.requests == 3 and receiver.bad_signatures == 0
    (hook,) = await client.list_webhooks()
    assert not hook.enabled and hook.failures == 3
    assert hook.disabled_reason is not None
    assert "3 failed deliveries in a row" in hook.disabled_reason
    assert "HTTP 500" in hook.disabled_reason
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.next_attempt_at) == ("failed", None)
    assert delivery.last_error == "not sent: the subscription was disabled"
    # a disabled subscription queues nothing and sends nothing
    await client.upsert_project(ProjectSpec(name="p2"))
    assert len(await client.list_webhook_deliveries()) == 1
    assert await worker.run_once() == 0
    await rig.state.webhooks.stop()
    assert len(os.listdir("/proc/self/fd")) <= fds_before
    assert threading.active_count() <= threads_before


async def test_success_resets_failures_and_signs_every_attempt(rig: Rig) -> None:
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.status = lambda n: 503 if n == 1 else 200
    receiver.tolerance = 2 * 3600  # the server's clock is moved an hour ahead below
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.create"]))
    receiver.secret = new.secret
    project = await client.upsert_project(ProjectSpec(name="p1"))
    assert await worker.run_once() == 1
    # due since the event (real clock); the server's clock started a minute ahead of it
    lag = re.search(
        rb"^coditect_webhook_outbox_lag_seconds ([0-9.e+]+)$", rig.state.metrics.render(), re.M
    )
    assert lag is not None and 0 < float(lag.group(1)) <= 60
    rig.clock.advance(timedelta(hours=1))
    assert await worker.run_once() == 1
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    assert list(receiver.deliveries) == [delivery.id]
    body = receiver.deliveries[delivery.id]
    assert body["type"] == "projects.create"
    assert body["data"]["resource_id"] == project.id
    data = body["data"]  # the actor by pseudonymous id, and who that is
    assert (data["outcome"], data["names"][data["actor"]]) == ("ok", "owner")
    assert receiver.bad_signatures == 0
    (hook,) = await client.list_webhooks()
    assert hook.enabled and hook.failures == 0


async def test_redirects_are_not_followed(rig: Rig) -> None:
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
    receiver.secret = new.secret
    await client.upsert_project(ProjectSpec(name="p1"))
    assert await worker.run_once() == 1
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.last_status) == ("pending", 307)
    assert delivery.last_error == "redirect not followed"
    assert receiver.requests == 1


REFUSED = (
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
)


async def test_private_destinations_are_refused_without_an_allowance(
    tmp_path: Path, receiver: Receiver
) -> None:
    rig = await _rig(tmp_path, receiver, allow=())
    try:
        for url in REFUSED:
            with pytest.raises(InvalidInput, match="loopback"):
                await rig.client.add_webhook(WebhookSpec(url=url))
        assert await rig.client.list_webhooks() == []
    finally:
        await rig.client.close()


async def test_the_destination_is_checked_again_before_each_attempt(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Allowed when subscribed, not when sent (what a DNS rebinding amounts to): the
    attempt is refused and nothing reaches the address."""
    rig = await _rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    try:
        new = await rig.client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
        receiver.secret = new.secret
        await rig.client.upsert_project(ProjectSpec(name="p1"))
        strict = ServerState(ServerConfig(db=rig.state.config.db), clock=rig.clock)
        strict.engine = rig.state.engine
        worker = WebhookWorker(strict)
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        (delivery,) = await rig.client.list_webhook_deliveries()
        assert delivery.state == "pending" and delivery.last_status is None
        assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
        assert receiver.requests == 0
    finally:
        await rig.client.close()
