"""A tier refusal in the app is a clear notice, said at once from the backends' policy and
recorded as denied by the backend."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from coditect_tui.core.git.sessions import SESSION_FILE
from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.dialogs import TextPrompt
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


async def test_a_tier_refusal_is_a_notice(make_app: AppFactory, workspace: Path) -> None:
    # the auditor tier has no git_sessions (nor projects): the owner's role would allow both
    repo = workspace / "service-search"
    app = make_app(extra={"tier": "auditor"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        app.action_session_start()
        prompted = False
        for _ in range(100):  # turns of the loop, not time: a refusal comes before the prompt
            await pilot.pause()
            prompted = isinstance(app.screen, TextPrompt)
            if prompted or not [w for w in app.workers if w.is_running and w.group != "watch"]:
                break
        if prompted:
            await pilot.press("escape")
        await settle(app, pilot)
        assert not prompted, "session start was not refused before asking for a description"
        notices = [str(n.message) for n in app._notifications]
        assert (
            "Not in this tenant's tier: you can't start git sessions (auditor has no git sessions)."
            in notices
        ), notices
        assert app.session.backend is not None
        denied = (await app.session.backend.query_audit(AuditFilter(outcome="denied"))).items
        assert "sessions.start" in {e.action for e in denied}
    assert not (repo / SESSION_FILE).exists()
    branch = subprocess.run(
        ["git", "branch", "--show-current"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    assert branch == "main"
