"""The webhook outbox on a real SQLite file: queued in the audit append's transaction, for
the matching enabled subscriptions only, also for a read-only auditor's own read events
(through the read-only connection's authorizer), and never for a change that rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_tui.core.errors import Conflict
from coditect_tui.core.models import AuditFilter, ProjectSpec
from coditect_tui.core.webhooks import WebhookSpec
from tests.contract.harness import SqliteHarness


async def test_deliveries_follow_the_events_and_the_filters(tmp_path: Path) -> None:
    harness = SqliteHarness(tmp_path / "store.db")
    owner = await harness.open("acme", "olivia", "owner")
    url = "https://hooks.example/in"
    projects = await owner.add_webhook(WebhookSpec(url=url, events=["projects.*"]))
    deletes = await owner.add_webhook(WebhookSpec(url=url, events=["*.delete"]))
    everything = await owner.add_webhook(WebhookSpec(url=url))
    assert everything.info.events == ["*"] and everything.secret.startswith("whsec_")

    project = await owner.upsert_project(ProjectSpec(name="p1"))
    await owner.delete_project(project.id)
    await owner.add_member("vic", "viewer")
    with pytest.raises(Conflict):  # rolled back: no event, so nothing queued for it
        await owner.add_member("vic", "viewer")
    auditor = await harness.open("acme", "alma", "auditor", read_only=True)
    try:
        await auditor.list_projects()  # its read is audited, and delivered like any event
        assert [h.id for h in await auditor.list_webhooks()] == [
            projects.info.id,
            deletes.info.id,
            everything.info.id,
        ]
    finally:
        await auditor.close()

    log = await owner.list_webhook_deliveries(limit=1000)
    by_hook: dict[str, list[str]] = {}
    for delivery in reversed(log):  # oldest first
        by_hook.setdefault(delivery.subscription_id, []).append(delivery.event)
        assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert by_hook[projects.info.id] == ["projects.create", "projects.delete", "projects.read"]
    assert by_hook[deletes.info.id] == ["projects.delete"]
    events = (await owner.query_audit(AuditFilter(), limit=100, ascending=True)).items
    subscribed = next(e.seq for e in events if e.resource_id == everything.info.id)
    # from its own creation on (the row is written before that event is appended)
    after_subscribing = [e for e in events if e.seq >= subscribed]
    assert [e.action for e in after_subscribing] == [
        "webhooks.create",
        "projects.create",
        "projects.delete",
        "members.create",
        "members.create",  # alma's membership, made by the harness
        "projects.read",  # the auditor's reads
        "webhooks.read",
    ]
    queued_seqs = {d.event_seq for d in log if d.subscription_id == everything.info.id}
    assert queued_seqs == {e.seq for e in after_subscribing}
    assert len({d.id for d in log}) == len(log)

    # no secret in the audit log
    for event in events:
        assert everything.secret not in str(event.details)
    await owner.remove_webhook(everything.info.id)
    left = await owner.list_webhook_deliveries(limit=1000)
    assert {d.subscription_id for d in left} == {projects.info.id, deletes.info.id}
    await owner.close()
