"""Read-only mode in the app, idle silence, and hostile text rendered literally."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from coditect_tui.core.git.sessions import SESSION_FILE
from coditect_tui.core.models import AuditFilter
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.commands import ActionsProvider
from coditect_tui.ui.panes.projects import ProjectTree
from coditect_tui.ui.panes.repo_detail import RepoDetail
from coditect_tui.ui.panes.sessions import GitSessionsPane
from coditect_tui.ui.widgets.header import TenantHeader
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]


async def _prepare_store(make_app: AppFactory) -> None:
    """Open the tenant once read-write so the store and the registration exist."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)


def _branch(repo: Path) -> str:
    return subprocess.run(
        ["git", "branch", "--show-current"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()


async def test_read_only_offers_no_mutation_and_backend_refuses(
    make_app: AppFactory, workspace: Path
) -> None:
    await _prepare_store(make_app)
    repo = workspace / "service-search"
    app = make_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        header = app.query_one(TenantHeader)
        assert header.read_only and "READ-ONLY" in str(header.render())
        # not offered: no footer keys, no palette entries; the keys say why (test_refusals)
        for binding_id in (
            "session.start",
            "session.commit",
            "session.push",
            "session.end",
            "repo.fetch",
            "repo.shell",
        ):
            assert app.refusal(binding_id) is not None
        footer_keys = {b.binding.action for b in app.active_bindings.values() if b.binding.show}
        assert "session_start" not in footer_keys
        offered = {label for label, _, _ in ActionsProvider(app.screen).entries()}
        assert "Start" not in offered and "Help" in offered
        app.jump_to(str(repo))
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert not (repo / SESSION_FILE).exists() and _branch(repo) == "main"
        # forced through the palette: refused with a message
        await app.run_palette_action("session_start")
        await pilot.pause()
        assert any("Read-only: you can't start git" in n.message for n in app._notifications)
        # forced past every UI gate: the backend refuses before git is touched
        app.query_one(GitSessionsPane).run_verb("start")
        await settle(app, pilot)
        assert any("refused by the backend" in n.message for n in app._notifications)
        assert not (repo / SESSION_FILE).exists() and _branch(repo) == "main"
        app.query_one(RepoDetail).fetch()
        await settle(app, pilot)
        assert app.session.backend is not None
    owner = make_app()
    async with owner.run_test(size=(80, 24)) as pilot:
        await settle(owner, pilot)
        assert owner.session.backend is not None
        denied = (await owner.session.backend.query_audit(AuditFilter(outcome="denied"))).items
        assert any(e.action == "repos.fetch" for e in denied)


async def test_auditor_role_is_read_only(make_app: AppFactory) -> None:
    await _prepare_store(make_app)
    app = make_app(role="auditor")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.read_only and app.query_one(TenantHeader).read_only
        assert app.refusal("session.commit") == (
            "Read-only: you can't commit in git sessions in this tenant (auditor role)."
        )


class LoopClock:
    """The running event loop's clock, moved forward by the test instead of waited for.

    Every timer, interval and ``call_later`` of the app (Textual's included) is scheduled
    on the loop's clock, so moving it forward fires, at once, whatever would have fired
    in that time. (Threads, e.g. the file watchers', keep real time: they only act on
    file events, and none happen here.)
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        loop = asyncio.get_running_loop()
        real = loop.time
        monkeypatch.setattr(loop, "time", lambda: real() + self.offset)

    async def advance(self, seconds: float, *, step: float = 0.05, turns: int = 20) -> None:
        """Move the clock ``seconds`` forward in ``step``s, letting the loop run after each
        (``turns`` passes, enough for a timer's refresh to reach the screen)."""
        for _ in range(round(seconds / step)):
            self.offset += step
            for _ in range(turns):
                await asyncio.sleep(0)


async def test_idle_app_writes_nothing(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.session.watcher is not None
        await app.session.watcher.wait_ready(15)  # its start-up is over: idle from here on
        await pilot.pause()
        frames: list[object] = []
        original = app._display

        def counting(screen: object, renderable: object) -> None:
            if renderable is not None:
                frames.append(renderable)
            original(screen, renderable)  # type: ignore[arg-type]

        app._display = counting  # type: ignore[method-assign]
        spawned = app.session.runner.spawned if app.session.runner else 0
        clock = LoopClock(monkeypatch)
        await clock.advance(5.0)  # five seconds of the app's time, none of ours
        assert frames == [], f"{len(frames)} frames drawn while idle"
        assert (app.session.runner.spawned if app.session.runner else 0) == spawned, (
            "git ran while idle"
        )
        assert app.session.watcher is not None and app.session.watcher.ready


async def test_hostile_branch_and_subject_render_literally(
    make_app: AppFactory, workspace: Path
) -> None:
    repo = workspace / "service-billing"
    # git refuses "[" and control characters in branch names; file names and subjects
    # take anything
    subject = "\x1b]52;c;SGk=\x07[@click=app.quit]c[/] [link=https://x.invalid]l[/link]\x1b]0;t"
    subprocess.run(["git", "checkout", "-q", "-b", "fix/ünïcode-→"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", subject], cwd=repo, check=True)
    (repo / "[bold][@click=app.quit]x\x1b[2J.txt").write_text("x")
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        detail = str(app.query_one("#repo-detail-body", Static).render())
        assert "Branch    fix/ünïcode-→" in detail
        assert "?? [bold][@click=app.quit]x\\u001b[2J.txt" in detail
        assert (
            "\\u001b]52;c;SGk=\\u0007[@click=app.quit]c[/] [link=https://x.invalid]l[/link]"
            "\\u001b]0;t" in detail
        )
        assert "\x1b" not in detail and "\x07" not in detail
        tree = app.query_one(ProjectTree)
        labels = " ".join(str(n.label) for n in tree._repo_nodes.values())
        assert "\x1b" not in labels
        assert app.is_running  # the [@click=app.quit] did nothing
