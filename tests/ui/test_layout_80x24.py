"""At 80x24 nothing that matters is cut off: the footer's Help and Quit, a long repo
name's status glyphs, a long path in the modified list (one line per file)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.projects import ProjectTree, _walk
from tests.ui.conftest import screen_lines, settle

AppFactory = Callable[..., CoditectApp]
LONG = "a-submodule-with-a-name-far-too-long-for-the-tree"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.parametrize("pane", ["1", "2", "3", "4", "5"])
async def test_help_and_quit_stay_in_the_footer(make_app: AppFactory, pane: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(pane)
        await settle(app, pilot)
        footer = screen_lines(app)[-1]
    assert "? Help" in footer and "q Quit" in footer and "^p palette" in footer


async def test_a_long_submodule_name_keeps_its_glyph(make_app: AppFactory, workspace: Path) -> None:
    master = workspace / "platform-master"
    origin = workspace / ".remotes" / "subs" / "cli.git"
    _git(
        master,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(origin),
        f"submodules/tools/{LONG}",
    )
    _git(master, "commit", "-qm", "add a long-named submodule")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.query_one(ProjectTree)
        for node in list(_walk(tree.root)):
            if node.allow_expand:
                node.expand()
        await settle(app, pilot)
        lines = [line for line in screen_lines(app) if LONG[:12] in line]
        right = tree.region.right
    assert len(lines) == 1, lines
    tree_part = lines[0][:right]
    assert "…  ✓" in tree_part, tree_part  # the name cut, its glyph in sight


async def test_long_paths_in_the_modified_list_take_one_line_each(
    make_app: AppFactory, workspace: Path
) -> None:
    repo = workspace / "service-search"
    deep = repo / "src" / "a-package-with-a-long-name" / "and-a-module-folder-too"
    deep.mkdir(parents=True)
    (deep / "the_file_that_changed.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "a file deep down")
    (deep / "the_file_that_changed.py").write_text("x = 2\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.jump_to(str(repo))
        await settle(app, pilot)
        left = app.query_one(ProjectTree).region.right
        pane = [line[left:].rstrip() for line in screen_lines(app)]
    modified = [line for line in pane if ".M " in line]
    assert len(modified) == 1, pane  # the code and the path on one line
    deep_line = next(line for line in modified if "src/" in line)
    assert "…" in deep_line and deep_line.endswith("the_file_that_changed.py"), pane
    assert not any(line.strip().startswith(("the_file", "changed.py")) for line in pane)
    path_line = next(line for line in pane if "…" in line and "service-search" in line)
    assert path_line.endswith("/service-search")  # the repo's path: one line too


async def test_memory_and_audit_lines_are_not_cut_silently(
    make_app: AppFactory, workspace: Path
) -> None:
    """The memory status line fits; an audit row too long for the pane ends in "…" and
    its resource id is shortened like a commit id."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        left = app.query_one(ProjectTree).region.right
        memory = [line[left:].rstrip() for line in screen_lines(app)]
        await pilot.press("5")
        await settle(app, pilot)
        audit = [line[left:].rstrip() for line in screen_lines(app)]
    status = next(line for line in memory if "all kinds" in line)
    # the demo's one session export
    assert status.strip() == "1 entry · all kinds · any time", status
    rows = [line for line in audit if "repos.create " in line]
    assert rows, audit
    for row in rows:  # a repo id is 32 characters: shortened, in sight, marked
        resource = row.split("repos.create ", 1)[1].rstrip(" ▁▂▃▄▅▆▇█")
        assert resource.endswith("…") and 2 <= len(resource) <= 9, row
