"""Groups in the app: the tree filtered by a group (title says which, clearing it), the
dashboard showing one group's figures, adding and removing the selected repo (written to
the config file), refused to the auditor before any dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_tui.core.dashboard import build_dashboard
from coditect_tui.core.settings import load_settings
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.commands import ActionsProvider
from coditect_tui.ui.panes.dashboard import DashboardPane
from coditect_tui.ui.panes.projects import ProjectTree, _walk
from coditect_tui.ui.screens.dialogs import ChoiceDialog, TextPrompt
from tests.ui.conftest import opened, screen_text, settle
from tests.ui.test_hostile_everywhere import REPO, REPO_SHOWN, _clean, hostile  # noqa: F401
from tests.ui.test_refusals import _prepare_store, _record

AppFactory = Callable[..., CoditectApp]
GROUPS = {"pay": ["service-billing", "platform-master/submodules/core/api"], "ops": ["cli"]}


def _shown(tree: ProjectTree) -> set[str]:
    return {n.data.path for n in _walk(tree.root) if isinstance(n.data, RepoView)}


def _title(tree: ProjectTree) -> str:
    return tree.heading.plain


async def _choose(app: CoditectApp, pilot: object, key: str, option: int) -> None:
    """Press ``key`` and pick the chooser's option number ``option`` (0: all repos)."""
    await pilot.press(key)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, ChoiceDialog)
    for _ in range(option):
        await pilot.press("down")  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(app, pilot)


async def test_tree_filters_by_group_and_clears(make_app: AppFactory, workspace: Path) -> None:
    app = make_app(extra={"groups": GROUPS})
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        tree = app.query_one(ProjectTree)
        everything = _shown(tree)
        assert _title(tree) == "Projects"
        await _choose(app, pilot, "g", 2)  # all, ops, pay: "pay"
        for node in list(_walk(tree.root)):
            node.expand()
        await settle(app, pilot)
        master = str(workspace / "platform-master")
        assert _shown(tree) == {
            str(workspace / "service-billing"),
            master,  # above the api submodule, shown so the api has its place
            f"{master}/submodules/core/api",
        }
        assert _title(tree) == "Projects · group pay"
        assert "group pay" in screen_text(app)
        await _choose(app, pilot, "g", 0)
        assert _shown(tree) == everything
        assert _title(tree) == "Projects"


async def test_dashboard_shows_one_group(make_app: AppFactory, workspace: Path) -> None:
    app = make_app(extra={"groups": {"pay": ["service-billing", "service-auth"]}})
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.query_one(DashboardPane)
        assert pane.dashboard is not None
        everything = pane.dashboard.kpis.repos
        await _choose(app, pilot, "g", 1)  # the dashboard's own `g`: all, pay
        statuses = app.session.statuses  # type: ignore[union-attr]
        wanted = [statuses[str(workspace / n)] for n in ("service-billing", "service-auth")]
        assert pane.dashboard.kpis == build_dashboard(wanted).kpis
        assert pane.dashboard.kpis.repos == 2 < everything  # type: ignore[operator]
        text = screen_text(app)
        assert "group pay" in text and "Group pay: its 2 repos only" in text
        await _choose(app, pilot, "g", 0)
        assert pane.dashboard.kpis.repos == everything
        assert "group pay" not in screen_text(app)


async def test_add_and_remove_the_selected_repo(
    make_app: AppFactory, workspace: Path, tmp_path: Path
) -> None:
    app = make_app(extra={"groups": GROUPS})
    config = tmp_path / "config.yaml"
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        await _choose(app, pilot, "g", 2)  # the tree shows "pay"
        tree = app.query_one(ProjectTree)
        auth = str(workspace / "service-auth")
        assert auth not in _shown(tree)
        app.query_one(ProjectTree).focus()
        await pilot.pause()
        app.selected = app.view.repo(auth)  # type: ignore[union-attr]
        await pilot.press("plus")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"pay", "enter")
        await settle(app, pilot)
        groups = load_settings(config).settings.profile("acme").groups
        assert groups["pay"] == [*GROUPS["pay"], "service-auth"]
        assert auth in _shown(tree)  # the filter follows the new groups at once
        await pilot.press("minus")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("enter")  # its only group
        await settle(app, pilot)
        assert load_settings(config).settings.profile("acme").groups == GROUPS
        assert auth not in _shown(tree)


@pytest.mark.parametrize(
    ("options", "why"),
    [({"read_only": True}, "started with --read-only"), ({"role": "auditor"}, "auditor role")],
    ids=["read-only-flag", "auditor"],
)
async def test_read_only_cannot_change_groups(
    make_app: AppFactory,
    workspace: Path,
    tmp_path: Path,
    options: dict[str, object],
    why: str,
) -> None:
    await _prepare_store(make_app)
    app = make_app(extra={"groups": GROUPS}, **options)
    before = (tmp_path / "config.yaml").read_bytes()
    async with app.run_test(size=(100, 30)) as pilot:
        await opened(app, pilot)
        said = _record(app)
        app.jump_to(str(workspace / "service-auth"))
        await settle(app, pilot)
        for key in ("plus", "minus"):
            said.clear()
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, TextPrompt | ChoiceDialog)
            assert said == [f"Read-only: you can't change groups in this tenant ({why})."]
        offered = {label for label, _, _ in ActionsProvider(app.screen).entries()}
        assert {"Add to group", "Remove from group"}.isdisjoint(offered)
        assert "Group filter" in offered  # filtering changes nothing: offered
        await _choose(app, pilot, "g", 2)
        assert _title(app.query_one(ProjectTree)) == "Projects · group pay"
    assert (tmp_path / "config.yaml").read_bytes() == before


async def test_a_hostile_repo_name_in_groups_is_only_text(hostile: Path) -> None:  # noqa: F811
    """The repo named with markup, escapes and a bidi override: added to a group, shown
    in the prompt, the chooser, the filtered tree and its title, never interpreted."""
    settings = load_settings(hostile).settings
    app = CoditectApp.for_profile(settings, settings.profile("t"), config_path=hostile)
    repo = str(hostile.parent / "ws" / REPO)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(app, pilot)
        app.jump_to(repo)
        await settle(app, pilot)
        await pilot.press("plus")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        assert REPO_SHOWN in _clean(app, "add prompt")
        await pilot.press(*"evil", "enter")
        await settle(app, pilot)
        assert load_settings(hostile).settings.profile("t").groups == {"evil": [REPO]}
        _clean(app, "after add")
        await _choose(app, pilot, "g", 1)
        assert _shown(app.query_one(ProjectTree)) == {repo}
        assert "group evil" in _clean(app, "filtered tree")
        await pilot.press("minus")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        _clean(app, "remove chooser")
        await pilot.press("enter")
        await settle(app, pilot)
        assert load_settings(hostile).settings.profile("t").groups == {"evil": []}
        assert app.is_running
