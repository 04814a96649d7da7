"""A change the tenant's principal may not make is refused at once, in words, before any
dialog opens: read-only (flag, role), role, tier. The backend still refuses on its own."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_tui.core.git.sessions import SESSION_FILE
from coditect_tui.ui.app import CoditectApp, WorkspaceScreen
from coditect_tui.ui.commands import ActionsProvider
from coditect_tui.ui.panes.memory import MemoryPane
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]
#: Every app key that asks for a change, with what the refusal says the user can't do.
APP_KEYS = {
    "s": "start git sessions",
    "c": "commit in git sessions",
    "p": "push git sessions",
    "y": "sync git sessions",
    "P": "open pull requests",
    "x": "end git sessions",
    "f": "fetch repos",
    "e": "open an editor in repos",
    "o": "open a shell in repos",
    "plus": "change groups",
    "minus": "change groups",
}


async def _prepare_store(make_app: AppFactory) -> None:
    """Open the tenant once as its owner so the store and the registration exist."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)


def _record(app: CoditectApp) -> list[str]:
    """Every notification's text from now on (Textual drops expired ones from its own list)."""
    said: list[str] = []
    notify = app.notify

    def recording(message: str, **options: object) -> None:
        said.append(message)
        notify(message, **options)  # type: ignore[arg-type]

    app.notify = recording  # type: ignore[method-assign]
    return said


async def _press_refused(
    app: CoditectApp, pilot: object, said: list[str], key: str, expected: str
) -> None:
    """Press ``key``: the refusal is said at once and no dialog opened."""
    said.clear()
    await pilot.press(key)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, WorkspaceScreen), (key, app.screen)
    assert said == [expected], (key, said)


async def _in_pane(
    app: CoditectApp, pilot: object, said: list[str], pane: str, key: str, expected: str
) -> None:
    """Show pane ``pane`` (its key), then press its ``key``: refused at once."""
    await pilot.press(pane)  # type: ignore[attr-defined]
    await settle(app, pilot)
    await _press_refused(app, pilot, said, key, expected)


def _branch(repo: Path) -> str:
    return subprocess.run(
        ["git", "branch", "--show-current"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.parametrize(
    ("options", "why"),
    [({"read_only": True}, "started with --read-only"), ({"role": "auditor"}, "auditor role")],
    ids=["read-only-flag", "auditor"],
)
async def test_every_change_is_refused_at_once_when_read_only(
    make_app: AppFactory, workspace: Path, options: dict[str, object], why: str
) -> None:
    await _prepare_store(make_app)
    repo = workspace / "service-search"
    app = make_app(**options)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        said = _record(app)
        app.jump_to(str(repo))
        await settle(app, pilot)
        footer = {b.binding.id for b in app.screen.active_bindings.values()}
        assert not footer & {"session.start", "session.commit", "session.push", "session.end"}
        assert "app.help" in footer
        offered = {label for label, _, _ in ActionsProvider(app.screen).entries()}
        assert "Start" not in offered and "Help" in offered
        for key, phrase in APP_KEYS.items():
            await _press_refused(
                app, pilot, said, key, f"Read-only: you can't {phrase} in this tenant ({why})."
            )
        # the palette runs the same gate
        said.clear()
        await app.run_palette_action("session_commit")
        assert said == [f"Read-only: you can't commit in git sessions in this tenant ({why})."]
        # the memory pane's note key, before it asks for a title
        note = f"Read-only: you can't write memory notes in this tenant ({why})."
        await _in_pane(app, pilot, said, "4", "n", note)
        assert "memory.note" not in {b.binding.id for b in app.screen.active_bindings.values()}
        assert not (repo / SESSION_FILE).exists() and _branch(repo) == "main"


async def test_a_role_without_the_permission_is_told_so(
    make_app: AppFactory, workspace: Path
) -> None:
    await _prepare_store(make_app)
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        said = _record(app)
        app.jump_to(str(workspace / "service-search"))
        await settle(app, pilot)
        denied = "Not allowed: you can't {} in this tenant (viewer role)."
        await _press_refused(app, pilot, said, "s", denied.format("start git sessions"))
        await _in_pane(app, pilot, said, "4", "n", denied.format("write memory notes"))
        # what a viewer may do is still offered: the editor is not a backend change
        assert app.refusal("repo.editor") is None


@pytest.mark.parametrize(
    ("tier", "pane", "key", "expected"),
    [
        (
            "customer_team",
            "5",
            "E",
            "Not in this tenant's tier: you can't export evidence packs "
            "(customer_team has no evidence packs).",
        ),
        (
            "vendor",
            "4",
            "n",
            "Not in this tenant's tier: you can't write memory notes (vendor has no memory).",
        ),
    ],
)
async def test_a_tier_without_the_feature_is_told_so(
    make_app: AppFactory, workspace: Path, tier: str, pane: str, key: str, expected: str
) -> None:
    app = make_app(extra={"tier": tier})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        said = _record(app)
        app.jump_to(str(workspace / "service-search"))
        await settle(app, pilot)
        await _in_pane(app, pilot, said, pane, key, expected)
        assert app.query(MemoryPane)
