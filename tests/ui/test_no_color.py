"""NO_COLOR: no colour at all reaches the terminal (not even 256-colour greys), and the
tree's cursor is still visible (reverse video)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]
#: An SGR parameter list that sets a 256-colour or truecolour foreground or background.
EXTENDED_COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:38|48);[25];")


def terminal_output(app: CoditectApp) -> str:
    """What the driver would write for a full repaint of the screen now (a 256-colour
    terminal: TERM=xterm-256color)."""
    console = Console(file=io.StringIO(), color_system="256", force_terminal=True)
    return app.screen._compositor.render_full_update().render_segments(console)


@pytest.mark.parametrize("pane", ["1", "2", "3", "4", "5"])
async def test_no_extended_colour_is_sent_under_no_color(
    make_app: AppFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch, pane: str
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down", pane)
        await settle(app, pilot)
        sent = terminal_output(app)
    assert "\x1b[" in sent and "platform-master" in sent
    assert not EXTENDED_COLOUR.findall(sent)


async def test_colours_are_sent_without_no_color(make_app: AppFactory, workspace: Path) -> None:
    """The check above can fail: the same screen with colour sends 256-colour codes."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert EXTENDED_COLOUR.findall(terminal_output(app))


@pytest.mark.parametrize("focus_tree", [True, False])
async def test_the_tree_cursor_reads_without_colour(
    make_app: AppFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch, focus_tree: bool
) -> None:
    """The cursor's row is in reverse video under NO_COLOR, focused or not."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "down")
        if not focus_tree:
            await pilot.press("2")
        await settle(app, pilot)
        tree = app.query_one(ProjectTree)
        assert tree.has_focus is focus_tree
        name = tree.cursor_node.data.name  # type: ignore[union-attr]
        marked = "".join(
            seg.text
            for strip in app.screen._compositor.render_strips()
            for seg in strip
            if seg.style is not None and seg.style.reverse
        )
    assert name in marked
