"""The tree's first paint of a big workspace: the first projects now, the rest when the app
adds them after the first frame; a newer view replaces a staged one without mixing them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from coditect_tui.core.git.discovery import discover
from coditect_tui.core.workspace_view import WorkspaceView, from_discovery, save_cache
from coditect_tui.ui import startup
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree


class TreeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ProjectTree(id="tree")


def _view(workspace: Path) -> WorkspaceView:
    return from_discovery("acme", discover([workspace], tenant="acme"))


async def test_first_projects_now_the_rest_after_the_frame(workspace: Path) -> None:
    view = _view(workspace)
    assert len(view.projects) >= 4
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.query_one(ProjectTree)
        tree.show(view, "ACME", first=2)
        shown_now = {n.data.project for n in tree.root.children if n.data is not None}
        assert shown_now == {p.name for p in view.projects[:2]}
        tree.add_rest()
        await pilot.pause()
        assert [n.data.path for n in tree.root.children if n.data is not None] == [
            p.repos[0].path for p in view.projects if p.repos
        ]


async def test_a_newer_view_is_not_mixed_with_a_staged_one(workspace: Path) -> None:
    old, new = _view(workspace), _view(workspace)
    new.projects = new.projects[:1]
    app = TreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.query_one(ProjectTree)
        tree.show(old, "ACME", first=1)
        tree.show(new, "ACME")  # before the staged rest of `old` is added
        tree.add_rest()
        await pilot.pause()
        assert len(tree.root.children) == 1
        assert tree.root.children[0].data is new.projects[0].repos[0]


async def test_the_app_adds_the_rest_after_its_first_frame(
    make_app: Callable[..., CoditectApp], workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start from the paint cache with more projects than the first frame takes: the
    first frame holds the first project only, and Ready (right after it) adds the rest."""
    view = _view(workspace)
    monkeypatch.setattr(startup, "FIRST_PAINT_PROJECTS", 1)
    counts: list[int] = []
    add_rest = ProjectTree.add_rest

    def record(tree: ProjectTree) -> None:
        counts.append(len(tree.root.children))
        add_rest(tree)
        counts.append(len(tree.root.children))

    monkeypatch.setattr(ProjectTree, "add_rest", record)
    app = make_app()
    save_cache(view, app.boot.paint_key)
    app.cached_paint = True  # the fixture's apps start without the paint cache
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert counts[:2] == [1, len([p for p in view.projects if p.repos])]
