"""Tenant lifecycle on every backend: a platform administrator creates a tenant in a
tier (its quotas apply from creation) and suspends, resumes, offboards and archives it;
everyone else is refused and audited; each state refuses what it should, on the
tenant's next call (a suspended tenant's owner may still export its data)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coditect_store.base import STATE_RECHECK
from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ReadOnly,
)
from coditect_tui.core.models import AuditFilter, ProjectSpec, utcnow
from tests.contract.harness import FakeClock, Harness


async def _admin(harness: Harness) -> Backend:
    """The platform administrator ``root`` of tenant ``ops``."""
    return await harness.open("ops", "root", "owner", platform_admin=True)


async def _events(backend: Backend, text: str) -> list[tuple[str, str, str]]:
    page = await backend.query_audit(AuditFilter(text=text), ascending=True)
    return [(e.action, e.shown(e.actor), e.outcome) for e in page.items]


async def _export_kinds(backend: Backend) -> set[str]:
    return {record.kind async for record in backend.export_tenant()}


async def test_created_tenant_is_active_in_its_tier_with_its_owner(harness: Harness) -> None:
    admin = await _admin(harness)
    try:
        tenant = await admin.create_tenant("globex", tier="vendor", owner="gina")
        assert (tenant.name, tenant.tier, tenant.state, tenant.display_name) == (
            "globex",
            "vendor",
            "active",
            "globex",
        )
        with pytest.raises(Conflict, match="already exists"):
            await admin.create_tenant("globex", tier="vendor", owner="gina")
        with pytest.raises(InvalidInput, match="tier"):
            await admin.create_tenant("initech", tier="platinum", owner="ian")
        with pytest.raises(InvalidInput, match="empty"):
            await admin.create_tenant("initech", tier="vendor", owner=" ")
    finally:
        await admin.close()
    gina = await harness.open("globex", "gina", "owner")
    try:
        assert (await gina.whoami()).role == "owner"
        got = await gina.get_tenant()
        assert (got.tier, got.state) == ("vendor", "active")
        # the tier from the first call: vendor has no memory, and 10 projects at most
        with pytest.raises(PermissionDenied, match=r"tiers\.yaml"):
            await gina.count_memory_entries()
        for i in range(10):
            await gina.upsert_project(ProjectSpec(name=f"p{i}", kind="standalone"))
        with pytest.raises(QuotaExceeded):
            await gina.upsert_project(ProjectSpec(name="p10", kind="standalone"))
    finally:
        await gina.close()


async def test_only_a_platform_admin_manages_tenants_and_refusals_are_audited(
    harness: Harness, owner: Backend
) -> None:
    admin = await _admin(harness)
    try:
        await admin.create_tenant("globex", tier="internal", owner="gina")
    finally:
        await admin.close()
    # an owner of another tenant, and the new tenant's own owner: neither is one
    with pytest.raises(PermissionDenied, match="not a platform administrator"):
        await owner.create_tenant("initech", tier="internal", owner="olivia")
    with pytest.raises(PermissionDenied, match="not a platform administrator"):
        await owner.set_tenant_state("globex", "suspended")
    gina = await harness.open("globex", "gina", "owner")
    try:
        with pytest.raises(PermissionDenied, match="not a platform administrator"):
            await gina.set_tenant_state("globex", "suspended")
        assert (await gina.get_tenant()).state == "active"
    finally:
        await gina.close()
    assert [e for e in await _events(owner, "tenants.") if e[2] == "denied"] == [
        ("tenants.create", "olivia", "denied"),
        ("tenants.suspend", "olivia", "denied"),
    ]


async def test_suspended_tenant_refuses_all_but_the_owners_export(harness: Harness) -> None:
    admin = await _admin(harness)
    await admin.create_tenant("globex", tier="internal", owner="gina")
    clock = FakeClock(utcnow())
    gina = await harness.open("globex", "gina", "owner", clock=clock)
    await gina.add_member("ed", "editor")
    ed = await harness.open("globex", "ed", "editor", clock=clock)
    try:
        await gina.upsert_project(ProjectSpec(name="before", kind="standalone"))
        suspended = await admin.set_tenant_state("globex", "suspended")
        assert suspended.state == "suspended"
        # a fresh handle meets it on its first call
        fresh = await harness.open("globex", "ed", "editor")
        try:
            with pytest.raises(PermissionDenied, match="'globex' is suspended"):
                await fresh.list_members()
        finally:
            await fresh.close()
        # handles already open: on their next request over the API; a local handle
        # once its copy of the state is STATE_RECHECK old
        clock.advance(STATE_RECHECK + timedelta(seconds=1))
        for backend in (gina, ed):
            with pytest.raises(PermissionDenied, match="'globex' is suspended"):
                await backend.list_projects()
            with pytest.raises(PermissionDenied, match="suspended"):
                await backend.upsert_project(ProjectSpec(name="after", kind="standalone"))
        with pytest.raises(PermissionDenied, match="suspended"):
            await _export_kinds(ed)
        assert "projects" in await _export_kinds(gina)
        # resume: everything works again
        assert (await admin.set_tenant_state("globex", "active")).state == "active"
        assert [p.name for p in (await ed.list_projects()).items] == ["before"]
        assert [e[0] for e in await _events(gina, "tenants.")] == [
            "tenants.create",
            "tenants.suspend",
            "tenants.resume",
        ]
        denied = await gina.query_audit(AuditFilter(outcome="denied"), ascending=True)
        assert any("suspended" in str(e.details.get("reason")) for e in denied.items)
    finally:
        await ed.close()
        await gina.close()
        await admin.close()


async def test_offboarded_is_read_only_then_archived_refuses_all(harness: Harness) -> None:
    admin = await _admin(harness)
    try:
        await admin.create_tenant("globex", tier="internal", owner="gina")
        clock = FakeClock(utcnow())
        gina = await harness.open("globex", "gina", "owner", clock=clock)
        try:
            await gina.upsert_project(ProjectSpec(name="kept", kind="standalone"))
            await admin.set_tenant_state("globex", "offboarded")
            clock.advance(STATE_RECHECK + timedelta(seconds=1))
            with pytest.raises(ReadOnly, match="offboarded"):
                await gina.upsert_project(ProjectSpec(name="new", kind="standalone"))
            assert [p.name for p in (await gina.list_projects()).items] == ["kept"]
            with pytest.raises(Conflict, match="cannot be made suspended"):
                await admin.set_tenant_state("globex", "suspended")
            await admin.set_tenant_state("globex", "archived")
            with pytest.raises(PermissionDenied, match="archived"):
                await gina.list_projects()
            assert "projects" in await _export_kinds(gina)
            with pytest.raises(Conflict, match="archived"):
                await admin.set_tenant_state("globex", "active")
        finally:
            await gina.close()
        with pytest.raises(NotFound):
            await admin.set_tenant_state("nobody", "suspended")
        with pytest.raises(InvalidInput, match="act in"):
            await admin.set_tenant_state("ops", "suspended")
        # a fresh handle meets the state at once
        fresh = await harness.open("globex", "gina", "owner")
        try:
            assert (await fresh.get_tenant()).state == "archived"
            with pytest.raises(PermissionDenied, match="archived"):
                await fresh.list_members()
        finally:
            await fresh.close()
    finally:
        await admin.close()


async def test_nobody_joins_a_suspended_tenant_by_opening_it(harness: Harness) -> None:
    """Every harness provisions through the store, as a profile's first open does."""
    admin = await _admin(harness)
    try:
        await admin.create_tenant("globex", tier="internal", owner="gina")
        await admin.set_tenant_state("globex", "suspended")
    finally:
        await admin.close()
    with pytest.raises(PermissionDenied, match="not a member"):
        await harness.open("globex", "mallory", "owner")
