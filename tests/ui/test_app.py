"""Pilot tests of the workspace app on real repos and a real SQLite store."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Static

from coditect_tui.core.git.sessions import SESSION_FILE
from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.screens.dialogs import TextPrompt
from coditect_tui.ui.screens.help import HelpScreen
from coditect_tui.ui.screens.tenant_switcher import TenantSwitcher
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


def _text(app: CoditectApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def _labels(app: CoditectApp) -> dict[str, str]:
    tree = app.query_one(ProjectTree)
    out = {}
    for node in tree._repo_nodes.values():
        label = str(node.label)
        out[label.split("  ")[0]] = label
    return out


async def test_tree_shows_projects_with_glyphs(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        labels = _labels(app)
        assert labels["service-search"].endswith("*2")
        assert labels["service-auth"].endswith("↑1")  # the active session's unpushed commit
        assert labels["service-notify"].endswith("↓1")
        assert labels["experiment-ml"].endswith("⎇")
        assert labels["service-billing"].endswith("✓")
        assert labels["handbook"].endswith("○")
        header = app.query_one(TenantHeader)
        assert (header.tenant, header.role, header.connection) == ("ACME Corp", "owner", "ok")


async def test_selecting_a_repo_shows_its_detail(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(Path(app.profile.workspace_roots[0]) / "service-search"))
        await settle(app, pilot)
        detail = _text(app, "#repo-detail-body")
        assert "Branch    main" in detail and "Upstream  origin/main" in detail
        assert "Modified (1)" in detail and ".M search.py" in detail
        assert "Untracked (1)" in detail and "?? NOTES.txt" in detail
        assert "service-search: initial import" in detail  # recent commits


async def test_keyboard_navigation(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down")  # experiment-ml, platform-master
        await pilot.press("right", "down")  # expand master, its first category
        tree = app.query_one(ProjectTree)
        assert tree.cursor_node is not None and "core/" in str(tree.cursor_node.label)
        await pilot.press("3")
        assert app.query_one("#tabs").active == "sessions"  # type: ignore[attr-defined]


async def test_session_start_commit_end(make_app: AppFactory, workspace: Path) -> None:
    repo = workspace / "service-search"
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"tidy search", "enter")
        await settle(app, pilot)
        assert (repo / SESSION_FILE).exists()
        branch = subprocess.run(
            ["git", "branch", "--show-current"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
        assert branch.startswith("session/") and branch.endswith("-tidy-search")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"search returns a list", "enter")
        await settle(app, pilot)
        log = subprocess.run(
            ["git", "log", "-1", "--format=%s"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
        assert log == "search returns a list"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # "End the session (keep the branch)"
        for _ in range(50):  # the end runs, then the export is offered
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "ChoiceDialog":
                break
        await pilot.press("enter")  # "Write the export"
        await pilot.pause()
        await pilot.press(*"tidied the search", "enter")
        await settle(app, pilot)
        assert not (repo / SESSION_FILE).exists()
        exports = list((repo / "MEMORY-CONTEXT" / "sessions").glob("*Z-tidy-search.md"))
        assert len(exports) == 1 and "tidied the search" in exports[0].read_text()
        await pilot.press("m")  # the memory entries of this repo's latest session
        await settle(app, pilot)
        from coditect_tui.ui.panes.memory import MemoryPane

        shown = app.query_one(MemoryPane).entries
        assert [Path(e.path).name for e in shown] == [exports[0].name]
        assert app.session.backend is not None
        history = (await app.session.backend.list_sessions()).items
        assert [(s.state, s.commit_count) for s in history] == [("ended", 1)]
        events = {
            e.action
            for e in (
                await app.session.backend.query_audit(
                    AuditFilter(resource_type="sessions"), limit=50
                )
            ).items
        }
        assert {"sessions.start", "sessions.commit", "sessions.end"} <= events
        assert "session" not in _labels(app)["service-search"]


async def test_switch_tenant_swaps_everything_and_briefs(
    make_app: AppFactory, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == "coditect-dark"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, TenantSwitcher)
        await pilot.press(*"glob", "enter")
        await settle(app, pilot)
        assert app.profile.name == "globex" and app.theme == "coditect-light"
        assert app.query_one(TenantHeader).tenant == "Globex"
        brief = list(app._notifications)[-1]
        assert brief.title.startswith("Since you were last in Globex")
        assert "First visit: 0 projects, 0 repos." in brief.message
        assert app.screen is app.screen_stack[0]  # a notification: the keys stay the user's
        # something happens in acme while we are away: a commit in another terminal
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", "while away"],
            cwd=workspace / "service-billing",
            check=True,
        )
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"acme", "enter")
        await settle(app, pilot)
        brief = list(app._notifications)[-1]
        assert brief.title.startswith("Since you were last in ACME Corp")
        lines = [line.removeprefix("• ") for line in brief.message.splitlines()]
        assert lines[0] == "New commits: 1"
        assert any(line.startswith("New commits in 1 repo: service-billing") for line in lines)
        assert not any(line.endswith(": 0") for line in lines)  # a zero is no news


async def test_palette_jumps_to_a_repo(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"service-notify")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.selected is not None and app.selected.name == "service-notify"


async def test_help_lists_every_binding_and_keymap_override(make_app: AppFactory) -> None:
    app = make_app(keymap={"app.help": "f1"})
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {
            "app.help",
            "app.switch_tenant",
            "session.start",
            "session.end",
            "repo.fetch",
            "app.quit",
            "tree.expand",
        } <= ids
        assert ("f1", "Help", "app.help", "app") in app.screen.rows
        assert ("^t", "Tenant", "app.switch_tenant", "app") in app.screen.rows


async def test_invalid_theme_falls_back(make_app: AppFactory, isolated_home: Path) -> None:
    themes = isolated_home / "config" / "coditect" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text("name: broken\nprimary: not-a-colour!\n")
    app = make_app(theme="no-such-theme")
    messages: list[str] = []  # every notification, however soon it expires (a slow start)
    shown = app.notify

    def notify(message: str, **options: Any) -> None:
        messages.append(message)
        shown(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == "coditect-dark"
        assert any("broken.yaml:2" in m for m in messages), messages
        assert any("unknown theme 'no-such-theme'" in m for m in messages)


async def test_every_pane_draws_with_no_color(make_app: AppFactory, monkeypatch: object) -> None:
    """NO_COLOR turns Textual's monochrome filter on; a line drawn with no style at all
    used to crash it (the audit table's blank rows)."""
    monkeypatch.setenv("NO_COLOR", "1")  # type: ignore[attr-defined]
    app = make_app()
    assert app.no_color
    async with app.run_test(size=(100, 50)) as pilot:  # taller than the audit log
        await settle(app, pilot)
        for key in ("2", "3", "4", "5", "1"):
            await pilot.press(key)
            await settle(app, pilot)
            await pilot.pause(0.2)
        assert app.query_one("#tabs").active == "repo"  # type: ignore[attr-defined]
        assert app.return_code is None  # still running: nothing raised while drawing
