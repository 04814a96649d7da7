"""The tenant's usage on every backend: real counts against the tier's quotas, for owners
and admins only (anyone else is refused below the UI, and the refusal is audited)."""

from __future__ import annotations

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.models import AuditFilter, MemoryEntrySpec, ProjectSpec, RepoSpec
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
