"""Opening a tenant whose tier lacks a feature is quiet: the session does not start what
the tier does not include (no refused registration, no refused memory indexing), so the
user sees no error for something they never asked for."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.dashboard import DashboardPane
from tests.ui.conftest import screen_text, settle

AppFactory = Callable[..., CoditectApp]


@pytest.mark.parametrize("tier", ["vendor", "advisor", "auditor"])
async def test_opening_a_narrow_tier_shows_no_error(make_app: AppFactory, tier: str) -> None:
    app = make_app(extra={"tier": tier})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        await app.session.live.wait()
        await app.session.memory_ready.wait()
        await settle(app, pilot)
        for key in "12345":  # every pane loads what the tier includes, and says so otherwise
            await pilot.press(key)
            await settle(app, pilot)
        errors = [str(n.message) for n in app._notifications if n.severity in ("error", "warning")]
        assert errors == [], errors
        if not app.session.has("audit"):  # the pane says so, instead of asking
            assert "not included in this tenant's tier" in screen_text(app)
            return
        assert app.session.backend is not None
        denied = (await app.session.backend.query_audit(AuditFilter(outcome="denied"))).items
        assert [(e.action, e.details) for e in denied] == []


@pytest.mark.parametrize("role", ["editor", "consultant"])
async def test_the_dashboard_asks_nothing_a_role_may_not_read(
    make_app: AppFactory, role: str
) -> None:
    """The dashboard's time section needs the audit log; a role without it is not asked on
    every reload (the backend records each refusal as a denial in the tenant's log)."""
    app = make_app(role=role)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        await app.session.live.wait()
        await pilot.press("2")
        await settle(app, pilot)
        app.query_one(DashboardPane).reload()
        await settle(app, pilot)
        assert app.session.may("READ", "SESSIONS") and not app.session.may("READ", "AUDIT")
    owner = make_app()
    async with owner.run_test(size=(100, 30)) as pilot:
        await settle(owner, pilot)
        assert owner.session is not None and owner.session.backend is not None
        denied = (await owner.session.backend.query_audit(AuditFilter(outcome="denied"))).items
        assert [(e.action, e.details) for e in denied] == []


async def test_a_feature_switched_off_by_a_stored_flag_is_not_started(
    make_app: AppFactory,
) -> None:
    """The app decides features as the backend does, stored overrides included: memory
    switched off for the tenant is not indexed, and its pane says so instead of asking."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None and app.session.backend is not None
        await app.session.live.wait()
        await app.session.backend.set_flag("memory", False)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None and app.session.backend is not None
        await app.session.live.wait()
        await app.session.memory_ready.wait()
        assert not app.session.has("memory") and app.session.has("dashboard")
        await pilot.press("4")
        await settle(app, pilot)
        assert "not included in this tenant's tier" in screen_text(app)
        denied = (await app.session.backend.query_audit(AuditFilter(outcome="denied"))).items
        assert [(e.action, e.details) for e in denied] == []
