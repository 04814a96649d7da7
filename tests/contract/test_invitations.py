"""Invitations on every backend: only owners and admins invite, never above their own
role; the token is shown once, only its hash is stored, it works once and until it
expires (an injected clock, nothing waits); every step is audited."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coditect_tui.core.invitations import INVALID_TOKEN, Joined, token_hash
from coditect_tui.core.models import AuditFilter, utcnow
from tests.contract.harness import FakeClock, Harness


async def _actions(owner: Backend, action: str) -> list[tuple[str, str | None, str]]:
    events = (await owner.query_audit(AuditFilter(action=action), ascending=True)).items
    return [(e.shown(e.actor), e.shown(e.resource_id) or None, e.outcome) for e in events]


async def test_an_invitation_makes_a_member_with_a_key(harness: Harness, owner: Backend) -> None:
    new = await owner.create_invitation("vera", "viewer")
    assert new.token.startswith("cdt_inv_") and new.info.prefix == new.token[:12]
    assert (new.info.name, new.info.role, new.info.created_by) == ("vera", "viewer", "olivia")
    assert [i.id for i in await owner.list_invitations()] == [new.info.id]
    joined = await owner.accept_invitation(new.token)
    assert (joined.tenant.name, joined.principal, joined.role) == ("acme", "vera", "viewer")
    assert joined.key.info.principal == "vera" and joined.key.secret.startswith("cdt_usr_")
    assert {m.name: m.role for m in await owner.list_members()}["vera"] == "viewer"
    assert joined.key.info.id in {k.id for k in await owner.list_api_keys()}
    assert await owner.list_invitations() == []
    assert await _actions(owner, "members.invite") == [("olivia", new.info.id, "ok")]
    assert await _actions(owner, "members.join") == [("vera", "vera", "ok")]
    # single use: the same token again is refused with the one generic message
    with pytest.raises(PermissionDenied) as again:
        await owner.accept_invitation(new.token)
    assert str(again.value) == INVALID_TOKEN
    assert await _actions(owner, "members.join") == [
        ("vera", "vera", "ok"),
        ("vera", "vera", "denied"),
    ]


async def test_only_the_hash_is_stored(harness: Harness, owner: Backend) -> None:
    new = await owner.create_invitation("vera", "viewer")
    stored = json.dumps(harness.snapshot(), default=str)
    assert new.token not in stored
    assert token_hash(new.token) in stored


async def test_unknown_used_revoked_and_expired_look_the_same(harness: Harness) -> None:
    clock = FakeClock(utcnow())
    owner = await harness.open("acme", "olivia", "owner", clock=clock)
    try:
        expiring = await owner.create_invitation("ed", "editor", valid_for=timedelta(hours=2))
        revoked = await owner.create_invitation("rae", "viewer")
        await owner.revoke_invitation(revoked.info.id)
        with pytest.raises(NotFound):
            await owner.revoke_invitation(revoked.info.id)
        assert [i.name for i in await owner.list_invitations()] == ["ed"]
        clock.advance(timedelta(hours=2))  # valid until this very moment: no longer
        assert await owner.list_invitations() == []
        messages = set()
        for token in (expiring.token, revoked.token, "cdt_inv_" + "x" * 43, "nonsense"):
            with pytest.raises(PermissionDenied) as refused:
                await owner.accept_invitation(token)
            messages.add(str(refused.value))
        assert messages == {INVALID_TOKEN}
        assert "ed" not in {m.name for m in await owner.list_members()}
        assert await _actions(owner, "members.invite_revoke") == [("olivia", revoked.info.id, "ok")]
        denied = await _actions(owner, "members.join")
        assert denied == [("ed", "ed", "denied"), ("rae", "rae", "denied")]
    finally:
        await owner.close()


async def test_an_expiring_membership_and_auditors(harness: Harness, owner: Backend) -> None:
    end = utcnow() + timedelta(days=30)
    with pytest.raises(InvalidInput, match="must have an expiry"):
        await owner.create_invitation("alma", "auditor")
    with pytest.raises(InvalidInput, match="before the invitation"):
        await owner.create_invitation("alma", "auditor", expires_at=utcnow() + timedelta(days=1))
    with pytest.raises(InvalidInput, match="at most 90 days"):
        await owner.create_invitation("alma", "viewer", valid_for=timedelta(days=91))
    new = await owner.create_invitation("alma", "auditor", expires_at=end)
    assert new.info.expires_at == end
    joined = await owner.accept_invitation(new.token)
    assert (joined.role, joined.expires_at) == ("auditor", end)
    assert joined.key.secret.startswith("cdt_aud_") and joined.key.info.expires_at == end
    assert {m.name: m.expires_at for m in await owner.list_members()}["alma"] == end


async def test_who_may_invite_and_to_which_role(harness: Harness, owner: Backend) -> None:
    with pytest.raises(Conflict):
        await owner.create_invitation("olivia", "viewer")
    await owner.create_invitation("pat", "viewer")
    with pytest.raises(Conflict, match="pending invitation"):
        await owner.create_invitation("pat", "editor")
    owner_invite = await owner.create_invitation("otto", "owner")
    await owner.add_member("adam", "admin")
    for role in ("viewer", "editor", "consultant", "support"):
        who = await harness.open("acme", f"some-{role}", role)
        try:
            with pytest.raises(PermissionDenied):
                await who.create_invitation(f"x-{role}", "viewer")
            with pytest.raises(PermissionDenied):
                await who.list_invitations()
        finally:
            await who.close()
    admin = await harness.open("acme", "adam", "admin")
    try:
        await admin.create_invitation("eve", "editor")
        for role in ("admin", "owner"):
            with pytest.raises(PermissionDenied):
                await admin.create_invitation(f"x-{role}", role)
        with pytest.raises(PermissionDenied):  # an invitation to owner needs members.admin
            await admin.revoke_invitation(owner_invite.info.id)
        assert {i.name for i in await admin.list_invitations()} == {"pat", "otto", "eve"}
    finally:
        await admin.close()
    refusals = [
        (actor, target)
        for actor, target, outcome in await _actions(owner, "members.invite")
        if outcome == "denied"
    ]
    assert ("some-viewer", "x-viewer") in refusals
    assert ("adam", "x-admin") in refusals and ("adam", "x-owner") in refusals


async def test_two_joins_at_once_make_one_member(harness: Harness, owner: Backend) -> None:
    new = await owner.create_invitation("vera", "viewer")
    other = await harness.open("acme", "olivia", "owner")
    try:
        results = await asyncio.gather(
            owner.accept_invitation(new.token),
            other.accept_invitation(new.token),
            return_exceptions=True,
        )
    finally:
        await other.close()
    joined = [r for r in results if isinstance(r, Joined)]
    refused = [r for r in results if isinstance(r, PermissionDenied)]
    assert len(joined) == 1 and len(refused) == 1, results
    keys = [k for k in await owner.list_api_keys() if k.principal == "vera"]
    assert [k.id for k in keys] == [joined[0].key.info.id]
