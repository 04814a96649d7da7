"""Fixtures for the app tests: the demo workspace of real repos, a config, an app factory."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual.worker import WorkerCancelled, WorkerState

from coditect_tui.core.demo import build_demo
from coditect_tui.core.settings import Settings, load_settings
from coditect_tui.ui.app import CoditectApp
from tests.git.conftest import git_identity  # noqa: F401  (re-exported fixture)

#: The session engine's clock while the demo is built: session branches and ids are
#: named after it, so the screens of the snapshot tests do not change with the date.
DEMO_CLOCK = datetime(2026, 3, 2, 9, 30).astimezone()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh demo workspace of real repos (about a second to build)."""
    return build_demo(tmp_path / "ws", now=lambda: DEMO_CLOCK)


def write_config(path: Path, tenants: list[dict[str, object]], **top: object) -> Path:
    """Write a user config file (YAML is a superset of JSON)."""
    import json

    path.write_text(json.dumps({"tenants": tenants, **top}))
    return path


@pytest.fixture
def make_app(tmp_path: Path, workspace: Path) -> Callable[..., CoditectApp]:
    """Build an app on a config with tenant 'acme' (the workspace) and 'globex' (empty)."""
    other = tmp_path / "other-ws"
    other.mkdir(exist_ok=True)

    def factory(
        *,
        read_only: bool = False,
        role: str = "owner",
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
        tenant: str = "acme",
    ) -> CoditectApp:
        db = tmp_path / "store.db"
        config = write_config(
            tmp_path / "config.yaml",
            [
                {
                    "name": "acme",
                    "display_name": "ACME Corp",
                    "principal": "alice",
                    "role": role,
                    "backend": {"kind": "local", "path": str(db)},
                    "workspace_roots": [str(workspace)],
                    **(extra or {}),
                },
                {
                    "name": "globex",
                    "display_name": "Globex",
                    "principal": "alice",
                    "role": "owner",
                    "theme": "coditect-light",
                    "backend": {"kind": "local", "path": str(db)},
                    "workspace_roots": [str(other)],
                },
            ],
            ui={"theme": theme or "coditect-dark", "keymap": keymap or {}},
        )
        settings: Settings = load_settings(config).settings
        return CoditectApp.for_profile(
            settings,
            settings.profile(tenant),
            read_only=read_only,
            config_path=config,
            cached_paint=False,
        )

    return factory


async def settle(app: CoditectApp, pilot: object, rounds: int = 100) -> None:
    """Wait until no worker is pending or running and the screen caught up.

    Exclusive workers cancel their predecessors; a cancelled worker is not a failure.
    """
    for _ in range(rounds):
        await pilot.pause()  # type: ignore[attr-defined]
        busy = [
            w
            for w in app.workers
            if w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group != "watch"
        ]
        if not busy:
            await pilot.pause()  # type: ignore[attr-defined]
            return
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete(busy)
    raise AssertionError("workers did not settle")


def screen_text(app: CoditectApp) -> str:
    """Every character the app draws now (its screenshot's text, entities decoded)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


def screen_lines(app: CoditectApp) -> list[str]:
    """The screen as drawn now, one string per row (spaces kept, unlike screen_text)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip).replace("\xa0", " ") for strip in strips]


async def repo_detail_of(app: CoditectApp, pilot: object, repo: Path) -> str:
    """Select ``repo`` in the tree and return the Repo pane's text once it is drawn."""
    from textual.widgets import Static

    app.jump_to(str(repo))
    await settle(app, pilot)
    return str(app.query_one("#repo-detail-body", Static).render())


async def open_palette(app: CoditectApp, pilot: object, query: str) -> None:
    """Open the command palette, type ``query`` and wait for its first hits."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)  # type: ignore[attr-defined]
    for _ in range(100):  # the search runs in a worker: wait for its hits
        await pilot.pause()  # type: ignore[attr-defined]
        if app.screen.query_one(CommandList).option_count:
            break


async def opened(app: CoditectApp, pilot: object) -> None:
    """Wait until the open session is fully started (statuses, backend, watchers)."""
    await settle(app, pilot)
    session = app.session
    assert session is not None
    await asyncio.wait_for(session.opened.wait(), 60)
    if session.watcher is not None:
        await session.watcher.wait_ready(30)
    await asyncio.wait_for(session.memory_ready.wait(), 30)
    await settle(app, pilot)
