"""Snapshot tests of the main screens (SVG under tests/ui/__snapshots__).

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and review the report. The workspace is the demo (fixed names and states); paths,
hashes and times are not on these screens, so the snapshots are stable.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


def _before(app: CoditectApp, *keys: str) -> Callable[..., object]:
    async def run_before(pilot: object) -> None:
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)  # type: ignore[attr-defined]
            await settle(app, pilot)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("theme", ["coditect-dark", "coditect-light"])
def test_main_screen(
    snap_compare: Callable[..., bool], make_app: AppFactory, size: tuple[int, int], theme: str
) -> None:
    app = make_app(theme=theme)
    assert snap_compare(app, terminal_size=size, run_before=_before(app))


def test_read_only_header(snap_compare: Callable[..., bool], make_app: AppFactory) -> None:
    setup = make_app()
    assert snap_compare(setup, terminal_size=(80, 24), run_before=_before(setup))
    app = make_app(read_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before(app))


def test_tenant_switcher(snap_compare: Callable[..., bool], make_app: AppFactory) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_before(app, "ctrl+t"))


def test_help_screen(snap_compare: Callable[..., bool], make_app: AppFactory) -> None:
    app = make_app()
    assert snap_compare(app, terminal_size=(100, 40), run_before=_before(app, "question_mark"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("pane", ["repo", "dashboard", "sessions", "memory"])
def test_each_pane_without_colour(
    snap_compare: Callable[..., bool],
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    pane: str,
) -> None:
    """Every pane under NO_COLOR (Textual reads it when the app is created), the tree's
    cursor on its root (reverse video, no colour). No repo is selected: its commit times
    would change the picture; the Audit pane's capture is in test_audit_pane.py (its
    events carry fixed times)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    keys = {"repo": "1", "dashboard": "2", "sessions": "3", "memory": "4"}[pane]

    async def run_before(pilot: object) -> None:
        await _before(app, "up", keys)(pilot)
        app.action_focus_tree()
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
