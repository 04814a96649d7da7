"""The app's plugins: installed when the first tenant opens, told that it opened, a
raising plugin said once as a notification, everything stopped when the app exits."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from coditect_tui.core.plugins import hub
from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from tests.git.helpers import make_remote_and_clone
from tests.plugins.sites import declare
from tests.support import plugins as support
from tests.ui.conftest import opened, settle, write_config


def _plugin_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("coditect-plugin")]


async def test_the_app_runs_plugins_and_says_a_failure_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    declare(
        site,
        "coditect-app-plugins",
        {"observer": "tests.support.plugins:Observer", "raiser": "tests.support.plugins:Raiser"},
    )
    monkeypatch.syspath_prepend(str(site))
    support.RECORDED.clear()
    support.Raiser.calls = 0
    make_remote_and_clone(tmp_path, "alpha")
    tenant = {
        "name": "acme",
        "principal": "alice",
        "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
        "workspace_roots": [str(tmp_path / "work")],
    }
    config = write_config(tmp_path / "config.yaml", [tenant], plugins={"timeout": 5})
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile("acme"), config_path=config, cached_paint=False
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        with support.RECORDED_MORE:
            assert support.RECORDED_MORE.wait_for(
                lambda: any(h == "tenant_opened" for h, _ in support.RECORDED), 30
            )
        for _ in range(200):  # the failure comes back through the event loop
            await pilot.pause()
            if any(n.title == "Plugin disabled" for n in app._notifications):
                break
        await pilot.press("r")  # a refresh: a new session, the same plugins
        await opened(app, pilot)
        await settle(app, pilot)
        said = [n.message for n in app._notifications if n.title == "Plugin disabled"]
        assert said == [
            "plugin 'raiser' disabled for this session: audit_appended raised RuntimeError: "
            "boom on tenants.create"
        ]
        assert support.Raiser.calls == 1
    opens = [e for h, e in support.RECORDED if h == "tenant_opened"]
    assert [(e.tenant, e.principal, e.repos) for e in opens] == [("acme", "alice", 1)] * 2
    await asyncio.sleep(0)
    assert hub._active is None and not _plugin_threads()
