"""Bulk git from the app over the marked repos (the demo's real repos and bare remotes):
the live results screen, each repo's state in the Repos table, the statuses read again,
one audit event; read-only principals are not offered it and are refused at once."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.repos_table import ReposTable
from coditect_tui.ui.screens.bulk_results import BulkResults, OutputView
from coditect_tui.ui.screens.dialogs import ChoiceDialog
from tests.ui.conftest import opened, screen_lines, settle

AppFactory = Callable[..., CoditectApp]


async def _mark(app: CoditectApp, pilot: object, *names: str) -> ReposTable:
    await opened(app, pilot)
    await pilot.press("6")  # type: ignore[attr-defined]
    await settle(app, pilot)
    table = app.query_one(ReposTable)
    for repo in table.rows.rows:
        if repo.name in names:
            app.selection.add(repo.path)
    app.selection_changed()
    await settle(app, pilot)
    return table


async def _wait_done(app: CoditectApp, pilot: object, screen: BulkResults) -> None:
    for _ in range(600):
        await pilot.pause(0.05)  # type: ignore[attr-defined]  # git runs in other processes
        if screen.ended:
            break
    await settle(app, pilot)
    assert screen.ended


async def test_pull_over_the_marked_repos(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _mark(app, pilot, "service-notify", "service-billing")
        notify = next(r for r in table.rows.all if r.name == "service-notify")
        assert notify.status is not None and notify.status.behind == 1
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("down", "enter")  # Pull (--ff-only)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BulkResults)
        await _wait_done(app, pilot, screen)
        assert screen.report is not None and screen.report.summary() == "2 ok"
        assert "done: 2 ok" in "\n".join(screen_lines(app))
        await pilot.press("enter")  # the first repo's output
        await pilot.pause()
        assert isinstance(app.screen, OutputView)
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, BulkResults | OutputView)
        notify = next(r for r in table.rows.all if r.name == "service-notify")
        assert notify.status is not None and notify.status.behind == 0  # read again
        assert table.progress == {p: "ok" for p in app.selection}
        assert any(line.split("│", 2)[-1].startswith("✔✓") for line in screen_lines(app))
        session = app.session
        assert session is not None and session.backend is not None
        page = await session.backend.query_audit(AuditFilter(action="repos.pull"))
        assert len(page.items) == 1 and page.items[0].outcome == "ok"
        details = page.items[0].details
        assert sorted(r["repo"] for r in details["repos"]) == [
            "service-billing",
            "service-notify",
        ]


async def test_cancel_from_the_results_screen(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _mark(app, pilot, "api", "cli")
        slow = next(r for r in table.rows.all if r.name == "api")
        # a remote that answers after 20 s: its upload-pack waits first (a fetch runs with
        # the repo's own configuration, as session writes do)
        subprocess.run(
            ["git", "-C", slow.path, "config", "remote.origin.uploadpack",
             "sleep 20; git-upload-pack"],
            check=True,
        )  # fmt: skip
        await pilot.press("B")
        await pilot.pause()
        await pilot.press("enter")  # fetch
        screen = app.screen
        assert isinstance(screen, BulkResults)
        for _ in range(600):  # until the slow repo's fetch is running
            await pilot.pause(0.05)
            if screen.states[slow.path][0] == "running":
                break
        assert table.progress[slow.path] == "running"
        await pilot.press("c")
        await _wait_done(app, pilot, screen)
        assert screen.report is not None and screen.report.cancelled
        by_name = {r.name: r for r in screen.report.results}
        assert "cancelled" in by_name["api"].reason  # the engine stopped its git process
        assert table.progress[slow.path] == by_name["api"].outcome != "ok"
        assert "cancelled:" in "\n".join(screen_lines(app))


async def test_read_only_is_not_offered_bulk_git(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _mark(app, pilot, "api")
        assert app.refusal("repos.bulk") is not None
        await pilot.press("B")
        await settle(app, pilot)
        assert not isinstance(app.screen, ChoiceDialog | BulkResults)
        assert any("run git on many repos" in n.message for n in app._notifications)


async def test_nothing_marked_says_how_to_mark(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        await pilot.press("B")
        await settle(app, pilot)
        assert not isinstance(app.screen, ChoiceDialog)
        assert any("Mark repos first" in n.message for n in app._notifications)
