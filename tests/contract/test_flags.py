"""Stored feature flag overrides on every backend: set, listed, cleared and audited by
owners and admins only; decided by the same policy as the tier, so the next call of the
tenant's members sees them; never above the tier (the ceiling)."""

from __future__ import annotations

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import InvalidInput, NotFound, PermissionDenied, ReadOnly
from coditect_tui.core.models import AuditFilter
from tests.contract.harness import Harness


async def _flag_events(backend: Backend) -> list[tuple[str, str | None, dict[str, object]]]:
    page = await backend.query_audit(AuditFilter(text="flag_"), ascending=True)
    # principals are named by pseudonymous id in the chain: compared by what readers see
    return [
        (
            e.action,
            e.shown(e.resource_id),
            {k: e.shown(v) if isinstance(v, str) else v for k, v in e.details.items()},
        )
        for e in page.items
    ]


async def test_overrides_switch_features_for_the_next_call(
    harness: Harness, owner: Backend
) -> None:
    await owner.add_member("vic", "viewer")
    viewer = await harness.open("acme", "vic", "viewer")
    try:
        assert (await viewer.count_memory_entries()).total == 0
        flag = await owner.set_flag("memory", False)
        assert (flag.feature, flag.stakeholder, flag.enabled, flag.updated_by) == (
            "memory",
            None,
            False,
            "olivia",
        )
        # this handle at once; a remote handle on its next request
        with pytest.raises(PermissionDenied, match=r"memory is switched off .*tenant override"):
            await owner.count_memory_entries()
        if harness.name.startswith("remote"):
            with pytest.raises(PermissionDenied, match="tenant override"):
                await viewer.count_memory_entries()
    finally:
        await viewer.close()
    # a member switched back on below the tenant-wide "off"; others stay off
    await owner.set_flag("memory", True, stakeholder="olivia")
    assert (await owner.count_memory_entries()).total == 0
    viewer = await harness.open("acme", "vic", "viewer")
    try:
        with pytest.raises(PermissionDenied, match="tenant override"):
            await viewer.count_memory_entries()
    finally:
        await viewer.close()
    listed = [(f.feature, f.stakeholder, f.enabled) for f in await owner.list_flags()]
    assert listed == [("memory", None, False), ("memory", "olivia", True)]
    await owner.clear_flag("memory")
    await owner.clear_flag("memory", stakeholder="olivia")
    assert await owner.list_flags() == []
    viewer = await harness.open("acme", "vic", "viewer")
    try:
        assert (await viewer.count_memory_entries()).total == 0
    finally:
        await viewer.close()
    # every change is one audit event, with the old and the new value
    assert await _flag_events(owner) == [
        (
            "members.flag_set",
            "memory",
            {"feature": "memory", "stakeholder": None, "enabled": False, "old_enabled": None},
        ),
        (
            "members.flag_set",
            "memory/olivia",
            {"feature": "memory", "stakeholder": "olivia", "enabled": True, "old_enabled": None},
        ),
        (
            "members.flag_clear",
            "memory",
            {"feature": "memory", "stakeholder": None, "old_enabled": False},
        ),
        (
            "members.flag_clear",
            "memory/olivia",
            {"feature": "memory", "stakeholder": "olivia", "old_enabled": True},
        ),
    ]
    assert (await owner.verify_audit()).ok


async def test_a_stored_override_never_lifts_the_tier(harness: Harness) -> None:
    owner = await harness.open("supplier", "olivia", "owner", tier="vendor")
    try:
        await owner.set_flag("memory", True)  # stored, but above the ceiling
        with pytest.raises(PermissionDenied, match="tier 'vendor' does not include memory"):
            await owner.count_memory_entries()
        assert [f.enabled for f in await owner.list_flags()] == [True]
    finally:
        await owner.close()


async def test_only_owners_and_admins_change_flags(harness: Harness, owner: Backend) -> None:
    await owner.add_member("adam", "admin")
    await owner.add_member("ed", "editor")
    editor = await harness.open("acme", "ed", "editor")
    admin = await harness.open("acme", "adam", "admin")
    try:
        assert await editor.list_flags() == []  # members.read
        with pytest.raises(PermissionDenied):
            await editor.set_flag("memory", False, stakeholder="ed")
        with pytest.raises(PermissionDenied):
            await editor.clear_flag("memory")
        # an admin manages flags, but not an owner's (members.admin)
        await admin.set_flag("memory", False, stakeholder="ed")
        with pytest.raises(PermissionDenied, match="admin"):
            await admin.set_flag("memory", False, stakeholder="olivia")
        with pytest.raises(NotFound):
            await admin.set_flag("memory", False, stakeholder="nobody")
        with pytest.raises(NotFound):
            await admin.clear_flag("dashboard")
        with pytest.raises(InvalidInput, match="did you mean 'memory'"):
            await admin.set_flag("memroy", False)
        with pytest.raises(InvalidInput, match="remote_api"):
            await admin.set_flag("remote_api", False)
        with pytest.raises(InvalidInput):
            await admin.set_flag("memory", False, stakeholder="")
    finally:
        await editor.close()
        await admin.close()
    denied = (await owner.query_audit(AuditFilter(outcome="denied"), ascending=True)).items
    assert [(e.shown(e.actor), e.details["method"]) for e in denied] == [
        ("ed", "set_flag"),
        ("ed", "clear_flag"),
        ("adam", "set_flag"),
    ]
    assert [(f.stakeholder, f.enabled) for f in await owner.list_flags()] == [("ed", False)]
    # a member's overrides go with the membership (and the removal says so)
    await owner.remove_member("ed")
    assert await owner.list_flags() == []
    removed = (await owner.query_audit(AuditFilter(action="members.delete"))).items
    assert removed[0].details["flags_cleared"] == 1
    reader = await harness.open("acme", "olivia", "owner", read_only=True)
    try:
        with pytest.raises(ReadOnly):
            await reader.set_flag("memory", False)
    finally:
        await reader.close()
