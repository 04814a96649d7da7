"""The administration screen: an owner adds a member, changes their role and grant,
creates and revokes a key (its secret shown once) and removes the member, invites and
withdraws an invitation (its join line shown once), sets and clears a feature flag, each
through the backend and audited; usage shows the tenant's real counts (and that a local
store has no API to count); a role that may not administer is told so at once, and the
backend refuses it anyway. The screen at 80x24 and 120x40 is a snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from textual.widgets import DataTable, Input, OptionList

from coditect_tui.core.models import AuditFilter
from coditect_tui.core.webhooks import WebhookSpec
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.admin import AdminScreen
from tests.ui.conftest import opened, screen_text, settle

AppFactory = Callable[..., CoditectApp]


async def _type(pilot: object, text: str) -> None:
    await pilot.press(*text, "enter")  # type: ignore[attr-defined]


def _rows(app: CoditectApp, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def _open_admin(app: CoditectApp, pilot: object) -> AdminScreen:
    """Press A and wait for the screen's first load (not for a number of frames: under
    load its mount can come after the workers were looked at)."""
    await pilot.press("A")  # type: ignore[attr-defined]
    for _ in range(500):
        if isinstance(app.screen, AdminScreen):
            break
        await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen
    assert isinstance(screen, AdminScreen)
    await asyncio.wait_for(screen.loaded.wait(), 60)
    await settle(app, pilot)
    return screen


async def test_an_owner_manages_members_and_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        assert app.session is not None and app.session.backend is not None
        backend = app.session.backend
        await _open_admin(app, pilot)
        assert [row[:2] for row in _rows(app, "admin-members")] == [["alice", "owner"]]
        # add bob as an editor, then make him a viewer with a grant that ends
        await pilot.press("a")
        await _type(pilot, "bob")
        await pilot.pause()
        await pilot.press("down", "enter")  # the second role offered
        await settle(app, pilot)
        roles = {m.name: m.role for m in await backend.list_members()}
        assert set(roles) == {"alice", "bob"}
        assert [row[:2] for row in _rows(app, "admin-members")][1][0] == "bob"
        # the last recorded action: alice just added bob; bob has done nothing yet
        assert [row[4] for row in _rows(app, "admin-members")] == [date.today().isoformat(), "—"]
        app.screen.query_one("#admin-members", DataTable).move_cursor(row=1)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # the first role offered: viewer
        await settle(app, pilot)
        assert {m.name: m.role for m in await backend.list_members()}["bob"] == "viewer"
        ends = (date.today() + timedelta(days=60)).isoformat()  # within the ten-year bound
        await pilot.press("e")
        await _type(pilot, ends)
        await settle(app, pilot)
        bob = next(m for m in await backend.list_members() if m.name == "bob")
        assert bob.expires_at is not None and bob.expires_at.date().isoformat() == ends
        assert _rows(app, "admin-members")[1][2] == ends
        # a bad date: one line, nothing changed
        await pilot.press("e")
        await _type(pilot, "next week")
        await settle(app, pilot)
        assert "not a date of the form YYYY-MM-DD" in screen_text(app)
        # a new key: its secret is shown once, in the dialog, and listed by prefix only
        app.screen.query_one("#admin-tabs").active = "keys"  # type: ignore[attr-defined]
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        shown = app.screen.query_one(Input).value
        keys = await backend.list_api_keys()
        assert len(keys) == 1 and shown.startswith(keys[0].prefix) and len(shown) > 20
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, AdminScreen)
        assert shown not in screen_text(app)
        await pilot.press("x")
        await _type(pilot, "revoke")
        await settle(app, pilot)
        assert (await backend.list_api_keys())[0].revoked_at is not None
        assert _rows(app, "admin-keys")[0][-1] == "revoked"
        # usage: the tenant's own counts
        app.screen.query_one("#admin-tabs").active = "usage"  # type: ignore[attr-defined]
        await settle(app, pilot)
        usage = await backend.usage()
        text = screen_text(app)
        assert f"Members            {usage.members}" in text
        assert f"Repos              {usage.repos:,}" in text
        assert usage.api_calls is None and "API calls          no API: local store" in text
        # remove bob: the name must be typed
        app.screen.query_one("#admin-tabs").active = "members"  # type: ignore[attr-defined]
        await settle(app, pilot)
        app.screen.query_one("#admin-members", DataTable).move_cursor(row=1)
        await pilot.press("x")
        await _type(pilot, "bo")
        await pilot.pause()
        assert {m.name for m in await backend.list_members()} == {"alice", "bob"}
        await pilot.press("backspace", "backspace", *"bob", "enter")
        await settle(app, pilot)
        assert {m.name for m in await backend.list_members()} == {"alice"}
        events = (await backend.query_audit(AuditFilter(resource_type="members"))).items
        actions = [e.action for e in events]
        for done in ("members.create", "members.update", "members.expiry", "members.delete"):
            assert done in actions, actions
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, AdminScreen)


async def test_a_role_that_may_not_administer_is_told_at_once(make_app: AppFactory) -> None:
    app = make_app(role="editor")
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        await pilot.press("A")
        await settle(app, pilot)
        assert not isinstance(app.screen, AdminScreen)
        notes = [str(n.message) for n in app._notifications]
        assert any("you can't administer members and keys" in n for n in notes), notes
    owner = make_app()
    async with owner.run_test(size=(100, 30)) as pilot:
        await settle(owner, pilot)
        assert owner.session is not None and owner.session.backend is not None
        denied = await owner.session.backend.query_audit(AuditFilter(outcome="denied"))
        assert [e.action for e in denied.items] == ["members.admin"]


async def test_hostile_member_names_are_shown_as_text(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        assert app.session is not None and app.session.backend is not None
        await app.session.backend.add_member("[@click=app.quit]x", "viewer")
        await _open_admin(app, pilot)
        assert "[@click=app.quit]x" in screen_text(app)
        await pilot.click("#admin-members", offset=(3, 2))
        await settle(app, pilot)
        assert app.is_running and isinstance(app.screen, AdminScreen)


async def test_webhooks_are_listed_and_removed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        assert app.session is not None and app.session.backend is not None
        backend = app.session.backend
        await backend.add_webhook(
            WebhookSpec(url="https://hooks.example.com/[b]in", events=["members.*"])
        )
        await _open_admin(app, pilot)
        app.screen.query_one("#admin-tabs").active = "hooks"  # type: ignore[attr-defined]
        await settle(app, pilot)
        assert _rows(app, "admin-hooks") == [
            ["https://hooks.example.com/[b]in", "members.*", "on", "0", date.today().isoformat()]
        ]
        await pilot.press("x")
        await _type(pilot, "remove")
        await settle(app, pilot)
        assert await backend.list_webhooks() == []
        assert _rows(app, "admin-hooks") == []


async def _admin_tab(app: CoditectApp, pilot: object, tab: str) -> None:
    screen = await _open_admin(app, pilot)
    screen.query_one("#admin-tabs").active = tab  # type: ignore[attr-defined]
    await settle(app, pilot)


async def _invite(app: CoditectApp, pilot: object, name: str, ends: str) -> None:
    """Invite ``name`` as a viewer (the first role offered) until ``ends``."""
    await pilot.press("i")  # type: ignore[attr-defined]
    await _type(pilot, name)
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await _type(pilot, ends)
    await settle(app, pilot)


async def test_an_owner_invites_and_withdraws_an_invitation(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        assert app.session is not None and app.session.backend is not None
        backend = app.session.backend
        await _admin_tab(app, pilot, "invites")
        ends = (date.today() + timedelta(days=60)).isoformat()
        await _invite(app, pilot, "[b]dana", ends)
        # the join line is shown once, to copy; only the token's prefix is kept
        shown = app.screen.query_one(Input).value
        (pending,) = await backend.list_invitations()
        assert (pending.name, pending.role, pending.created_by) == ("[b]dana", "viewer", "alice")
        assert pending.expires_at is not None and pending.expires_at.date().isoformat() == ends
        assert shown.startswith("coditect join <tenant API URL> cdt_inv_")
        token = shown.split()[-1]
        assert token.startswith(pending.prefix) and len(token) > 40
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, AdminScreen) and token not in screen_text(app)
        today = date.today().isoformat()
        valid = pending.valid_until.astimezone().date().isoformat()
        assert _rows(app, "admin-invites") == [["[b]dana", "viewer", ends, valid, "alice", today]]
        # the same name again: the backend's refusal in one line, nothing more stored
        await _invite(app, pilot, "[b]dana", "")
        assert "already has a pending invitation" in screen_text(app)
        assert len(await backend.list_invitations()) == 1
        # withdraw it: "withdraw" must be typed
        await pilot.press("x")
        await _type(pilot, "withdraw")
        await settle(app, pilot)
        assert await backend.list_invitations() == []
        assert _rows(app, "admin-invites") == []
        events = (await backend.query_audit(AuditFilter(resource_type="members"))).items
        actions = [e.action for e in events]
        assert "members.invite" in actions and "members.invite_revoke" in actions


async def _choose(app: CoditectApp, pilot: object, option: str) -> None:
    """Pick ``option`` in the choice dialog on top."""
    options = app.screen.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(option)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(app, pilot)


async def _set_flag(app: CoditectApp, pilot: object, feature: str, state: str, who: str) -> None:
    await pilot.press("s")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await _choose(app, pilot, feature)
    await _choose(app, pilot, state)
    await _type(pilot, who)
    await settle(app, pilot)


async def test_an_owner_sets_and_clears_a_feature_flag(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        assert app.session is not None and app.session.backend is not None
        backend = app.session.backend
        await backend.add_member("bob", "editor")
        await _admin_tab(app, pilot, "flags")
        # a member who does not exist: the backend's refusal in one line, nothing stored
        await _set_flag(app, pilot, "memory", "off", "ghost")
        assert "member 'ghost' not found" in screen_text(app)
        assert await backend.list_flags() == []
        # memory off for bob
        await _set_flag(app, pilot, "memory", "off", "bob")
        flags = await backend.list_flags()
        assert [(f.feature, f.stakeholder, f.enabled) for f in flags] == [("memory", "bob", False)]
        today = date.today().isoformat()
        assert _rows(app, "admin-flags") == [["memory", "bob", "off", "alice", today]]
        # the whole tenant: the prompt offers the selected row's member; emptied, the tenant
        await pilot.press("s")
        await pilot.pause()
        await _choose(app, pilot, "memory")  # the selected row's feature, offered first
        await _choose(app, pilot, "on")
        assert app.screen.query_one(Input).value == "bob"
        await pilot.press("ctrl+u")  # clear the line
        await pilot.press("enter")
        await settle(app, pilot)
        flags = await backend.list_flags()
        assert [(f.stakeholder, f.enabled) for f in flags] == [(None, True), ("bob", False)]
        # clear bob's: the feature must be typed
        app.screen.query_one("#admin-flags", DataTable).move_cursor(row=1)
        await pilot.press("x")
        await _type(pilot, "memory")
        await settle(app, pilot)
        assert [f.stakeholder for f in await backend.list_flags()] == [None]
        events = (await backend.query_audit(AuditFilter(resource_type="members"))).items
        actions = [e.action for e in events]
        assert actions.count("members.flag_set") == 2 and "members.flag_clear" in actions


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_admin_screen_snapshot(
    snap_compare: Callable[..., bool], make_app: AppFactory, size: tuple[int, int]
) -> None:
    """The Usage tab (its counts are the demo's; the other tabs show today's dates)."""
    app = make_app()

    async def run_before(pilot: object) -> None:
        await opened(app, pilot)
        await _admin_tab(app, pilot, "usage")

    assert snap_compare(app, terminal_size=size, run_before=run_before)
