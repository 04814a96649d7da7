"""End and merge on a repo whose main branch does not exist: refused before the typed
name is asked (issue 15, item 1). Pilot on a real repo and a real store."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from coditect_tui.core.git.sessions import SESSION_FILE, GitSessions
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.dialogs import ChoiceDialog, TypedConfirmation
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def test_end_and_merge_without_a_main_branch_is_refused_before_the_typed_name(
    make_app: AppFactory, workspace: Path
) -> None:
    repo = workspace / "trunk-only"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "init")
    await GitSessions(repo).start("no main")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        notes: list[str] = []
        original = app.notify

        def capture(message: object, *args: object, **kwargs: object) -> None:
            notes.append(str(message))
            original(message, *args, **kwargs)  # type: ignore[arg-type]

        app.notify = capture  # type: ignore[method-assign]
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "enter")  # "End and merge --no-ff into main"
        for _ in range(50):
            await pilot.pause(0.05)
            if any("cannot merge" in n for n in notes) or isinstance(app.screen, TypedConfirmation):
                break
        assert not isinstance(app.screen, TypedConfirmation)
        assert any("cannot merge" in n for n in notes), notes
        assert (repo / SESSION_FILE).exists()  # nothing was done
