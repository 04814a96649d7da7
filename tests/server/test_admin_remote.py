"""The administration screen over a remote tenant (a real uvicorn on 127.0.0.1): Usage
shows the API calls the server counted against the tier's rate limit, and an
invitation's join line names the tenant API's URL."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.admin import AdminScreen
from tests.pg import run_sync
from tests.server.conftest import ThreadServer, make_tenant
from tests.ui.conftest import screen_text, settle, workspace  # noqa: F401  (fixture)


async def test_remote_usage_shows_api_calls_and_the_join_line_its_url(
    tmp_path: Path,
    workspace: Path,  # noqa: F811
    thread_server: ThreadServer,
) -> None:
    url, db = thread_server.url, thread_server.db
    tenant = run_sync(lambda: make_tenant(str(db), "client", {}, tier="customer_team"))
    token = tmp_path / "client.token"
    token.write_text(tenant.keys["owner"])
    token.chmod(0o600)
    config = tmp_path / "config.yaml"
    profile = {
        "name": "client",
        "principal": "owner",
        "role": "owner",
        "tier": "customer_team",
        "backend": {"kind": "remote", "url": url, "token_file": str(token)},
        "workspace_roots": [str(workspace)],
    }
    config.write_text(json.dumps({"tenants": [profile]}))
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile("client"), config_path=config, cached_paint=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session is not None and app.session.backend is not None
        await pilot.press("A")
        await settle(app, pilot)
        assert isinstance(app.screen, AdminScreen)
        app.screen.query_one("#admin-tabs").active = "usage"  # type: ignore[attr-defined]
        await settle(app, pilot)
        usage = await app.session.backend.usage()
        assert usage.api_calls is not None and usage.api_calls.days[-1].calls > 0
        text = screen_text(app)
        assert "(tier limit 300/min, 432,000/day)" in text and "no API" not in text
        assert "API calls 7 days" in text
        app.screen.query_one("#admin-tabs").active = "invites"  # type: ignore[attr-defined]
        await settle(app, pilot)
        await pilot.press("i", *"nina", "enter")
        await settle(app, pilot)
        await pilot.press("enter")  # viewer
        await settle(app, pilot)
        await pilot.press("enter")  # a membership that does not end
        await settle(app, pilot)
        line = app.screen.query_one(Input).value
        assert line.startswith(f"coditect join {url} cdt_inv_"), line
