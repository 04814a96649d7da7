"""The demo's git sessions are in the store, and `g` on its export finds its session.

First start without a config (the isolated data dir of tests/conftest.py): the app builds
the demo and records the sessions the engine ran, as ``coditect session`` does; the
Dashboard counts the active one, the Sessions pane lists the project's history, and the
Memory pane's ``g`` goes from the session export to its git session. At 80x24.
"""

from __future__ import annotations

import asyncio
import re

from coditect_tui.core.demo import demo_root
from coditect_tui.core.git.sessions import read_session
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.dashboard import DashboardPane
from coditect_tui.ui.panes.memory import MemoryPane
from coditect_tui.ui.widgets.pane_tabs import PaneTabs
from tests.ui.conftest import screen_lines, screen_text, settle
from tests.ui.test_demo_first_start import first_start


async def _first_start_opened(app: CoditectApp, pilot: object) -> None:
    await settle(app, pilot)
    assert app.session is not None
    await asyncio.wait_for(app.session.live.wait(), 60)
    await asyncio.wait_for(app.session.memory_ready.wait(), 60)
    await settle(app, pilot)


async def test_the_demos_sessions_are_counted_and_listed() -> None:
    app = first_start()
    async with app.run_test(size=(80, 24)) as pilot:
        await _first_start_opened(app, pilot)
        active = read_session(demo_root() / "service-auth")
        assert active is not None

        app.action_show_tab("dashboard")
        await settle(app, pilot)
        dashboard = app.query_one(DashboardPane).dashboard
        assert dashboard is not None and dashboard.kpis is not None
        assert dashboard.kpis.active_sessions == 1  # service-auth's, as git has it
        kpi_rows = [line for line in screen_lines(app) if "avg health" in line]
        assert len(kpi_rows) == 1 and re.search(r"\b1 session\b", kpi_rows[0]), kpi_rows

        app.jump_to(str(demo_root() / "service-billing"))
        app.action_show_tab("sessions")
        await settle(app, pilot)
        text = screen_text(app)
        assert "No active session in this repo." in text
        history = "\n".join(screen_lines(app)).split("History (this project)")[1]
        assert "round invoice" in history and "ended" in history

        app.jump_to(str(demo_root() / "service-auth"))
        await settle(app, pilot)
        history = "\n".join(screen_lines(app)).split("History (this project)")[1]
        assert "refresh" in history and "active" in history
        assert f"id {active.session_id}" in screen_text(app)


async def test_g_on_the_demos_export_jumps_to_its_git_session() -> None:
    app = first_start()
    async with app.run_test(size=(80, 24)) as pilot:
        await _first_start_opened(app, pilot)
        app.jump_to(str(demo_root() / "service-search"))  # somewhere else first
        app.action_show_tab("memory")
        await settle(app, pilot)
        memory = app.query_one(MemoryPane)
        assert [e.kind for e in memory.entries] == ["session"]
        before = len(app._notifications)
        await pilot.press("g")
        await settle(app, pilot)
        warnings = [n.message for n in list(app._notifications)[before:]]
        assert warnings == []
        assert app.query_one(PaneTabs).active == "sessions"
        # both demo sessions may start in the same second (one key): the export's repo wins
        assert app.selected is not None and app.selected.path == str(
            demo_root() / "service-billing"
        )
        assert "service-billing" in screen_text(app) and "round invoice" in screen_text(app)
