"""The project tree keeps what the user made of it (expanded nodes, cursor, scroll) when
it is rebuilt: on `r`, and when a live update re-shows it; its title says "cached" only
when the last exit's statuses are painted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.core.tenant import events as ev
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree, _walk, node_key
from tests.ui.conftest import opened, settle

AppFactory = Callable[..., CoditectApp]


def _expanded(tree: ProjectTree) -> set[str]:
    return {node_key(n) for n in _walk(tree.root) if n.is_expanded and n.children}


async def _expand_all_and_go_down(app: CoditectApp, pilot: object, tree: ProjectTree) -> None:
    """Open every node (as the user would, with `l`), then put the cursor low down."""
    for node in list(_walk(tree.root)):
        if node.allow_expand:
            node.expand()
    await settle(app, pilot)
    tree.move_cursor(tree.get_node_at_line(tree.last_line - 1))
    await settle(app, pilot)


async def test_refresh_keeps_expansion_cursor_and_scroll(
    make_app: AppFactory, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 14)) as pilot:  # short: the open tree scrolls
        await opened(app, pilot)
        tree = app.query_one(ProjectTree)
        await _expand_all_and_go_down(app, pilot, tree)
        expanded, cursor = _expanded(tree), node_key(tree.cursor_node)  # type: ignore[arg-type]
        scroll = tree.scroll_y
        assert len(expanded) > 2 and scroll > 0 and cursor.startswith("repo:")
        await pilot.press("r")
        await opened(app, pilot)
        assert _expanded(tree) == expanded
        assert tree.cursor_node is not None and node_key(tree.cursor_node) == cursor
        assert tree.scroll_y == scroll
        assert app.selected is not None and cursor == f"repo:{app.selected.path}"


async def test_a_live_rebuild_keeps_expansion_and_cursor(
    make_app: AppFactory, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 14)) as pilot:
        await opened(app, pilot)
        tree = app.query_one(ProjectTree)
        await _expand_all_and_go_down(app, pilot, tree)
        expanded, cursor = _expanded(tree), node_key(tree.cursor_node)  # type: ignore[arg-type]
        scroll = tree.scroll_y
        session = app.session
        assert session is not None and session.view is not None
        session.emit(ev.StatusesLive(session.view))  # what a re-read of every status sends
        await settle(app, pilot)
        assert _expanded(tree) == expanded
        assert node_key(tree.cursor_node) == cursor  # type: ignore[arg-type]
        assert tree.scroll_y == scroll


def _record_titles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every title the tree is given, in order."""
    titles: list[str] = []
    show = ProjectTree.show

    def record(tree: ProjectTree, *args: Any, **kwargs: Any) -> None:
        show(tree, *args, **kwargs)
        titles.append(str(tree.border_title))

    monkeypatch.setattr(ProjectTree, "show", record)
    return titles


async def test_cached_only_when_the_cache_was_painted(
    make_app: AppFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first start (no paint cache) never says "cached"; a start from the cache does
    until the statuses are read."""
    titles = _record_titles(monkeypatch)
    first = make_app()
    async with first.run_test(size=(80, 24)) as pilot:
        await opened(first, pilot)  # closing saves the paint cache
    assert titles and "Projects (cached)" not in titles
    titles.clear()
    app = make_app()
    app.cached_paint = True
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(app, pilot)
    assert titles[0] == "Projects (cached)" and titles[-1] == "Projects"
