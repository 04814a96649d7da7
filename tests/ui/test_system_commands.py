"""Textual's system commands as this app offers them: the theme picker (the project's
themes only, all at once, saved for the next start), the palette's Screenshot (saved where
it can be, the path said) and ctrl+c (plain words, never raw markup)."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]
PROJECT_THEMES = ["acme-brand", "coditect-dark", "coditect-high-contrast", "coditect-light"]


def _messages(app: CoditectApp) -> list[str]:
    return [n.message for n in app._notifications]


async def _palette_rows(app: CoditectApp, pilot: object) -> list[str]:
    await pilot.pause(0.5)  # type: ignore[attr-defined]
    assert isinstance(app.screen, CommandPalette)
    rows = app.screen.query_one(CommandList)
    return [str(rows.get_option_at_index(i).prompt) for i in range(rows.option_count)]


async def test_ctrl_c_says_how_to_quit_in_plain_words(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert _messages(app)[-1] == "Press ctrl+q to quit."
        assert app.return_code is None


async def test_theme_picker_lists_every_project_theme_and_saves_the_choice(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p", *"theme")
        await pilot.pause(0.5)
        await pilot.press("enter")  # Textual's "Theme" command, now the project's picker
        rows = await _palette_rows(app, pilot)
        names = [row.split("\n")[0] for row in rows]
        assert names == PROJECT_THEMES  # every one at start, none of Textual's own
        await pilot.press(*"light", "enter")
        await pilot.pause()
        assert app.theme == "coditect-light"
        assert any(
            m.startswith("Theme coditect-light saved as ui.theme in ") for m in _messages(app)
        )
    config = tmp_path / "config.yaml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    settings = load_settings(config).settings
    assert settings.ui.theme == "coditect-light"
    again = CoditectApp.for_profile(
        settings, settings.profile("acme"), config_path=config, cached_paint=False
    )
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)
        assert again.theme == "coditect-light"  # the next start uses the choice


@pytest.mark.parametrize("downloads", [False, True])
async def test_screenshot_is_saved_where_it_can_be_and_says_where(
    make_app: AppFactory,
    tmp_path: Path,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    downloads: bool,
) -> None:
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # no ~/Downloads, as over SSH
    if downloads:
        (home / "Downloads").mkdir()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p", *"screenshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        where = home / "Downloads" if downloads else isolated_home / "state/coditect/screenshots"
        saved = list(where.glob("coditect-*.svg"))
        assert len(saved) == 1 and "<svg" in saved[0].read_text()
        assert stat.S_IMODE(saved[0].stat().st_mode) == 0o600
        assert _messages(app)[-1] == f"Saved to {saved[0]}"


async def test_palette_actions_say_what_they_do_not_their_binding_ids(
    make_app: AppFactory,
) -> None:
    app = make_app(keymap={"session.start": "f5"})
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p", *"start")
        rows = await _palette_rows(app, pilot)
        start = next(row for row in rows if row.startswith("Start\n"))
        assert start == "Start\nStart a session on the selected repo.  (key f5)"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        rows = await _palette_rows(app, pilot)
        binding_id = re.compile(r"\b(app|session|repo|pane)\.[a-z_]+")
        assert rows and not [row for row in rows if binding_id.search(row)]
