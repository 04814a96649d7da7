"""Session refusals and reads that write nothing; ``.gitmodules`` entries that are not
submodules (issue 15, items 4 and 5). Real repos, the CLI in a subprocess, a real store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coditect_tui.core.git import layout
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import StatusTarget, read_gitmodules, read_status
from coditect_tui.core.git.status.gitlinks import parse_gitlinks
from coditect_tui.core.models import AuditFilter
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.panes.repo_detail import render_detail
from tests.git.helpers import commit_file, git, make_remote_and_clone, run_cli, write_config


def _master_with_uninitialised_submodule(base: Path) -> tuple[Path, Path]:
    make_remote_and_clone(base, "child")
    master = base / "work" / "master"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    commit_file(master, "README.md", "m", "init")
    git(master, "submodule", "add", "-q", str(base / "remotes" / "child.git"), "libs/child")
    git(master, "commit", "-q", "-m", "add child")
    git(master, "submodule", "deinit", "-q", "-f", "libs/child")
    return master, master / "libs" / "child"


def _master_with_folder_named_in_gitmodules(base: Path) -> tuple[Path, Path]:
    master = base / "work" / "vendoring"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    (master / ".gitmodules").write_text(
        '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://example.invalid/lib\n'
    )
    commit_file(master, "vendor/lib/code.py", "x = 1\n", "vendored, not a submodule")
    git(master, "add", ".gitmodules")
    git(master, "commit", "-q", "-m", "gitmodules")
    return master, master / "vendor" / "lib"


def test_session_start_and_status_refuse_an_uninitialised_submodule(tmp_path: Path) -> None:
    master, child = _master_with_uninitialised_submodule(tmp_path)
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [tmp_path / "work"]))}
    before = git(master, "branch", "--show-current").strip()
    for argv in (
        ("session", "start", "--repo", str(child), "sub", "work"),
        ("session", "status", "--repo", str(child)),
    ):
        result = run_cli(*argv, env=env)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "not initialised" in result.stderr and "libs/child" in result.stderr
    assert git(master, "branch", "--show-current").strip() == before
    assert git(master, "status", "--porcelain") == ""
    started = run_cli("session", "start", "sub", "work", cwd=child, env=env)
    assert started.returncode == 2 and git(master, "branch", "--show-current").strip() == before


def test_session_start_needs_a_description_off_a_terminal(tmp_path: Path) -> None:
    _, clone = make_remote_and_clone(tmp_path, "nodesc")
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [tmp_path / "work"]))}
    result = run_cli("session", "start", cwd=clone, env=env, stdin="")
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and "needs a description" in result.stderr
    assert git(clone, "branch", "--show-current").strip() == "main"
    assert not (clone / ".coditect-session.json").exists()


def test_session_status_outside_the_roots_writes_nothing(tmp_path: Path) -> None:
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    _, clone = make_remote_and_clone(tmp_path, "outside")
    roots = tmp_path / "elsewhere"
    roots.mkdir()
    db = tmp_path / "cli.db"
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [roots], db=db))}
    (clone / ".coditect-session.json").write_text(
        '{"session_id": "20251120-091500", "description": "d", "branch": "main", '
        '"started_at": "2025-11-20T09:15:00"}'
    )

    async def look() -> tuple[int, int, int]:
        store = await SqlStore.open_sqlite(
            db, tenant="t1", principal="alice", provision=Provision("T1", "internal", "owner")
        )
        try:
            audit = (await store.query_audit(AuditFilter(), limit=1000)).items
            projects = (await store.list_projects()).items
            sessions = (await store.list_sessions()).items
            return len(audit), len(projects), len(sessions)
        finally:
            await store.close()

    before = asyncio.run(look())
    for _ in range(2):
        result = run_cli("session", "status", "--json", cwd=clone, env=env)
        assert result.returncode == 0, result.stderr
        assert '"session_id": "20251120-091500"' in result.stdout
    assert asyncio.run(look()) == before


async def test_a_folder_named_in_gitmodules_is_not_a_submodule(tmp_path: Path) -> None:
    master, folder = _master_with_folder_named_in_gitmodules(tmp_path)
    (entry,) = read_gitmodules(master)
    assert not entry.initialised and not entry.gitlink
    tree = discover([tmp_path / "work"])
    assert [r.path for r in tree.repos()] == [master]  # no uninitialised submodule row
    assert any("ordinary folder" in w for w in tree.warnings)
    status = await read_status(GitRunner(), StatusTarget(master))
    assert status.submodules is not None
    assert (status.submodules.total, status.submodules.uninitialised) == (0, 0)
    assert status.submodules.folders == ("vendor/lib",)
    view = RepoView(path=str(master), name="vendoring", project="vendoring", status=status)
    text = render_detail(view, []).plain
    assert "submodule update --init" not in text
    assert "vendor/lib: an ordinary folder, though .gitmodules names it" in text
    # acting on the folder acts on the repo it belongs to (it is no submodule to refuse)
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [tmp_path / "work"]))}
    result = run_cli("session", "status", "--repo", str(folder), env=env)
    assert result.returncode == 0, result.stderr


async def test_an_uninitialised_gitlink_is_still_a_submodule(tmp_path: Path) -> None:
    master, _ = _master_with_uninitialised_submodule(tmp_path)
    (entry,) = read_gitmodules(master)
    assert not entry.initialised and entry.gitlink
    status = await read_status(GitRunner(), StatusTarget(master))
    assert status.submodules is not None and status.submodules.uninitialised == 1
    assert status.submodules.folders == ()


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_gitlinks_are_read_from_every_index_version(tmp_path: Path, version: str) -> None:
    master, _ = _master_with_uninitialised_submodule(tmp_path)
    (master / "vendor").mkdir()
    (master / "vendor" / "later.py").write_text("y\n")
    git(master, "add", "-N", "vendor/later.py")  # intent-to-add: an extended flag (v3+)
    git(master, "update-index", "--index-version", version)
    git_dir = layout.git_dir_of(master)
    assert git_dir is not None
    data = (git_dir / "index").read_bytes()
    assert parse_gitlinks(data) == frozenset({"libs/child"})
    assert parse_gitlinks(data[:150]) is None  # truncated: not known, not guessed
