"""The first start without a config builds the demo, and every pane has something real.

No config file, no workspace roots: the app builds the demo workspace in the (isolated)
data dir on its own, then the Memory pane lists the session export the engine's session
produced, the Dashboard lists the conflicted repo under "needs attention", and the
Sessions pane shows the active session of ``service-auth``.
"""

from __future__ import annotations

import asyncio

from textual.widgets import OptionList, Static

from coditect_tui.core.demo import demo_root, is_built
from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.dashboard import DashboardPane
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.panes.projects import ProjectTree
from tests.ui.conftest import screen_text, settle


def first_start() -> CoditectApp:
    """The app as ``coditect`` starts it on a machine without a config file."""
    loaded = load_settings()
    assert not loaded.from_file
    return CoditectApp.for_profile(
        loaded.settings, loaded.settings.profile(), from_file=False, cached_paint=False
    )


async def test_the_first_start_shows_the_demo_in_every_pane() -> None:
    assert not demo_root().exists()
    app = first_start()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        await asyncio.wait_for(app.session.live.wait(), 60)
        await asyncio.wait_for(app.session.memory_ready.wait(), 60)
        await settle(app, pilot)
        assert is_built(demo_root())

        app.action_show_tab("memory")
        await settle(app, pilot)
        memory = app.query_one(MemoryPane)
        assert [e.kind for e in memory.entries] == ["session"]
        assert "round invoice totals" in memory.entries[0].title

        app.action_show_tab("dashboard")
        await settle(app, pilot)
        dashboard = app.query_one(DashboardPane)
        assert dashboard.dashboard is not None
        assert "service-catalog" in [a.name for a in dashboard.dashboard.attention]
        assert app.query_one("#dash-attention", OptionList).option_count >= 1

        tree = app.query_one(ProjectTree)
        assert tree.select_path(str(demo_root() / "service-auth"))
        app.action_show_tab("sessions")
        await settle(app, pilot)
        assert "Active session: refresh tokens" in screen_text(app)
        assert "commits this session: 2   pushes: 1" in screen_text(app)
        assert not app.query_one("#memory-empty", Static).display
