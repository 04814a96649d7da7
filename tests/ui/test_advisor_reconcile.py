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
