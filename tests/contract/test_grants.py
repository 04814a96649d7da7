"""Time-limited grants on every backend: a membership's end is required for auditors,
enforced on every call (with an injected clock, so nothing waits), changed only by owners
and admins, and audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import InvalidInput, NotFound, PermissionDenied, ReadOnly
from coditect_tui.core.models import AuditFilter, utcnow
from tests.contract.harness import FakeClock, Harness

#: a call of every kind the auditor makes (tenant, members, projects, audit)
CALLS: dict[str, Callable[[Backend], Awaitable[object]]] = {
    "whoami": lambda b: b.whoami(),
    "get_tenant": lambda b: b.get_tenant(),
    "list_members": lambda b: b.list_members(),
    "list_projects": lambda b: b.list_projects(),
    "query_audit": lambda b: b.query_audit(),
}


async def test_auditor_grants_must_end(owner: Backend) -> None:
    soon = utcnow() + timedelta(days=7)
    with pytest.raises(InvalidInput, match="'auditor' memberships must have an expiry"):
        await owner.add_member("alma", "auditor")
    with pytest.raises(InvalidInput, match="not in the future"):
        await owner.add_member("alma", "auditor", expires_at=utcnow() - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="days away"):
        await owner.add_member("alma", "auditor", expires_at=utcnow() + timedelta(days=4000))
    assert "alma" not in {m.name for m in await owner.list_members()}
    added = await owner.add_member("alma", "auditor", expires_at=soon)
    assert (added.role, added.expires_at) == ("auditor", soon)
    # optional for other roles; listed with the members
    await owner.add_member("carl", "consultant", expires_at=soon + timedelta(days=1))
    await owner.add_member("vic", "viewer")
    listed = {m.name: m.expires_at for m in await owner.list_members()}
    assert listed["alma"] == soon and listed["carl"] == soon + timedelta(days=1)
    assert listed["vic"] is None and listed["olivia"] is None
    # an auditor's grant cannot lose its end; a viewer cannot become an auditor without one
    with pytest.raises(InvalidInput, match="must have an expiry"):
        await owner.set_member_expiry("alma", None)
    with pytest.raises(InvalidInput, match="must have an expiry"):
        await owner.set_member_role("vic", "auditor")
    await owner.set_member_expiry("vic", soon)
    assert (await owner.set_member_role("vic", "auditor")).expires_at == soon
    assert (await owner.set_member_expiry("carl", None)).expires_at is None
    with pytest.raises(NotFound):
        await owner.set_member_expiry("nobody", soon)


async def test_extending_is_audited_with_old_and_new_end(owner: Backend) -> None:
    first = utcnow() + timedelta(days=2)
    later = first + timedelta(days=30)
    await owner.add_member("alma", "auditor", expires_at=first)
    extended = await owner.set_member_expiry("alma", later)
    assert (extended.name, extended.role, extended.expires_at) == ("alma", "auditor", later)
    shortened = await owner.set_member_expiry("alma", first)
    assert shortened.expires_at == first
    events = (await owner.query_audit(AuditFilter(action="members.expiry"), ascending=True)).items
    assert [(e.shown(e.actor), e.shown(e.resource_id), e.outcome) for e in events] == [
        ("olivia", "alma", "ok"),
        ("olivia", "alma", "ok"),
    ]
    iso = [(e.details["old_expires_at"], e.details["expires_at"]) for e in events]
    assert [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in iso] == [
        (first, later),
        (later, first),
    ]
    assert {m.name: m.expires_at for m in await owner.list_members()}["alma"] == first


async def test_only_owners_and_admins_change_grants(harness: Harness, owner: Backend) -> None:
    end = utcnow() + timedelta(days=3)
    await owner.add_member("alma", "auditor", expires_at=end)
    await owner.add_member("adam", "admin", expires_at=end)
    for role in ("viewer", "editor", "consultant", "support"):
        who = await harness.open("acme", f"some-{role}", role)
        try:
            with pytest.raises(PermissionDenied):
                await who.set_member_expiry("alma", end + timedelta(days=1))
        finally:
            await who.close()
    auditor = await harness.open("acme", "alma", "auditor")
    try:
        with pytest.raises(ReadOnly):
            await auditor.set_member_expiry("alma", end + timedelta(days=1))
    finally:
        await auditor.close()
    admin = await harness.open("acme", "adam", "admin")
    try:
        extended = await admin.set_member_expiry("alma", end + timedelta(days=1))
        assert extended.expires_at == end + timedelta(days=1)
        with pytest.raises(PermissionDenied, match="own grant"):
            await admin.set_member_expiry("adam", end + timedelta(days=9))
        with pytest.raises(PermissionDenied):  # an owner's grant needs members.admin
            await admin.set_member_expiry("olivia", end)
    finally:
        await admin.close()
    ends = {m.name: m.expires_at for m in await owner.list_members()}
    assert (ends["alma"], ends["adam"], ends["olivia"]) == (end + timedelta(days=1), end, None)


async def test_every_call_is_refused_once_the_grant_ends(harness: Harness, owner: Backend) -> None:
    clock = FakeClock(utcnow())
    end = clock.now + timedelta(hours=1)
    await owner.add_member("alma", "auditor", expires_at=end)
    auditor = await harness.open("acme", "alma", "auditor", clock=clock)
    try:
        me = await auditor.whoami()
        assert (me.name, me.role, me.expires_at) == ("alma", "auditor", end)
        for call in CALLS.values():
            await call(auditor)
        clock.advance(timedelta(hours=1) - timedelta(microseconds=1))
        await auditor.list_projects()  # a microsecond left
        clock.advance(timedelta(microseconds=1))  # the grant ends at this very moment
        for name, call in CALLS.items():
            with pytest.raises(PermissionDenied, match=r"'alma'.*'acme' expired at") as refused:
                await call(auditor)
            assert end.strftime("%Y-%m-%d %H:%M UTC") in str(refused.value), name
    finally:
        await auditor.close()
    # an owner extends the grant: the auditor works again
    await owner.set_member_expiry("alma", end + timedelta(days=1))
    again = await harness.open("acme", "alma", "auditor", clock=clock)
    try:
        assert (await again.whoami()).expires_at == end + timedelta(days=1)
        await again.list_projects()
    finally:
        await again.close()
