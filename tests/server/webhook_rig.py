"""A webhook server state on SQLite driven by the test: its worker loop off, rounds run with
``run_once()``, a fake clock, an owner's client over ASGI and a real receiver."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from coditect_remote.client import RemoteBackend
from coditect_server.app import create_app
from coditect_server.outbound import Resolver, system_resolver
from coditect_server.state import ServerConfig, ServerState
from coditect_server.webhooks import WebhookWorker
from coditect_tui.core.models import ProjectSpec, utcnow
from coditect_tui.core.webhooks import NewWebhook, WebhookDelivery, WebhookSpec
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


async def make_rig(
    tmp_path: Path,
    receiver: Receiver,
    *,
    allow: tuple[str, ...],
    resolver: Resolver = system_resolver,
    ca_file: str | None = None,
) -> Rig:
    """The rig on ``tmp_path/server.db`` (the worker resolves names with ``resolver`` and
    verifies receivers' certificates against ``ca_file``)."""
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
        webhook_ca_file=ca_file,
    )
    state = ServerState(config, clock=clock)
    state.webhooks = WebhookWorker(state, rng=random.Random(7), resolver=resolver)
    await state.start()
    client = RemoteBackend(
        "http://hooks.test",
        tenant.keys["owner"],
        retries=0,
        transport=httpx.ASGITransport(app=create_app(state=state)),
        on_close=state.stop,
    )
    return Rig(state, client, clock, receiver)


async def deliver_one(
    rig: Rig, url: str, project: str = "p1"
) -> tuple[NewWebhook, WebhookDelivery]:
    """Subscribe ``url`` to project events (the receiver gets its secret), create a
    project, run one round and return the subscription and its one delivery."""
    new = await rig.client.add_webhook(WebhookSpec(url=url, events=["projects.*"]))
    rig.receiver.secret = new.secret
    await rig.client.upsert_project(ProjectSpec(name=project))
    assert await rig.state.webhooks.run_once() == 1
    (delivery,) = await rig.client.list_webhook_deliveries(new.info.id)
    return new, delivery
