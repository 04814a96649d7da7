"""The tenant session tells plugins when it has opened and when a repo's status changes
(a real repo, a real SQLite store, the dispatcher installed as the app installs it)."""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint
from pathlib import Path

from coditect_tui.core.plugins import hub
from coditect_tui.core.plugins.discovery import PluginEntry
from coditect_tui.core.plugins.dispatcher import PluginDispatcher
from coditect_tui.core.settings import load_settings
from coditect_tui.core.tenant.session import TenantSession
from tests.git.helpers import make_remote_and_clone, write_config
from tests.support import plugins as support


def _ours() -> set[threading.Thread]:
    """Our named threads (not the loop's default executor, whose idle threads no one here
    owns)."""
    return {t for t in threading.enumerate() if t.name.startswith("coditect-")}


async def test_tenant_opened_and_status_changes_reach_plugins(tmp_path: Path) -> None:
    _, clone = make_remote_and_clone(tmp_path, "alpha")
    profile = load_settings(write_config(tmp_path, [tmp_path / "work"])).settings.profile("t1")
    support.RECORDED.clear()
    baseline = _ours()
    ep = EntryPoint("observer", "tests.support.plugins:Observer", "coditect.plugins")
    entry = PluginEntry("observer", ep.value, ep.module, None, None, "enabled", ep)
    failures: list[object] = []
    with hub.installed(PluginDispatcher([entry], timeout=5, report=failures.append)):
        session = TenantSession(profile, watch=False)
        try:
            await session.open()
            (clone / "new.txt").write_text("x\n")
            await session.reread(str(clone))
        finally:
            await session.close()
    # closing the dispatcher delivered everything queued, and its threads are gone
    assert failures == [] and _ours() == baseline
    hooks = [hook for hook, _ in support.RECORDED]
    assert hooks[-2:] == ["tenant_opened", "repo_status_changed"]
    assert hooks.count("project_created") == 1  # registering the repo created its project
    opened, changed = support.RECORDED[-2][1], support.RECORDED[-1][1]
    assert (opened.tenant, opened.principal, opened.role, opened.read_only) == (
        "t1",
        "alice",
        "owner",
        False,
    )
    assert (opened.backend, opened.repos) == ("local", 1)
    assert (changed.tenant, changed.repo, changed.name, changed.branch) == (
        "t1",
        str(clone),
        "alpha",
        "main",
    )
    assert changed.dirty and changed.error is None and changed.state != "clean"
