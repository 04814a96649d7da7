"""Repo folders whose names are Textual markup reach the palette as plain text: clicking
or choosing their line jumps to the repo and runs no action, invalid markup does not stop
the search, and the repo detail shows such a name literally (issue [3/8] item 1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import open_palette, screen_text, settle, write_config

CLICK = "n01-[@click=app.quit]click me[_]"
BAD = "odd[b=c:d]"
STYLE = "red[bold red]x"
LATER = "zz-later-repo"
TITLE = "[@click=app.quit]evil [b]client[/b]"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A config with one local tenant whose root holds real repos with hostile names."""
    root = tmp_path / "ws"
    for name in (CLICK, BAD, STYLE, LATER):
        repo = root / name
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    return write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "t",
                "principal": "me",
                "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
                "workspace_roots": [str(root)],
            },
            {
                "name": "other",
                "display_name": TITLE,
                "principal": "me",
                "backend": {"kind": "local", "path": str(tmp_path / "other.db")},
                "workspace_roots": [],
            },
        ],
    )


async def test_hostile_names_are_text_in_the_palette(hostile: Path) -> None:
    settings = load_settings(hostile).settings
    app = CoditectApp.for_profile(settings, settings.profile("t"), config_path=hostile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await open_palette(app, pilot, "n01")  # (not "click": the hostile tenant title has it too)
        assert CLICK in screen_text(app)  # literally, brackets and all
        assert f"{hostile.parent / 'ws' / CLICK}" in screen_text(app)  # the help: the whole path
        await pilot.click(CommandList, offset=(7, 1))  # on "click me" (row 0 is padding)
        await settle(app, pilot)
        assert app.is_running and not isinstance(app.screen, CommandPalette)
        assert app.selected is not None and app.selected.name == CLICK

        await open_palette(app, pilot, "odd")
        assert BAD in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.is_running and app.selected is not None and app.selected.name == BAD
        assert BAD in screen_text(app)  # the repo detail's title and body, literally

        await open_palette(app, pilot, "later")  # invalid markup earlier did not stop the search
        assert LATER in screen_text(app)
        await pilot.press("escape")
        await open_palette(app, pilot, "bold")
        assert STYLE in screen_text(app)


async def test_hostile_tenant_title_is_text_in_the_switcher_and_palette(hostile: Path) -> None:
    settings = load_settings(hostile).settings
    app = CoditectApp.for_profile(settings, settings.profile("t"), config_path=hostile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await open_palette(app, pilot, "evil")
        assert TITLE in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"evil")
        await pilot.pause()
        assert TITLE in screen_text(app)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.is_running and app.tenant == "other"
