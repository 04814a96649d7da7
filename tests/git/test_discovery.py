"""Discovery: master projects with categories, nested and uninitialised submodules,
symlink loops, unreadable directories, the .coditect/.claude convention, registration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.core.git.discovery import (
    DiscoveryError,
    discover,
    register_tree,
    superproject_of,
)
from coditect_tui.core.git.health import check_symlinks, score
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from tests.git.helpers import commit_file, git, make_remote_and_clone
from tests.support.unprivileged import unprivileged_prefix


def build_master(base: Path) -> Path:
    """A rollout master: submodules/<category>/<repo>, one nested, one uninitialised."""
    for name in ("backend", "frontend", "docs", "core", "leaf"):
        make_remote_and_clone(base, name)
    remotes = base / "remotes"
    # 'core' itself holds a nested submodule 'leaf'
    core_seed = base / "core-seed"
    git(base, "clone", "-q", str(remotes / "core.git"), str(core_seed))
    git(core_seed, "submodule", "add", "-q", str(remotes / "leaf.git"), "vendor/leaf")
    git(core_seed, "commit", "-q", "-m", "add leaf")
    git(core_seed, "push", "-q", "origin", "main")

    master = base / "workspace" / "coditect-rollout-master"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    commit_file(master, "README.md", "# master\n", "init")
    for category, name in (
        ("cloud", "backend"),
        ("cloud", "frontend"),
        ("docs", "docs"),
        ("core", "core"),
    ):
        git(
            master,
            "submodule",
            "add",
            "-q",
            str(remotes / f"{name}.git"),
            f"submodules/{category}/{name}",
        )
    git(master, "commit", "-q", "-m", "add submodules")
    git(master, "submodule", "update", "-q", "--init", "--recursive")
    # listed but not initialised: deinit one
    git(master, "submodule", "deinit", "-q", "-f", "submodules/docs/docs")
    (master / ".coditect").symlink_to(base / "framework")  # broken until created
    return master


async def test_master_project_tree(tmp_path: Path, store: object) -> None:
    master = build_master(tmp_path)
    tree = discover([tmp_path / "workspace"], tenant="t1")
    assert tree.tenant == "t1"
    assert [p.name for p in tree.projects] == ["coditect-rollout-master"]
    project = tree.projects[0]
    assert project.kind == "master"
    nodes = {n.rel_path: n for n in project.repos()}
    assert set(nodes) == {
        ".",
        "submodules/cloud/backend",
        "submodules/cloud/frontend",
        "submodules/docs/docs",
        "submodules/core/core",
        "submodules/core/core/vendor/leaf",
    }
    assert not nodes["submodules/docs/docs"].initialised
    assert nodes["submodules/cloud/backend"].initialised
    leaf = nodes["submodules/core/core/vendor/leaf"]
    assert leaf.is_submodule and leaf.initialised
    assert leaf.parent_path == master / "submodules" / "core" / "core"
    assert leaf.category == "core"  # inherited through the nested layout
    groups = project.by_category()
    assert {k: sorted(n.name for n in v) for k, v in groups.items()} == {
        "cloud": ["backend", "frontend"],
        "docs": ["docs"],
        "core": ["core", "leaf"],
    }
    assert nodes["."].symlinks is not None and nodes["."].symlinks.coditect == "broken"
    assert all(n.in_coditect_master for n in project.repos() if n.is_submodule)

    statuses = await read_many(GitRunner(), tree.targets())
    by_path = {s.path: s for s in statuses}
    docs = by_path[str(master / "submodules" / "docs" / "docs")]
    assert (docs.initialised, docs.error, docs.state) == (False, None, "uninitialised")
    root = by_path[str(master)]
    assert root.submodules is not None
    assert (root.submodules.total, root.submodules.initialised, root.submodules.uninitialised) == (
        4,
        3,
        1,
    )
    assert all(s.error is None for s in statuses)

    first = await register_tree(store, tree)  # type: ignore[arg-type]
    assert first.created == 1 + 6
    again = await register_tree(store, tree)  # type: ignore[arg-type]
    assert (again.created, again.updated) == (0, 0)
    assert again.repo_ids == first.repo_ids
    repos = (await store.list_repos(limit=100)).items  # type: ignore[attr-defined]
    by_rel = {r.path: r for r in repos}
    assert by_rel["submodules/core/core/vendor/leaf"].parent_id == by_rel["submodules/core/core"].id
    assert by_rel["submodules/docs/docs"].initialised is False
    assert by_rel["submodules/cloud/backend"].category == "cloud"
    assert superproject_of(leaf.path) == master


def test_symlink_loops_unreadable_dirs_and_bad_roots(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _, clone = make_remote_and_clone(tmp_path, "real")
    (root / "group").mkdir(parents=True)
    os.symlink(clone, root / "group" / "link-to-real")
    os.symlink(root, root / "group" / "loop")  # a loop back to the root
    os.symlink(root / "group", root / "group" / "self")
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    tree = discover([root, tmp_path / "work"])
    names = [p.name for p in tree.projects]
    assert names == ["group/link-to-real"]  # the second path to the same repo is skipped
    assert any("loop" in w or "self" in w for w in tree.warnings)
    with pytest.raises(DiscoveryError):
        discover([tmp_path / "missing"])
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DiscoveryError):
        discover([tmp_path / "file.txt"])


_UNREADABLE_SCENARIO = """
import json, sys
from pathlib import Path
from coditect_tui.core.git.discovery import discover

