"""Sessions on every kind of repo: ``master`` repos, helper-started sessions (issue 15).

Real repos in tmp dirs, a real SQLite store, the CLI in a subprocess.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from coditect_tui.core.git import layout
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.sessions import (
    SESSION_FILE,
    ConfirmationRequired,
    GitSessions,
    SessionError,
    resolve_repo_id,
)
from coditect_tui.core.git.status import StatusTarget, read_status, resolve_main_branch
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.panes.repo_detail import render_detail
from tests.git.helpers import commit_file, git, run_cli, write_config


def _master_repo(base: Path, name: str = "plain") -> Path:
    """A plain ``git init -b master`` repo with one commit and no remote."""
    repo = base / "work" / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "master")
    commit_file(repo, "README.md", "hello\n", "initial")
    return repo


def _helper_state(branch: str) -> dict[str, object]:
    return {
        "session_id": "20251120-091500",
        "description": "helper work",
        "branch": branch,
        "started_at": "2025-11-20T09:15:00.123456",
        "last_commit": None,
        "last_push": None,
        "commit_count": 0,
        "push_count": 0,
    }


def _history_of_state_file(repo: Path) -> str:
    return git(repo, "log", "--all", "--format=%H", "--", SESSION_FILE)


async def test_master_repo_start_commit_end_merge_summary_and_health(
    tmp_path: Path, store: object
) -> None:
    repo = _master_repo(tmp_path)
    main = resolve_main_branch(repo, layout.git_dir_of(repo))
    assert (main.name, main.source) == ("master", "existing")
    status = await read_status(GitRunner(), StatusTarget(repo))
    assert status.main_branch == "master" and status.health is not None
    assert status.health.score == 100, status.health.warnings  # was 95: "not main"
    view = RepoView(path=str(repo), name="plain", project="plain", status=status)
    shown = render_detail(view, []).plain
    assert "Main      master (from the only one of main/master that exists)" in shown
    repo_id = await resolve_repo_id(store, repo, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(repo, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    started = await sessions.start("on master")
    (repo / "a.txt").write_text("a\n")
    await sessions.commit("a")
    ended = await sessions.end(merge=True, confirm_merge=True)
    summary = ended.details["summary"]
    assert summary["commits"] == 1 and summary["base"] == "master"
    assert summary["merged"] is True
    assert git(repo, "branch", "--show-current").strip() == "master"
    assert git(repo, "log", "-1", "--format=%s").strip() == f"Merge session: {started.branch}"
    assert git(repo, "status", "--porcelain") == ""


def test_cli_end_merge_on_master_repo_counts_the_commit(tmp_path: Path) -> None:
    repo = _master_repo(tmp_path, "climaster")
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [tmp_path / "work"]))}
    assert run_cli("session", "start", "cli", "work", cwd=repo, env=env).returncode == 0
    (repo / "c.txt").write_text("c\n")
    assert run_cli("session", "commit", "-m", "c", cwd=repo, env=env).returncode == 0
    end = run_cli("session", "end", "--merge", "--confirm-merge", cwd=repo, env=env)
    assert end.returncode == 0, end.stderr
    assert "Commits: 1" in end.stdout and "Merged: True" in end.stdout
    assert git(repo, "branch", "--show-current").strip() == "master"


def test_main_branch_sources_in_order(tmp_path: Path) -> None:
    repo = _master_repo(tmp_path)
    git_dir = layout.git_dir_of(repo)
    # init.defaultBranch, when that branch exists
    git(repo, "branch", "trunk")
    git(repo, "config", "init.defaultBranch", "trunk")
    assert resolve_main_branch(repo, git_dir).source == "init-default"
    assert resolve_main_branch(repo, git_dir).name == "trunk"
    # the remote's HEAD (another remote than origin)
    bare = tmp_path / "up.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "develop", str(bare))
    git(repo, "push", "-q", str(bare), "master:develop")
    git(repo, "remote", "add", "upstream", str(bare))
    git(repo, "fetch", "-q", "upstream")
    git(repo, "remote", "set-head", "upstream", "--auto")
    found = resolve_main_branch(repo, git_dir)
    assert (found.name, found.source) == ("develop", "remote-head")
    assert found.describe() == "refs/remotes/upstream/HEAD"
    # the helper's config keeps precedence
    (repo / ".coditect-git-config.json").write_text(json.dumps({"main_branch": "release"}))
    assert resolve_main_branch(repo, git_dir).source == "helper-config"


async def test_end_that_cannot_merge_is_refused_before_confirmation(tmp_path: Path) -> None:
    repo = tmp_path / "trunkonly"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    commit_file(repo, "a.txt", "a", "init")
    sessions = GitSessions(repo)
    await sessions.start("no main here")
    assert sessions.main_branch() == "main"  # on the session branch: nothing to tell
    with pytest.raises(SessionError, match="cannot merge"):
        await sessions.end(merge=True)  # not ConfirmationRequired: nothing to confirm
    with pytest.raises(SessionError, match="cannot merge"):
        await sessions.check_merge()
    assert (repo / SESSION_FILE).exists()  # nothing happened
    # with a main branch that exists, the confirmation is asked for as before
    git(repo, "branch", "main", "trunk")
    with pytest.raises(ConfirmationRequired):
        await sessions.end(merge=True)


async def test_helper_started_session_never_commits_the_state_file(
    tmp_path: Path, store: object
) -> None:
    repo = _master_repo(tmp_path, "helper")
    branch = "session/2025-11-20-helper-work"
    git(repo, "switch", "-q", "-c", branch)
    (repo / SESSION_FILE).write_text(json.dumps(_helper_state(branch), indent=2))
    repo_id = await resolve_repo_id(store, repo, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(repo, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    (repo / "w.txt").write_text("w\n")
    result = await sessions.commit("work")
    assert result.sha
    assert SESSION_FILE not in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    (repo / "x.txt").write_text("x\n")
    await sessions.end()
    assert git(repo, "status", "--porcelain", "--ignored=no") == ""
    assert not (repo / SESSION_FILE).exists()
    assert _history_of_state_file(repo) == ""


async def test_a_state_file_the_helper_committed_is_untracked_and_end_leaves_it_clean(
    tmp_path: Path,
) -> None:
    repo = _master_repo(tmp_path, "tracked")
    branch = "session/2025-11-20-helper-work"
    git(repo, "switch", "-q", "-c", branch)
    (repo / SESSION_FILE).write_text(json.dumps(_helper_state(branch), indent=2))
    git(repo, "add", "--", SESSION_FILE)
    git(repo, "commit", "-q", "-m", "helper committed its state file")
    sessions = GitSessions(repo, now=lambda: datetime(2025, 11, 20, 10, 0, 0))
    (repo / "w.txt").write_text("w\n")
    await sessions.commit("work")
    assert SESSION_FILE not in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert (repo / SESSION_FILE).exists()  # still the session's file on disk
    await sessions.end()
    assert git(repo, "status", "--porcelain") == ""
    assert SESSION_FILE not in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split()


async def test_state_file_exclusion_goes_to_the_common_git_dir_of_a_worktree(
    tmp_path: Path,
) -> None:
    repo = _master_repo(tmp_path, "linked")
    linked = tmp_path / "work" / "linked-wt"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "side")
    sessions = GitSessions(linked)
    await sessions.start("in a worktree")
    exclude = (repo / ".git" / "info" / "exclude").read_text()
    assert f"/{SESSION_FILE}" in exclude.splitlines()
    assert git(linked, "status", "--porcelain") == ""
