"""A boot resolved before views.yaml changed (here: the user's views.yaml now gives the
owner role the advisor view only) is reconciled once the settings are validated: the
advisor layout, no tree, no repo name on screen (issue [3/8] item 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coditect_tui.core.paths import config_dir, shipped_config_dir
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree
from tests.ui.conftest import screen_text, settle


async def test_a_stale_boot_is_reconciled_to_the_advisor_layout(
    make_app: Callable[..., CoditectApp], workspace: Path
) -> None:
    app = make_app()  # its boot says: full views
    assert not app.aggregate_only
    user = config_dir() / "views.yaml"
    user.parent.mkdir(parents=True, exist_ok=True)
    shipped = (shipped_config_dir() / "views.yaml").read_text()
    user.write_text(shipped.replace("  owner: [team, advisor, portfolio]", "  owner: [advisor]"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.session is not None
        await app.session.live.wait()
        await settle(app, pilot)
        assert app.aggregate_only and not app.query_one(ProjectTree).display
        shown = screen_text(app)
        names = [p.name for p in workspace.iterdir() if (p / ".git").exists()]
        assert names and not [n for n in names if n in shown], shown
    assert not list(_cache_dir().glob("workspace-*.json"))  # nothing naming a repo kept


def _cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("coditect", appauthor=False)


async def test_the_paint_cache_is_keyed_by_principal_and_configuration(
    make_app: Callable[..., CoditectApp], workspace: Path, tmp_path: Path
) -> None:
    """Alice's cached tree is never painted for Bob in the same tenant, nor after the
    tenant's roots changed: the paint cache is keyed by tenant, principal and config."""
    alice = make_app()
    alice.cached_paint = True
    async with alice.run_test(size=(120, 40)) as pilot:
        await settle(alice, pilot)
        assert alice.session is not None
        await alice.session.live.wait()
    assert len(list(_cache_dir().glob("workspace-acme-*.json"))) == 1

    for who, extra in (
        ("bob", {"principal": "bob"}),
        ("new roots", {"workspace_roots": [str(tmp_path / "other-ws")]}),
    ):
        app = make_app(extra=extra)
        app.cached_paint = True
        assert app.boot.paint_key != alice.boot.paint_key, who
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app._cached_view is None, who  # nothing painted from Alice's cache
            await settle(app, pilot)