root = Path(sys.argv[1])
(root / "locked").chmod(0)
try:
    tree = discover([root])
finally:
    (root / "locked").chmod(0o755)
print(json.dumps({"warnings": tree.warnings, "projects": [str(p.path) for p in tree.projects]}))
"""


def test_unreadable_directory_is_skipped_with_a_warning(tmp_path: Path) -> None:
    # In a child process without the capabilities that let root read every folder.
    root = tmp_path / "root"
    (root / "locked").mkdir(parents=True)
    _, clone = make_remote_and_clone(root, "ok")
    done = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-c", _UNREADABLE_SCENARIO, str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert any("locked" in w for w in found["warnings"])
    assert found["projects"] == [str(clone)]


def test_coditect_symlink_convention(tmp_path: Path) -> None:
    framework = tmp_path / "framework"
    (framework / "agents").mkdir(parents=True)
    good = tmp_path / "good"
    good.mkdir()
    (good / ".coditect").symlink_to(framework)
    (good / ".claude").symlink_to(framework)
    check = check_symlinks(good)
    assert (check.coditect, check.claude, check.accessible, check.framework, check.expected) == (
        "symlink",
        "symlink",
        True,
        True,
        True,
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".coditect").symlink_to(tmp_path / "gone")
    check = check_symlinks(broken)
    assert (check.coditect, check.accessible, check.expected) == ("broken", False, True)
    plain = tmp_path / "plain"
    plain.mkdir()
    assert check_symlinks(plain).expected is False
    assert check_symlinks(plain, in_coditect_master=True).expected is True


@pytest.mark.parametrize(
    ("kwargs", "points", "issues", "warnings"),
    [
        ({}, 100, [], []),
        ({"uncommitted": 3}, 85, [], ["3 uncommitted changes"]),
        ({"uncommitted": 9}, 80, ["9 uncommitted changes"], []),
        ({"unpushed": 2}, 90, [], ["2 unpushed commits"]),
        ({"unpushed": 1}, 95, [], ["1 unpushed commit"]),
        ({"uncommitted": 1}, 95, [], ["1 uncommitted change"]),
        ({"unpushed": 7}, 80, [], ["7 unpushed commits"]),
        ({"behind": 4}, 90, [], ["Behind remote by 4 commits"]),
        (
            {"detached": True, "branch": None},
            80,
            ["Detached HEAD state"],
            ["On branch 'detached' (not main)"],
        ),
        ({"branch": "feature"}, 95, [], ["On branch 'feature' (not main)"]),
        (
            {"symlinks": "missing"},
            50,
            [
                ".coditect symlink missing",
                ".coditect symlink broken or inaccessible",
                "CODITECT framework not accessible",
            ],
            [],
        ),
        (
            {"symlinks": "broken"},
            70,
            [".coditect symlink broken or inaccessible", "CODITECT framework not accessible"],
            [],
        ),
        (
            {
                "uncommitted": 30,
                "unpushed": 30,
                "behind": 1,
                "detached": True,
                "branch": None,
                "symlinks": "missing",
            },
            0,
            None,
            None,
        ),
    ],
)
def test_health_rules(
    tmp_path: Path,
    kwargs: dict[str, object],
    points: int,
    issues: list[str] | None,
    warnings: list[str] | None,
) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    links = kwargs.pop("symlinks", None)
    if links == "broken":
        (repo / ".coditect").symlink_to(tmp_path / "gone")
    check = check_symlinks(repo, in_coditect_master=links is not None)
    args: dict[str, object] = {
        "uncommitted": 0,
        "unpushed": 0,
        "behind": 0,
        "detached": False,
        "branch": "main",
        "main_branch": "main",
        "symlinks": check,
    }
    args.update(kwargs)
    health = score(**args)  # type: ignore[arg-type]
    assert health.score == points
    if issues is not None:
        assert health.issues == issues
    if warnings is not None:
        assert health.warnings == warnings
