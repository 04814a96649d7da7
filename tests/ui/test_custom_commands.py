"""Custom commands in the app (Pilot): the palette runs one, a key runs one after the
confirm dialog, a panel shows the output as text, read-only leaves the mutating one out
and its key is refused by the backend and audited; the built-in key table stays in step."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.widgets import Static

from coditect_tui.core.custom_commands.keys import BUILTIN_KEYS
from coditect_tui.core.models import AuditFilter
from coditect_tui.core.settings import load_settings
from coditect_tui.ui.actions import ACTIONS
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.custom_commands import CommandOutput
from coditect_tui.ui.screens.dialogs import ChoiceDialog
from tests.store.helpers import open_store
from tests.ui.conftest import open_palette, opened, screen_text, settle, write_config

REPO = "$(touch pwned)"
BRANCH = ";touch${IFS}pwned"
PROBE = "[@click=app.quit]probe"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    repo = tmp_path / "ws" / REPO
    repo.mkdir(parents=True)
    for argv in (
        ["init", "-q", "-b", "main"],
        ["commit", "-q", "--allow-empty", "-m", "init"],
        ["checkout", "-q", "-b", BRANCH],
    ):
        subprocess.run(["git", "-C", str(repo), *argv], check=True)
    subprocess.run(["git", "init", "-q", str(tmp_path / "ws" / "plain")], check=True)
    return write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "t",
                "principal": "me",
                "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
                "workspace_roots": [str(tmp_path / "ws")],
            }
        ],
        commands=[
            {
                "name": PROBE,
                "mutating": False,
                "output": "panel",
                "command": ["sh", "-c", "printf '%s|%s' {repo} {branch}"],
            },
            {
                "name": "each",
                "scope": "selection",
                "mutating": False,
                "output": "panel",
                "command": ["sh", "-c", "printf 'in:%s' {repo}"],
            },
            {
                "name": "mark",
                "key": "z",
                "confirm": True,
                "command": ["touch", "{path}/marker"],
            },
        ],
    )


def _app(config: Path, *, read_only: bool = False) -> CoditectApp:
    settings = load_settings(config).settings
    return CoditectApp.for_profile(
        settings, settings.profile("t"), read_only=read_only, config_path=config
    )


async def _until(pilot: object, done: object) -> None:
    for _ in range(400):
        if done():  # type: ignore[operator]
            return
        await pilot.pause()  # type: ignore[attr-defined]
    raise AssertionError("the app never got there")


async def _events(db: Path) -> list[tuple[str, str | None]]:
    from coditect_store.base import Provision

    store = await open_store(
        db, tenant="t", principal="me", provision=Provision("t", "internal", "owner")
    )
    try:
        items = (await store.query_audit(AuditFilter(action="repos.command"))).items
    finally:
        await store.close()
    return [(e.outcome, e.details.get("command")) for e in sorted(items, key=lambda e: e.seq)]


async def test_run_from_the_palette_and_by_key(config: Path, tmp_path: Path) -> None:
    repo = tmp_path / "ws" / REPO
    app = _app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        await open_palette(app, pilot, "probe")
        assert f"Run: {PROBE}" in screen_text(app)  # the name literally, not markup
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, CommandOutput))
        shown = str(app.screen.query_one("#command-output", Static).render())
        assert f"{REPO}|{BRANCH}" in shown and "1 ok" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running

        await pilot.press("z")
        await _until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        assert not (repo / "marker").exists()  # nothing before the confirmation
        await pilot.press("enter")  # the first choice: Run
        await _until(pilot, lambda: (repo / "marker").exists())
        await settle(app, pilot)
        titles = [n.title for n in app._notifications]
        assert "mark: 1 ok" in titles, titles  # output: notify
    assert not [p for p in tmp_path.rglob("pwned")]
    assert await _events(tmp_path / "store.db") == [("ok", PROBE), ("ok", "mark")]


async def test_read_only_hides_and_refuses_the_mutating_command(
    config: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "ws" / REPO
    await (await open_store(tmp_path / "store.db", tenant="t", principal="me")).close()
    app = _app(config, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        await open_palette(app, pilot, "Run")
        text = screen_text(app)
        assert f"Run: {PROBE}" in text and "Run: mark" not in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("z")
        await settle(app, pilot)
        assert not isinstance(app.screen, ChoiceDialog)
        messages = [n.message for n in app._notifications]
        assert any("run mark" in m for m in messages), messages
        await open_palette(app, pilot, "probe")  # a command that changes nothing runs,
        await pilot.press("enter")  # and is audited like every run
        await _until(pilot, lambda: isinstance(app.screen, CommandOutput))
    assert not (repo / "marker").exists()
    assert await _events(tmp_path / "store.db") == [("denied", None), ("ok", PROBE)]


async def test_scope_selection_runs_in_every_marked_repo(config: Path, tmp_path: Path) -> None:
    app = _app(config)
    async with app.run_test(size=(120, 36)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(tmp_path / "ws" / "plain"))
        await settle(app, pilot)
        await open_palette(app, pilot, "Run: each")  # nothing marked: the current repo
        await pilot.press("enter")
        await settle(app, pilot)  # the run's worker, however slow the machine
        await _until(pilot, lambda: isinstance(app.screen, CommandOutput))
        shown = str(app.screen.query_one("#command-output", Static).render())
        assert "in:plain" in shown and REPO not in shown and "1 ok" in shown
        await pilot.press("escape")
        await pilot.press("6", "space", "space")  # mark both rows of the Repos pane
        await settle(app, pilot)
        assert len(app.selection) == 2
        await open_palette(app, pilot, "Run: each")
        await pilot.press("enter")
        await settle(app, pilot)  # the run's worker, however slow the machine
        await _until(pilot, lambda: isinstance(app.screen, CommandOutput))
        shown = str(app.screen.query_one("#command-output", Static).render())
        assert "in:plain" in shown and f"in:{REPO}" in shown and "2 ok" in shown
    assert not [p for p in tmp_path.rglob("pwned")]


def test_every_builtin_key_belongs_to_an_action_of_the_app() -> None:
    assert {a.binding_id: a.key for a in ACTIONS} == BUILTIN_KEYS
