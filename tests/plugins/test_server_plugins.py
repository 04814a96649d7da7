"""Plugins in the tenant API: a real uvicorn on 127.0.0.1 whose store announces each
committed audit event and created project; a raising plugin is one log line, and requests
go on without it; stopping the server stops the plugins' threads."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import httpx
import pytest

from coditect_tui.core.plugins import hub
from coditect_tui.core.settings import PluginSettings
from tests.pg import run_sync
from tests.plugins.sites import declare
from tests.server.conftest import ThreadServer, make_tenant
from tests.support import plugins as support


def _plugin_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("coditect-plugin")]


def test_the_server_tells_plugins_of_projects_and_audit_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    site = tmp_path / "site"
    declare(
        site,
        "coditect-server-plugins",
        {"recorder": "tests.support.plugins:Recorder", "raiser": "tests.support.plugins:Raiser"},
    )
    monkeypatch.syspath_prepend(str(site))  # found through real entry points, in-process
    support.RECORDED.clear()
    support.Raiser.calls = 0
    db = tmp_path / "server.db"
    key = run_sync(lambda: make_tenant(str(db), "acme", {})).keys["owner"]
    server = ThreadServer(db, plugins=PluginSettings(timeout=5))
    caplog.set_level(logging.ERROR, logger="coditect_server.plugins")
    server.start()
    try:
        assert hub._active is not None and not _plugin_threads()  # none before an event
        with httpx.Client(
            base_url=f"{server.url}/api/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ) as client:
            made = client.put("/projects", json={"name": "alpha"})
            assert made.status_code in (200, 201), made.text
            with support.RECORDED_MORE:
                assert support.RECORDED_MORE.wait_for(lambda: len(support.RECORDED) >= 2, 30)
            assert client.put("/projects", json={"name": "beta"}).status_code in (200, 201)
            with support.RECORDED_MORE:
                assert support.RECORDED_MORE.wait_for(lambda: len(support.RECORDED) >= 4, 30)
            audit = client.post("/audit/query", json={"limit": 100}).json()["items"]
    finally:
        server.stop()
    assert server.thread is not None and not server.thread.is_alive()
    creations = [e for e in audit if e["action"] == "projects.create"]
    assert {e["names"][e["actor"]] for e in creations} == {"owner"}  # the chain holds its id
    pairs = sorted((e["seq"], e["actor"]) for e in creations)
    assert [(h, type(e).__name__) for h, e in support.RECORDED] == [
        ("audit_appended", "AuditAppended"),
        ("project_created", "ProjectCreated"),
    ] * 2
    told = [e for h, e in support.RECORDED if h == "audit_appended"]
    assert [(e.tenant, e.seq, e.action, e.actor) for e in told] == [
        ("acme", seq, "projects.create", actor) for seq, actor in pairs
    ]
    created = support.RECORDED[1][1]
    assert (created.tenant, created.name, created.project_id) == (
        "acme",
        "alpha",
        made.json()["id"],
    )
    assert support.Raiser.calls == 1  # disabled after its first error
    lines = [r.getMessage() for r in caplog.records if r.name == "coditect_server.plugins"]
    assert lines == [
        "plugin 'raiser' disabled for this session: audit_appended raised RuntimeError: "
        "boom on projects.create"
    ]
    assert hub._active is None and not _plugin_threads()
