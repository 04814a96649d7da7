"""`?` lists every key: each binding any footer shows (app, every pane, every dialog)
is in the help, read from the bindings themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.binding import Binding

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.help import HelpScreen
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]
#: Key presses that reach every pane, text box and dialog, each from the workspace.
STATES = [
    (),
    ("1",),
    ("2",),
    ("3",),
    ("4",),
    ("4", "slash"),
    ("5",),
    ("5", "enter"),
    ("5", "slash"),
    ("ctrl+t",),
    ("s",),
    ("question_mark",),
]


def _footer(app: CoditectApp) -> set[tuple[str, str]]:
    """(key as shown, label) of every binding the footer shows now."""
    return {
        (app.get_key_display(Binding(key, "")), active.binding.description)
        for key, active in app.screen.active_bindings.items()
        if active.binding.show
    }


async def test_every_footer_binding_is_in_the_help(make_app: AppFactory, workspace: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {
            (key.strip(), description)
            for keys, description, _id, _where in app.screen.rows
            for key in keys.split(",")
        }
        await pilot.press("escape")
        app.jump_to(str(workspace / "service-search"))
        await settle(app, pilot)
        seen: set[tuple[str, str]] = set()
        for keys in STATES:
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
            await pilot.pause()
            shown = _footer(app)
            assert shown, keys
            assert shown <= listed, (keys, sorted(shown - listed))
            seen |= shown
            while app.screen is not app.screen_stack[0]:
                await pilot.press("escape")
                await pilot.pause()
            app.action_focus_tree()
            await settle(app, pilot)
        # the walk met the panes' and the dialogs' keys, not only the app's
        labels = {label for _key, label in seen}
        assert {"Kind", "Verify chain", "Next view", "Cancel", "Close", "Detail"} <= labels
