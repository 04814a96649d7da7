"""The tenant's usage on every backend: real counts against the tier's quotas, for owners
and admins only (anyone else is refused below the UI, and the refusal is audited)."""

from __future__ import annotations

import itertools

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.models import (
    API_CALL_DAYS,
    AuditFilter,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    Usage,
)
from tests.contract.harness import Harness


async def test_usage_counts_what_the_tenant_holds(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner", tier="customer_team")
    try:
        before = await owner.usage()
        assert (before.tier, before.projects, before.repos, before.memory_documents) == (
            "customer_team",
            0,
            0,
            0,
        )
        assert (before.projects_quota, before.members_quota) == (25, 10)
        project = await owner.upsert_project(ProjectSpec(name="svc"))
        await owner.upsert_repo(RepoSpec(project_id=project.id, path="/w/svc", name="svc"))
        await owner.upsert_memory_entries(
            [
                MemoryEntrySpec(path="a.md", kind="note", title="a", body="x", size=100),
                MemoryEntrySpec(path="b.md", kind="note", title="b", body="y", size=23),
            ]
        )
        await owner.add_member("ada", "admin")
        after = await owner.usage()
        assert (after.projects, after.repos, after.memory_documents, after.memory_bytes) == (
            1,
            1,
            2,
            123,
        )
        assert after.members == before.members + 1
        assert after.audit_events > before.audit_events  # every change above was recorded
        admin = await harness.open("acme", "ada", "admin", tier="customer_team")
        try:
            assert (await admin.usage()).projects == 1
        finally:
            await admin.close()
    finally:
        await owner.close()


@pytest.mark.parametrize("role", ["viewer", "editor", "support", "consultant"])
async def test_usage_is_refused_to_everyone_but_owners_and_admins(
    harness: Harness, owner: Backend, role: str
) -> None:
    await owner.add_member("max", role)
    other = await harness.open("acme", "max", role)
    try:
        with pytest.raises(PermissionDenied):
            await other.usage()
    finally:
        await other.close()
    denied = (await owner.query_audit(AuditFilter(outcome="denied", actor="max"))).items
    assert [(e.action, e.details.get("method")) for e in denied] == [("members.usage", "usage")]


def _calls(usage: Usage) -> int:
    assert usage.api_calls is not None
    return sum(d.calls for d in usage.api_calls.days)


async def test_api_calls_per_day_where_there_is_an_api(harness: Harness) -> None:
    """The server counts every authenticated request of the tenant (this usage call
    included); a local store says it has no API; a store opened on a server's
    PostgreSQL database reads the counts the servers flushed (none here)."""
    owner = await harness.open("acme", "olivia", "owner", tier="customer_team")
    try:
        before = await owner.usage()
        for _ in range(3):
            await owner.list_projects()
        after = await owner.usage()
    finally:
        await owner.close()
    if harness.name == "sqlite":
        assert before.api_calls is None and after.api_calls is None
        return
    assert after.api_calls is not None
    days = [d.day for d in after.api_calls.days]
    assert len(days) == API_CALL_DAYS
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    assert after.api_calls.per_minute_limit == 300  # customer_team's requests_per_minute
    expected = 0 if harness.name == "postgres-store" else 4  # three lists, then usage
    assert _calls(after) - _calls(before) == expected
