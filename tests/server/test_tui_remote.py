"""One app session switching between a local tenant and a remote one (a real uvicorn on
127.0.0.1): the consultant's case. The remote tenant's repos are registered through the
API and its header shows the remote principal's role."""

from __future__ import annotations

import json
from pathlib import Path

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.widgets.header import TenantHeader
from tests.pg import run_sync
from tests.server.conftest import ThreadServer, make_tenant, open_db
from tests.ui.conftest import settle, workspace  # noqa: F401  (fixture)


async def test_switch_between_local_and_remote_tenants(
    tmp_path: Path,
    workspace: Path,  # noqa: F811
    thread_server: ThreadServer,
) -> None:
    url, db = thread_server.url, thread_server.db
    tenant = run_sync(lambda: make_tenant(str(db), "client", {"carla": "editor"}))
    token = tmp_path / "client.token"
    token.write_text(tenant.keys["carla"])
    token.chmod(0o600)
    config = tmp_path / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "mine",
                        "principal": "carla",
                        "backend": {"kind": "local", "path": str(tmp_path / "local.db")},
                        "workspace_roots": [str(workspace)],
                    },
                    {
                        "name": "client",
                        "principal": "carla",
                        "role": "editor",
                        "backend": {"kind": "remote", "url": url, "token_file": str(token)},
                        "workspace_roots": [str(workspace)],
                    },
                ]
            }
        )
    )
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile("mine"), config_path=config, cached_paint=False
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        header = app.query_one(TenantHeader)
        assert (app.session.backend.kind, header.connection, header.role) == (
            "local",
            "ok",
            "owner",
        )
        app.switch_to("client")
        await settle(app, pilot)
        assert app.session.backend is not None and app.session.backend.kind == "remote"
        assert (header.connection, header.role) == ("ok", "editor")
        app.switch_to("mine")
        await settle(app, pilot)
        assert app.session.backend.kind == "local"
    store = await open_db(str(db), "client", "owner")
    try:
        repos = (await store.list_repos(limit=1000)).items
        assert repos and all(r.created_by == "carla" for r in repos)
    finally:
        await store.close()
