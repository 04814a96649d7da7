"""A tenant that is not active, as the app shows it: suspended (every call refused but
the owners' export) gives one notice, a SUSPENDED header and no change keys, and the app
does not go on calling the backend (each refusal would be audited); offboarded is
read-only, said in the header and by each change key."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_store.store import Provision, SqlStore
from coditect_tui.core.tenant import events as ev
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


async def _set_state(db: Path, state: str) -> int:
    """Move 'acme' to ``state`` as a platform administrator acting from 'ops'; return the
    number of audit events 'acme' holds afterwards."""
    ops = await SqlStore.open_sqlite(
        db,
        tenant="ops",
        principal="root",
        platform_admin=True,
        provision=Provision("Ops", "internal", "owner"),
    )
    try:
        if state == "suspended":
            await ops.set_tenant_state("acme", "suspended")
        else:
            await ops.set_tenant_state("acme", "offboarded")
    finally:
        await ops.close()
    return await _events(db)


async def _events(db: Path) -> int:
    """How many audit events 'acme' holds (read with sqlite3: a suspended tenant's store
    refuses the reading)."""
    conn = sqlite3.connect(db)
    try:
        (count,) = conn.execute(
            "SELECT count(*) FROM audit_events WHERE tenant_id = "
            "(SELECT id FROM tenants WHERE name = 'acme')"
        ).fetchone()
    finally:
        conn.close()
    return int(count)


@pytest.mark.parametrize("state", ["suspended", "offboarded"])
async def test_a_tenant_that_is_not_active(
    make_app: AppFactory, tmp_path: Path, state: str
) -> None:
    first = make_app()  # creates the store, tenant 'acme' and its owner 'alice'
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(first, pilot)
    db = tmp_path / "store.db"
    before = await _set_state(db, state)

    app = make_app()
    seen: list[object] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        app.session.subscribe(seen.append)
        line = str(app.query_one(TenantHeader).render())
        assert state.upper() in line, line
        assert app.refusal("session.start") is not None
        assert f"the tenant is {state}" in (app.refusal("session.start") or "")
        shown = [str(n.message) for n in app._notifications]
        if state == "suspended":
            assert app.session.backend is None and "local: unavailable" in line
            assert sum("is suspended" in m for m in shown) == 1, shown
        else:
            assert app.session.backend is not None and "READ-ONLY" in line
        await pilot.press("s")
        await settle(app, pilot)
        assert any("the tenant is" in str(n.message) for n in app._notifications)
        assert not any(isinstance(e, ev.BackendOpened) for e in seen)
    if state == "suspended":  # opening wrote no refusals (nothing but whoami was asked)
        assert await _events(db) == before
