"""The header shows what is left of a grant that ends (an auditor's), from ``whoami()``,
and nothing of the kind for a grant without end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from coditect_store.store import SqlStore
from coditect_tui.core.models import utcnow
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


async def test_auditor_header_shows_time_left(make_app: AppFactory, tmp_path: Path) -> None:
    owner_app = make_app()  # creates the store, tenant 'acme' and its owner 'alice'
    async with owner_app.run_test(size=(80, 24)) as pilot:
        await settle(owner_app, pilot)
        header = owner_app.query_one(TenantHeader)
        assert header.expires_at is None and "left" not in str(header.render())
    granted = utcnow()
    end = granted + timedelta(days=3, hours=4, minutes=30)
    store = await SqlStore.open_sqlite(tmp_path / "store.db", tenant="acme", principal="alice")
    try:
        await store.add_member("alma", "auditor", expires_at=end)
    finally:
        await store.close()

    app = make_app(role="auditor", extra={"principal": "alma"})
    async with app.run_test(size=(80, 24)) as pilot:
        header = app.query_one(TenantHeader)
        header.clock = lambda: granted
        await settle(app, pilot)
        assert header.expires_at == end
        line = str(header.render())
        assert "auditor · 3d 4h left" in line and "READ-ONLY" in line, line
        header.clock = lambda: end - timedelta(minutes=5)
        assert "auditor · 5m left" in str(header.render())
        header.clock = lambda: end
        assert "auditor · expired left" not in str(header.render())
        assert "auditor · expired" in str(header.render())
