"""The audit filter dialog: every field, focused or not, shows the text typed into it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from textual.app import App
from textual.widgets import Input

from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.audit_filter import AuditFilterForm
from tests.ui.conftest import screen_text, settle

SIZES = [(80, 24), (120, 40)]


class FilterHost(App[None]):
    """Only the dialog over an empty screen (nothing behind it changes between runs)."""

    def __init__(self, current: AuditFilter | None) -> None:
        super().__init__()
        self.current = current

    def on_mount(self) -> None:
        self.push_screen(AuditFilterForm(self.current))


@pytest.mark.parametrize("size", SIZES)
async def test_focused_field_shows_what_is_typed(
    make_app: Callable[..., CoditectApp], size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "slash")
        await pilot.pause()
        assert isinstance(app.screen, AuditFilterForm)
        for field in ("filter-actor", "filter-outcome"):
            focused = app.focused
            assert isinstance(focused, Input) and focused.id == field
            assert focused.content_region.height == 1  # a text row, not a border
            await pilot.press(*f"zq{field[7:]}")
            await pilot.pause()
            assert f"zq{field[7:]}" in screen_text(app)
            await pilot.press("tab", "tab", "tab")  # actor -> outcome -> text
        assert app.focused is not None and app.focused.id == "filter-text"


@pytest.mark.parametrize("size", SIZES)
def test_filter_dialog_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    current = AuditFilter(outcome="denied", since=datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    app = FilterHost(current)

    async def run_before(pilot: object) -> None:
        await pilot.pause()  # type: ignore[attr-defined]
        await pilot.press(*"alice", "tab", *"sessions.st")  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=size, run_before=run_before)
