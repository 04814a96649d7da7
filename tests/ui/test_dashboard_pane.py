"""The Dashboard pane: figures equal the core's, the advisor screen carries no names,
the portfolio lists only permitted tenants; snapshots at 80x24 and 120x40."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.dashboard import build_dashboard
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.dashboard import DashboardPane
from tests.ui.conftest import screen_lines, screen_text, settle

AppFactory = Callable[..., CoditectApp]
NAMES = (
    "experiment-ml",
    "platform-master",
    "service-auth",
    "service-billing",
    "service-notify",
    "service-search",
    "coditect-core",
    "handbook",
    "search.py",
    "NOTES.txt",
    "billing.py",
)


async def _dashboard(app: CoditectApp, pilot: object) -> DashboardPane:
    await settle(app, pilot)
    await pilot.press("2")  # type: ignore[attr-defined]
    for _ in range(100):
        await settle(app, pilot)
        if app.query(DashboardPane) and app.query_one(DashboardPane).dashboard is not None:
            break
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    await settle(app, pilot)
    return app.query_one(DashboardPane)


async def test_figures_equal_the_core(make_app: AppFactory, workspace: Path) -> None:
    for i in range(5):  # detached (-20) and 5 untracked files (-20): needs attention
        (workspace / "experiment-ml" / f"scratch{i}.txt").write_text("x")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _dashboard(app, pilot)
        expected = build_dashboard(list(app.session.statuses.values())).kpis
        kpis = screen_text(app)
        for label, value in (
            ("repos", expected.repos),
            ("dirty", expected.dirty),
            ("ahead", expected.ahead),
            ("behind", expected.behind),
            ("detached", expected.detached),
        ):
            assert re.search(rf"\b{value} +{label}\b", kpis), (label, value, kpis)
        assert expected.repos == 12 and expected.dirty == 3 and expected.detached == 1
        assert expected.conflicted == 1  # the demo's service-catalog
        attention = pane.query_one("#dash-attention")
        assert attention.option_count >= 1  # type: ignore[attr-defined]
        await pilot.press("tab")  # into the list; enter jumps to the repo
        attention.focus()
        attention.highlighted = 0  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.selected is not None and app.selected.name == "experiment-ml"
        assert app.query_one("#tabs").active == "repo"  # type: ignore[attr-defined]


async def test_advisor_screen_shows_no_names(make_app: AppFactory) -> None:
    app = make_app(extra={"tier": "advisor"})
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _dashboard(app, pilot)
        assert app.aggregate_only and pane.view is not None and pane.view.kind == "aggregate"
        text = screen_text(app)
        assert "repos" in text and "Health" in text
        for name in NAMES:
            assert name not in text, name
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"service")
        await pilot.pause(0.5)
        assert not any(name in screen_text(app) for name in NAMES)


async def test_portfolio_lists_only_permitted_tenants(make_app: AppFactory, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    for tenant, principal in (("globex", "alice"), ("initech", "mallory")):
        store = await SqlStore.open_sqlite(
            db,
            tenant=tenant,
            principal=principal,
            provision=Provision(tenant.title(), "internal", "owner"),
        )
        await store.close()
    app = make_app(role="consultant", extra={"tier": "consultant"})
    async with app.run_test(size=(120, 40)) as pilot:
        body = await _portfolio(app, pilot)
        assert "ACME Corp" in body and "Globex" in body
        assert "Initech" not in body and "initech" not in body


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_dashboard_snapshot(
    snap_compare: Callable[..., bool], make_app: AppFactory, size: tuple[int, int]
) -> None:
    app = make_app()

    async def run_before(pilot: object) -> None:
        await _dashboard(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def _portfolio(app: CoditectApp, pilot: object) -> str:
    """Show the portfolio view and return the pane's text once its rows are drawn."""
    pane = await _dashboard(app, pilot)
    assert pane.view is not None and pane.view.kind == "portfolio"
    for _ in range(100):
        await settle(app, pilot)
        if "tenant" in str(pane.query_one("#dash-head", Static).render()):
            break
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    return "\n".join(screen_lines(app))


async def test_portfolio_says_why_a_tenant_has_no_figures(make_app: AppFactory) -> None:
    """Without a status snapshot the row says so and the notes say how to take one; once
    `coditect status` recorded one, the figures are there, under headers that fit 80
    columns."""
    from coditect_tui.core.git import report
    from coditect_tui.core.models import StatusSnapshotSpec

    app = make_app(role="consultant", extra={"tier": "consultant"})
    async with app.run_test(size=(80, 24)) as pilot:
        text = await _portfolio(app, pilot)
        assert "ACME Corp *: no snapshot yet" in text
        notes = str(app.query_one("#dash-notes", Static).render())
        assert "`coditect status --tenant NAME` takes one" in " ".join(notes.split())
        session = app.session
        assert session is not None and session.backend is not None
        statuses = list(session.statuses.values())
        summary = report.summarise(statuses)
        await session.backend.record_status(  # what `coditect status` records
            StatusSnapshotSpec(
                source="status",
                summary=summary,
                repos=[report.snapshot_repo(s) for s in statuses],
            )
        )
        await pilot.press("1", "2")
        text = await _portfolio(app, pilot)
    assert "no snapshot yet" not in text
    for header in ("tenant", "repos", "dirty", "behind", "confl", "err", "health", "sess"):
        assert re.search(rf"\b{header}\b", text), header  # whole, not cut with "…"
    assert re.search(rf"ACME C\S*\s+{summary['repos']}\s+{summary['dirty']}\s", text), text


async def test_the_time_section_shows_this_weeks_sessions(make_app: AppFactory) -> None:
    """A session started 20 minutes ago with a commit now: alice's row, about a third of
    an hour (the same figures as `coditect report time`)."""
    from datetime import timedelta

    from coditect_tui.core.models import Action, GitSessionSpec, Resource, utcnow

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _dashboard(app, pilot)
        assert "no session activity" in screen_text(app)
        backend = app.session.backend
        repo = (await backend.list_repos()).items[0]
        started = utcnow() - timedelta(minutes=20)
        session = await backend.create_session(
            GitSessionSpec(
                repo_id=repo.id, session_key="s", description="d", branch="b", started_at=started
            )
        )
        await backend.record_event(Resource.SESSIONS, Action.UPDATE, "sessions.commit", session.id)
        pane.reload()
        await settle(app, pilot)
        line = next(ln for ln in screen_lines(app) if "alice" in ln and " h " in ln)
        assert re.search(r"alice +0\.3 h +1 session · 1 commit", line), line
