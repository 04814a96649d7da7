"""The app on a remote tenant, live: a teammate's action reaches the audit pane through
the server's events; the header shows the server going away and coming back."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.audit_table import AuditTable
from coditect_tui.ui.widgets.header import TenantHeader
from tests.pg import run_sync
from tests.server.conftest import ThreadServer, make_tenant
from tests.ui.conftest import settle


async def _until(
    pilot: object, app: CoditectApp, check: Callable[[], bool], seconds: float = 20
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        if check():
            return
    raise AssertionError("condition not reached in time")


async def test_teammate_action_and_offline_recovery(
    tmp_path: Path, thread_server: ThreadServer
) -> None:
    tenant = run_sync(
        lambda: make_tenant(str(thread_server.db), "client", {"carla": "admin", "bob": "editor"})
    )
    token = tmp_path / "carla.token"
    token.write_text(tenant.keys["carla"])
    token.chmod(0o600)
    empty = tmp_path / "ws"
    empty.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "client",
                        "principal": "carla",
                        "role": "admin",
                        "backend": {
                            "kind": "remote",
                            "url": thread_server.url,
                            "token_file": str(token),
                            "timeout": 2.0,
                        },
                        "workspace_roots": [str(empty)],
                    }
                ]
            }
        )
    )
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile(), config_path=config, cached_paint=False
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        header = app.query_one(TenantHeader)
        assert header.backend == "remote" and header.connection == "ok"
        await pilot.press("5")
        await settle(app, pilot)
        table = app.query_one(AuditTable)
        # a teammate registers a project through the API
        async with httpx.AsyncClient(base_url=thread_server.url + "/api/v1") as client:
            response = await client.put(
                "/projects",
                json={"name": "teammate-project"},
                headers={"Authorization": f"Bearer {tenant.keys['bob']}", "Idempotency-Key": "k1"},
            )
            assert response.status_code in (200, 201), response.text

        def shows_teammate() -> bool:
            top = table.event_at(0)
            return (
                top is not None
                and top.shown(top.actor) == "bob"
                and top.action == "projects.create"
            )

        await _until(pilot, app, shows_teammate)
        # the server goes away: the header says so; it comes back: recovered by itself
        thread_server.stop()
        await _until(pilot, app, lambda: header.connection.startswith("OFFLINE"))
        thread_server.start()
        await _until(pilot, app, lambda: header.connection == "ok", seconds=30)
