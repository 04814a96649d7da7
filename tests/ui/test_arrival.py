"""Arriving in a tenant: a viewer arrives silently, an unreachable remote says so once,
and a brief where nothing changed says so in one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import opened, screen_lines, settle

AppFactory = Callable[..., CoditectApp]


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
        await opened(app, pilot)
        await pilot.press("2", "3", "4", "5", "1")
        await opened(app, pilot)
    assert toasts == []  # no refused write, no warning: nothing to say


async def test_a_brief_of_nothing_says_nothing_changed(
    make_app: AppFactory, workspace: Path
) -> None:
    """Back in a tenant where nothing happened: one line, no list of zeros."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot)
        app.switch_to("globex")
        await opened(app, pilot)
        app.switch_to("acme")
        await opened(app, pilot)
        brief = list(app._notifications)[-1]
    assert brief.title.startswith("Since you were last in ACME Corp")
    assert brief.message == "Nothing changed."


async def test_an_unreachable_remote_says_so_once(
    make_app: AppFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remote tenant whose server does not answer (nothing listens on port 9): one
    toast, and each pane says the tenant is unreachable instead of an empty state."""
    monkeypatch.setenv("ARRIVAL_TOKEN", "a-token")
    backend = {"kind": "remote", "url": "http://127.0.0.1:9", "token_env": "ARRIVAL_TOKEN"}
    app = make_app(extra={"backend": backend})
    toasts = record_toasts(app)
    shown: dict[str, str] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot)
        for key, pane in (("2", "dashboard"), ("4", "memory"), ("5", "audit")):
            await pilot.press(key)
            await opened(app, pilot)
            shown[pane] = "\n".join(screen_lines(app))
    assert len(toasts) == 1 and toasts[0][0] == "error", toasts
    for pane, text in shown.items():
        assert "Tenant unreachable: http://127.0.0.1:9" in text, (pane, text)
        assert "reading statuses" not in text and "index opens with" not in text, pane


async def test_push_without_a_session_names_the_key(make_app: AppFactory, workspace: Path) -> None:
    """`p` on a repo with no git session says which key starts one (not a CLI command)."""
    app = make_app(keymap={"session.start": "ctrl+n"})
    toasts = record_toasts(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot)
        app.jump_to(str(workspace / "service-billing"))
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
    assert toasts == [
        ("warning", "", "Push: no git session in service-billing; press ^n to start one.")
    ], toasts


async def test_an_unreachable_remote_retried_says_so_once_and_in_full(
    make_app: AppFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`r` on an unreachable remote tries again and fails alike: the toast still on screen
    is not stacked a second time; each pane says why in full at 80x24, and no pane counts
    "0 entries" of an index it could not read."""
    from textual import notifications

    # the toasts' clock stands at the epoch: none expires while the test runs, however slow
    monkeypatch.setattr(notifications, "time", lambda: 0.0)
    monkeypatch.setenv("ARRIVAL_TOKEN", "a-token")
    backend = {"kind": "remote", "url": "http://127.0.0.1:9", "token_env": "ARRIVAL_TOKEN"}
    app = make_app(extra={"backend": backend})
    toasts = record_toasts(app)
    reason = "Tenant unreachable: http://127.0.0.1:9: cannot connect (is the server running?)"
    shown: dict[str, str] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot)
        for _ in range(2):
            await pilot.press("r")
            await opened(app, pilot)
        app.jump_to(str(workspace / "service-auth"))
        await settle(app, pilot)
        for key, pane in (("2", "dashboard"), ("3", "sessions"), ("4", "memory"), ("5", "audit")):
            await pilot.press(key)
            await opened(app, pilot)
            shown[pane] = " ".join(
                line.strip("│╰─╯ ").split("│")[-1].strip() for line in screen_lines(app)
            )
        on_screen = [n.message for n in app._notifications]
    assert toasts == [
        ("error", "", "Backend: http://127.0.0.1:9: cannot connect (is the server running?)")
    ], toasts
    assert len(on_screen) == 1, on_screen
    for pane in ("dashboard", "memory", "audit"):
        assert reason in shown[pane], (pane, shown[pane])
    assert (
        "History: the tenant's store is not open (http://127.0.0.1:9: cannot connect"
        in (shown["sessions"])
    )
    assert "index not open · all kinds" in shown["memory"]
    assert "0 entries" not in shown["memory"]
