"""Arriving in a tenant: a viewer arrives silently, an unreachable remote says so once,
and a brief where nothing changed says so in one line."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


async def _opened(app: CoditectApp, pilot: object) -> None:
    await settle(app, pilot)
    assert app.session is not None
    await asyncio.wait_for(app.session.opened.wait(), 60)
    await settle(app, pilot)


def record_toasts(app: CoditectApp) -> list[tuple[str, str, str]]:
    """Every notification the app shows from now on (a toast expires; the list keeps it)."""
    shown: list[tuple[str, str, str]] = []
    notify = app.notify

    def record(message: str, **kwargs: Any) -> None:
        shown.append((kwargs.get("severity", "information"), kwargs.get("title", ""), message))
        notify(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return shown


async def test_a_viewer_arrives_silently(make_app: AppFactory, workspace: Path) -> None:
    app = make_app(role="viewer")
    toasts = record_toasts(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await _opened(app, pilot)
        await pilot.press("2", "3", "4", "5", "1")
        await _opened(app, pilot)
    assert toasts == []  # no refused write, no warning: nothing to say


async def test_a_brief_of_nothing_says_nothing_changed(
    make_app: AppFactory, workspace: Path
) -> None:
    """Back in a tenant where nothing happened: one line, no list of zeros."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _opened(app, pilot)
        app.switch_to("globex")
        await _opened(app, pilot)
        app.switch_to("acme")
        await _opened(app, pilot)
        brief = list(app._notifications)[-1]
    assert brief.title.startswith("Since you were last in ACME Corp")
    assert brief.message == "Nothing changed."
