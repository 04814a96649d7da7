"""Read-only follows the role in the tenant opened (ctrl+t), and --read-only holds everywhere.

Tenant 'acme' is opened in the role the test gives it, 'globex' as its owner (see
``make_app``). The previous tenant's role must not carry over a switch in either direction.
"""

from __future__ import annotations

from collections.abc import Callable

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.tenant_switcher import TenantSwitcher
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]

AUDITOR_REFUSAL = "Read-only: you can't commit in git sessions in this tenant (auditor role)."


async def _prepare_store(make_app: AppFactory) -> None:
    """Open both tenants once read-write so the store and the registrations exist."""
    for tenant in ("acme", "globex"):
        app = make_app(tenant=tenant)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)


async def _switch(app: CoditectApp, pilot: object, name: str) -> None:
    await pilot.press("ctrl+t")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, TenantSwitcher)
    await pilot.press(*name, "enter")  # type: ignore[attr-defined]
    await settle(app, pilot)
    assert app.profile is not None and app.profile.name == name
    assert app.session is not None and app.session.principal is not None


def _header_says_read_only(app: CoditectApp) -> bool:
    header = app.query_one(TenantHeader)
    return header.read_only and "READ-ONLY" in str(header.render())


async def test_auditor_switching_to_a_tenant_they_own_may_write(make_app: AppFactory) -> None:
    await _prepare_store(make_app)
    app = make_app(role="auditor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.read_only and _header_says_read_only(app)
        assert app.refusal("session.commit") == AUDITOR_REFUSAL
        await _switch(app, pilot, "globex")
        assert not app.read_only and not _header_says_read_only(app)
        assert app.session is not None and not app.session.read_only
        assert app.session.principal is not None and app.session.principal.role == "owner"
        assert app.refusal("session.commit") is None
        assert app.refusal("session.start") is None
        await _switch(app, pilot, "acme")  # and back: read-only again
        assert app.read_only and _header_says_read_only(app)
        assert app.refusal("session.commit") == AUDITOR_REFUSAL


async def test_owner_switching_to_a_tenant_where_they_audit_becomes_read_only(
    make_app: AppFactory,
) -> None:
    await _prepare_store(make_app)
    app = make_app(role="auditor", tenant="globex")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.read_only and not _header_says_read_only(app)
        assert app.refusal("session.commit") is None
        await _switch(app, pilot, "acme")
        assert app.read_only and _header_says_read_only(app)
        assert app.session is not None and app.session.read_only
        assert app.refusal("session.commit") == AUDITOR_REFUSAL
        await _switch(app, pilot, "globex")
        assert not app.read_only and app.refusal("session.commit") is None


async def test_read_only_flag_holds_in_every_tenant(make_app: AppFactory) -> None:
    await _prepare_store(make_app)
    app = make_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.read_only and _header_says_read_only(app)
        said = (
            "Read-only: you can't commit in git sessions in this tenant (started with --read-only)."
        )
        assert app.refusal("session.commit") == said
        await _switch(app, pilot, "globex")
        assert app.read_only and _header_says_read_only(app)
        assert app.session is not None and app.session.read_only
        assert app.refusal("session.commit") == said
