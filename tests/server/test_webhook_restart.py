"""Webhooks survive a crash: SIGKILL the server mid-delivery, restart it, and every event
reaches a real receiver exactly as signed, de-duplicated by its webhook-id.

A real ``coditect serve`` (uvicorn) on its own PostgreSQL database, so the outbox claim
runs with row-level security and ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from pathlib import Path

from coditect_remote.client import RemoteBackend
from coditect_tui.core.models import AuditFilter, ProjectSpec
from coditect_tui.core.webhooks import WebhookSpec
from tests.pg import PgDatabase, ServerProcess
from tests.server.conftest import make_tenant
from tests.server.receiver import Receiver

EVENTS = 30
#: a claimed delivery of a killed server is due again after this (seconds)
LEASE = "1"
SERVE_ARGS = ("--webhook-allow-network", "127.0.0.1/32")
SERVE_ENV = {"CODITECT_SERVE_WEBHOOK_LEASE": LEASE, "CODITECT_SERVE_WEBHOOK_POLL": "0.05"}
#: generous: a busy CI machine restarts a server in a few seconds
TIMEOUT = 90.0


def _serve(db: PgDatabase, workdir: Path) -> ServerProcess:
    return ServerProcess(db.app_url, workdir, args=SERVE_ARGS, env=SERVE_ENV)


async def test_kill_mid_delivery_then_restart_delivers_every_event(
    own_db: PgDatabase, receiver: Receiver, tmp_path: Path
) -> None:
    tenant = await make_tenant(own_db.app_url, "hooks", {})
    server = _serve(own_db, tmp_path)
    try:
        client = RemoteBackend(server.url, tenant.keys["owner"], retries=0)
        try:
            new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
            receiver.secret = new.secret
            receiver.hold_after = 5  # then the server is mid-delivery
            for n in range(EVENTS):
                await client.upsert_project(ProjectSpec(name=f"p{n}"))
        finally:
            await client.close()
        assert receiver.holding.wait(TIMEOUT), "no delivery reached the receiver"
        server.kill()
    finally:
        server.stop()
    assert len(receiver.deliveries) <= 5
    receiver.release()

    server = _serve(own_db, tmp_path)
    try:
        arrived = receiver.wait_until(lambda r: len(r.deliveries) >= EVENTS, TIMEOUT)
        client = RemoteBackend(server.url, tenant.keys["owner"], retries=0)
        try:
            events = (
                await client.query_audit(AuditFilter(action="projects.create"), limit=100)
            ).items
            log = await client.list_webhook_deliveries(new.info.id, limit=1000)
        finally:
            await client.close()
    finally:
        server.stop()
    assert arrived, f"{len(receiver.deliveries)} of {EVENTS} events arrived"
    assert receiver.bad_signatures == 0
    # the held requests were processed but never answered: sent again, under the same id
    assert receiver.duplicates >= 1
    assert receiver.seqs() == {e.seq for e in events}
    assert len(events) == EVENTS
    # one delivery (one stable id) per event; what arrived twice arrived under that id
    assert {d.id for d in log} == set(receiver.deliveries)
    assert sorted(d.event_seq for d in log) == sorted(receiver.seqs())
    for delivery in receiver.deliveries.values():
        assert delivery["type"] == "projects.create"
        assert delivery["data"]["names"][delivery["data"]["actor"]] == "owner"
