"""The paint cache: a RepoView is discovery plus its RepoStatus, saved and rebuilt
explicitly; a cache of another format is ignored, never misread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from coditect_tui.core.git.health import Health
from coditect_tui.core.git.status import RepoStatus
from coditect_tui.core.workspace_view import (
    CACHE_VERSION,
    ProjectView,
    RepoView,
    WorkspaceView,
    cache_file,
    load_cached,
    save_cache,
)
from tests.conftest import REPO_ROOT


@pytest.fixture(autouse=True)
def _cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _view(tmp_path: Path) -> WorkspaceView:
    root = str(tmp_path / "ws" / "app")
    status = RepoStatus(
        path=root,
        name="app",
        project="app",
        head_oid="a" * 40,
        branch="feature/\x1b[31mred",
        upstream="origin/feature",
        ahead=2,
        behind=1,
        staged=1,
        modified=1,
        untracked=3,
        changed=1,
        stash=1,
        main_branch="trunk",
        health=Health(70, ["x"], ["y"]),
        seconds=1.5,
    )
    repos = [
        RepoView(path=root, name="app", project="app", status=status),
        RepoView(path=root + "/sub", name="sub", project="app", parent=root, is_submodule=True),
        RepoView(
            path=root + "/off",
            name="off",
            project="app",
            parent=root,
            is_submodule=True,
            category="docs",
            initialised=False,
            status=RepoStatus(path=root + "/off", name="off", initialised=False),
        ),
    ]
    return WorkspaceView("acme", [ProjectView("app", root, "plain", repos)])


def test_the_cache_keeps_the_status_the_tree_needs(tmp_path: Path) -> None:
    view = _view(tmp_path)
    save_cache(view, "acme")
    loaded = load_cached("acme")
    assert loaded is not None and loaded.cached
    app, sub, off = loaded.repos()
    assert sub.status is None and (sub.parent, sub.is_submodule) == (app.path, True)
    assert off.status is not None and not off.initialised and off.category == "docs"
    status, was = app.status, view.projects[0].repos[0].status
    assert status is not None and was is not None and status.cached and not was.cached
    assert status.to_cache() == was.to_cache()
    assert (status.path, status.name, status.project) == (was.path, was.name, was.project)
    assert status.dirty and status.uncommitted == 4 and status.state == "dirty"
    assert status.health is not None and (status.health.score, status.health.issues) == (70, [])
    assert status.files == [] and status.last_commit is None and status.seconds == 0


def test_an_old_format_cache_is_ignored(tmp_path: Path) -> None:
    """Version 1 kept the git fields on the RepoView (and its own ``dirty``): ignored."""
    root = str(tmp_path / "ws" / "app")
    old = {
        "version": 1,
        "tenant": "acme",
        "projects": [
            {
                "name": "app",
                "path": root,
                "kind": "plain",
                "repos": [
                    {
                        "path": root,
                        "name": "app",
                        "project": "app",
                        "parent": None,
                        "category": None,
                        "is_submodule": False,
                        "initialised": True,
                        "branch": "main",
                        "detached": False,
                        "upstream": None,
                        "ahead": 0,
                        "behind": 0,
                        "staged": 0,
                        "modified": 2,
                        "untracked": 0,
                        "conflicted": 0,
                        "stash": 0,
                        "health": 90,
                        "error": None,
                        "head": "a" * 40,
                        "known": True,
                    }
                ],
            }
        ],
    }
    target = cache_file("acme")
    target.parent.mkdir(parents=True)
    target.write_bytes(orjson.dumps(old))
    assert CACHE_VERSION != 1 and load_cached("acme") is None
    # the old repo layout under the new version number is not misread either
    target.write_bytes(orjson.dumps({**old, "version": CACHE_VERSION}))
    assert load_cached("acme") is None


@pytest.mark.parametrize(
    "change",
    [
        {"ahead": "2"},
        {"ahead": -1},
        {"detached": 1},
        {"branch": 5},
        {"health": "good"},
        {"changed": None},
    ],
)
def test_a_malformed_cached_status_is_ignored(tmp_path: Path, change: dict[str, object]) -> None:
    """A malformed cached status reads as "not read yet"; the other repos keep theirs."""
    broken = orjson.loads(_view(tmp_path).to_json())
    broken["projects"][0]["repos"][0]["status"].update(change)
    missing = orjson.loads(_view(tmp_path).to_json())
    del missing["projects"][0]["repos"][0]["status"]["stash"]
    for raw in (broken, missing):
        view = WorkspaceView.from_json(orjson.dumps(raw))
        assert view is not None
        first, sub, off = view.repos()
        assert first.status is None and first.status is None  # decoded once, stays None
        assert sub.status is None and off.status is not None and off.status.cached
    raw["projects"][0]["repos"][0]["status"] = ["not", "a", "status"]
    assert WorkspaceView.from_json(orjson.dumps(raw)) is None


def test_cached_statuses_are_decoded_when_first_read(tmp_path: Path) -> None:
    """The first frame decodes only the repos it shows."""
    view = WorkspaceView.from_json(_view(tmp_path).to_json())
    assert view is not None
    repo = next(iter(view.repos()))
    assert repo._raw_status is not None and repo._status is None
    status = repo.status
    assert status is not None and status.cached and repo._raw_status is None
    assert repo.status is status


def test_the_cached_paint_does_not_load_the_status_reader(tmp_path: Path) -> None:
    """Rebuilding statuses from the cache imports the model only (no runner, no parsers)."""
    save_cache(_view(tmp_path), "acme")
    code = (
        "import sys; from coditect_tui.core.workspace_view import load_cached; "
        "view = load_cached('acme'); [r.status for r in view.repos()]; "
        "print(view is not None, sorted(m for m in sys.modules if m.startswith("
        "('coditect_tui.core.git.runner', 'coditect_tui.core.git.status.', "
        "'coditect_tui.core.git.objects'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
        cwd=REPO_ROOT,
        check=True,
    ).stdout.strip()
    assert out == "True ['coditect_tui.core.git.status.model']"
