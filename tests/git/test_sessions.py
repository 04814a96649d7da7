"""Git sessions on real repos with a local bare remote and a real SQLite store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.git.runner import GitError
from coditect_tui.core.git.sessions import (
    SESSION_FILE,
    ConfirmationRequired,
    GitSessions,
    SessionError,
    SessionState,
    compare_url,
    parse_shortstat,
    read_session,
    resolve_repo_id,
    session_branch,
)
from coditect_tui.core.models import AuditFilter
from tests.git.helpers import commit_file, git, make_remote_and_clone, run_cli, write_config


class Clock:
    """A local-time clock the test moves forward."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def helper_file_text(state: dict[str, object]) -> str:
    """Exactly what coditect-git-helper.py writes: json.dump(session, f, indent=2)."""
    return json.dumps(state, indent=2)


async def _events(store: object, name: str) -> list[object]:
    page = await store.query_audit(AuditFilter(action=name), limit=100)  # type: ignore[attr-defined]
    return list(page.items)


async def test_old_helper_session_is_picked_up(tmp_path: Path, store: object) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "legacy")
    git(clone, "switch", "-q", "-c", "session/2025-11-20-old-work")
    old = {
        "session_id": "20251120-091500",
        "description": "old work",
        "branch": "session/2025-11-20-old-work",
        "started_at": "2025-11-20T09:15:00.123456",
        "last_commit": "2025-11-20T09:40:00.000001",
        "last_push": None,
        "commit_count": 3,
        "push_count": 0,
    }
    (clone / SESSION_FILE).write_text(helper_file_text(old))
    state = read_session(clone)
    assert state is not None and state.to_dict() == old
    repo_id = await resolve_repo_id(store, clone, [tmp_path / "work"])  # type: ignore[arg-type]
    clock = Clock(datetime(2025, 11, 20, 10, 0, 0))
    sessions = GitSessions(clone, backend=store, repo_id=repo_id, now=clock)  # type: ignore[arg-type]
    status, picked = await sessions.report()
    assert picked == state and status.branch == "session/2025-11-20-old-work"
    assert await _events(store, "sessions.status") == []  # a read writes nothing
    assert (await store.list_sessions(repo_id=repo_id)).items == []  # type: ignore[attr-defined]
    commit_file(clone, "new.txt", "n", "seed")  # plain git, not counted by the session
    (clone / "new.txt").write_text("changed")
    result = await sessions.commit("continue old work")
    assert result.ok and result.sha
    written = (clone / SESSION_FILE).read_text()
    expected = dict(old, last_commit="2025-11-20T10:00:00", commit_count=4)
    assert written == helper_file_text(expected)  # byte-for-byte the helper's format
    rows = (await store.list_sessions(repo_id=repo_id)).items  # type: ignore[attr-defined]
    assert [r.session_key for r in rows] == ["20251120-091500"]
    assert rows[0].commit_count == 4 and rows[0].last_commit == result.sha
    assert rows[0].started_at == datetime(2025, 11, 20, 9, 15, 0, 123456).astimezone()
    assert not git(bare, "branch", "--list", "session/*")  # nothing pushed by a commit


async def test_start_commit_push_end_summary_and_history(tmp_path: Path, store: object) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "flow")
    repo_id = await resolve_repo_id(store, clone, [tmp_path / "work"])  # type: ignore[arg-type]
    clock = Clock(datetime(2026, 1, 5, 9, 0, 0))
    sessions = GitSessions(clone, backend=store, repo_id=repo_id, now=clock)  # type: ignore[arg-type]
    started = await sessions.start("fix login bug")
    assert started.branch == "session/2026-01-05-fix-login-bug"
    assert git(clone, "branch", "--show-current").strip() == started.branch
    state = json.loads((clone / SESSION_FILE).read_text())
    assert list(state) == [
        "session_id",
        "description",
        "branch",
        "started_at",
        "last_commit",
        "last_push",
        "commit_count",
        "push_count",
    ]
    assert state["session_id"] == "20260105-090000"
    assert state["started_at"] == "2026-01-05T09:00:00"
    with pytest.raises(SessionError):
        await sessions.start("another")  # one session at a time

    (clone / "file_0.txt").write_text("line one\nline two\n")
    clock.advance(minutes=10)
    first = await sessions.commit("first change")
    (clone / "new file.txt").write_text("a\nb\nc\n")
    clock.advance(minutes=10)
    second = await sessions.commit()
    assert first.sha != second.sha
    message = git(clone, "log", "-1", "--format=%B")
    assert "fix login bug" in message and "20260105-090000" in message
    nothing = await sessions.commit()
    assert nothing.message == "nothing to commit"
    assert git(clone, "status", "--porcelain") == ""  # the state file is never committed

    clock.advance(minutes=5)
    pushed = await sessions.push()
    assert pushed.details["result"] == "pushed"
    assert git(bare, "rev-parse", f"refs/heads/{started.branch}").strip() == second.sha
    again = await sessions.push()
    assert again.message == "nothing to push"

    clock.advance(minutes=15)
    ended = await sessions.end()
    summary = ended.details["summary"]
    assert summary["commits"] == 2 and summary["session_commits"] == 2
    assert summary["files_changed"] == 2
    assert (summary["insertions"], summary["deletions"]) == (5, 1)
    assert summary["duration_seconds"] == 40 * 60 and summary["duration"] == "0:40:00"
    assert summary["pushes"] == 1 and summary["merged"] is False
    assert not (clone / SESSION_FILE).exists()

    rows = (await store.list_sessions(repo_id=repo_id)).items  # type: ignore[attr-defined]
    assert len(rows) == 1 and rows[0].state == "ended"
    assert rows[0].summary["commits"] == 2 and rows[0].commit_count == 2
    assert rows[0].push_count == 1 and rows[0].ended_at is not None
    for verb in ("start", "commit", "push", "end"):
        events = [e for e in await _events(store, f"sessions.{verb}") if e.outcome == "ok"]  # type: ignore[attr-defined]
        assert events, verb
        details = events[0].details  # type: ignore[attr-defined]
        assert details["repo"] == str(clone) and details["branch"] == started.branch
        assert "sha" in details
    refused = await _events(store, "sessions.start")
    assert [e.outcome for e in refused] == ["error", "ok"]  # type: ignore[attr-defined]


async def test_main_branch_push_and_merge_need_confirmation(tmp_path: Path, store: object) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "guarded")
    repo_id = await resolve_repo_id(store, clone, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(clone, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    await sessions.start("guard rails")
    (clone / "g.txt").write_text("g\n")
    await sessions.commit("g")
    with pytest.raises(ConfirmationRequired):
        await sessions.end(merge=True)
    denied = await _events(store, "sessions.end")
    assert denied[0].outcome == "denied"  # type: ignore[attr-defined]
    assert read_session(clone) is not None  # nothing happened
    remote_main = git(bare, "rev-parse", "refs/heads/main").strip()

    # a session on the main branch itself (as the helper allowed): push needs a flag
    git(clone, "switch", "-q", "main")
    commit_file(clone, "m.txt", "m", "on main")
    with pytest.raises(ConfirmationRequired):
        await sessions.push()
    assert git(bare, "rev-parse", "refs/heads/main").strip() == remote_main
    pushes = await _events(store, "sessions.push")
    assert pushes[0].outcome == "denied"  # type: ignore[attr-defined]
    await sessions.push(confirm_main=True)
    assert (
        git(bare, "rev-parse", "refs/heads/main").strip() == git(clone, "rev-parse", "HEAD").strip()
    )


async def test_merge_with_confirmation_and_no_force_push(tmp_path: Path, store: object) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "merging")
    repo_id = await resolve_repo_id(store, clone, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(clone, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    start = await sessions.start("merge me")
    (clone / "feature.txt").write_text("feature\n")
    await sessions.commit("feature")
    await sessions.push()
    # someone rewrites the remote session branch: our push must be rejected, never forced
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", start.branch or "", str(bare), str(other))
    git(other, "commit", "-q", "--amend", "-m", "rewritten")
    git(other, "push", "-q", "--force", "origin", start.branch or "")
    rewritten = git(bare, "rev-parse", f"refs/heads/{start.branch}").strip()
    (clone / "more.txt").write_text("more\n")
    await sessions.commit("more")
    with pytest.raises(GitError):
        await sessions.push()
    assert git(bare, "rev-parse", f"refs/heads/{start.branch}").strip() == rewritten
    failed = await _events(store, "sessions.push")
    assert failed[0].outcome == "error"  # type: ignore[attr-defined]

    # reset the remote branch to ours by hand, then end with a confirmed merge
    git(
        other,
        "push",
        "-q",
        "--force",
        "origin",
        f"{git(clone, 'rev-parse', 'HEAD').strip()}:refs/heads/{start.branch}",
        check=False,
    )
    git(other, "fetch", "-q", str(clone), start.branch or "")
    git(other, "push", "-q", "--force", "origin", f"FETCH_HEAD:refs/heads/{start.branch}")
    ended = await sessions.end(merge=True, confirm_merge=True)
    assert ended.details["summary"]["merged"] is True
    assert git(clone, "branch", "--show-current").strip() == "main"
    log = git(bare, "log", "--format=%s", "-3", "main")
    assert log.splitlines()[0] == f"Merge session: {start.branch}"


async def test_sync_conflict_is_reported_and_left_as_git_left_it(
    tmp_path: Path, store: object
) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "syncing")
    repo_id = await resolve_repo_id(store, clone, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(clone, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    start = await sessions.start("sync test")
    result, conflict = await sessions.sync()
    assert result.ok and conflict is None and "nothing to pull" in result.message
    (clone / "file_0.txt").write_text("base\n")
    await sessions.commit("base")
    await sessions.push()
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", "-b", start.branch or "", str(bare), str(other))
    commit_file(other, "file_0.txt", "their side\n", "theirs")
    git(other, "push", "-q", "origin", start.branch or "")
    (clone / "file_0.txt").write_text("our side\n")
    await sessions.commit("ours")
    result, conflict = await sessions.sync()
    assert not result.ok and conflict is not None
    assert conflict.files == ["file_0.txt"] and conflict.rebase_in_progress
    assert "conflict" in result.message and "file_0.txt" in result.message
    assert (clone / ".git" / "rebase-merge").exists() or (clone / ".git" / "rebase-apply").exists()
    events = await _events(store, "sessions.sync")
    assert events[0].outcome == "error"  # type: ignore[attr-defined]
    assert events[0].details["conflicted_files"] == ["file_0.txt"]  # type: ignore[attr-defined]


async def test_cascade_commits_submodules_first_after_confirmation(
    tmp_path: Path, store: object
) -> None:
    make_remote_and_clone(tmp_path, "child")
    master = tmp_path / "work" / "master"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    commit_file(master, "README.md", "m", "init")
    git(
        master,
        "submodule",
        "add",
        "-q",
        str(tmp_path / "remotes" / "child.git"),
        "submodules/core/child",
    )
    git(master, "commit", "-q", "-m", "add child")
    child = master / "submodules" / "core" / "child"
    git(child, "switch", "-q", "-c", "session/work")
    (child / "file_0.txt").write_text("changed in the submodule\n")
    repo_id = await resolve_repo_id(store, master, [tmp_path / "work"])  # type: ignore[arg-type]
    sessions = GitSessions(master, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    await sessions.start("cascade")
    with pytest.raises(ConfirmationRequired) as refused:
        await sessions.commit("cascade commit", cascade=True)
    assert refused.value.repos == [child, master]
    assert git(child, "status", "--porcelain") != ""
    result = await sessions.commit("cascade commit", cascade=True, confirmed=True)
    assert [c.repo for c in result.children] == [child]
    assert git(child, "status", "--porcelain") == ""
    assert git(child, "log", "-1", "--format=%s").strip() == "cascade commit"
    changed = git(master, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["submodules/core/child"]  # the parent's pointer moved
    events = await _events(store, "sessions.commit")
    assert {e.details["repo"] for e in events} == {str(child), str(master)}  # type: ignore[attr-defined]


def test_state_file_round_trip_and_validation(tmp_path: Path) -> None:
    state = SessionState(
        session_id="20250101-010101",
        description="x y",
        branch="session/2025-01-01-x-y",
        started_at="2025-01-01T01:01:01",
        extra={"future_key": [1, 2]},
    )
    (tmp_path / SESSION_FILE).write_text(json.dumps(state.to_dict(), indent=2))
    assert read_session(tmp_path) == state
    (tmp_path / SESSION_FILE).write_text("{}")
    assert read_session(tmp_path) is None
    (tmp_path / SESSION_FILE).write_text('{"session_id": 5}')
    with pytest.raises(SessionError):
        read_session(tmp_path)
    assert (
        session_branch("fix the thing", datetime(2025, 3, 4)) == "session/2025-03-04-fix-the-thing"
    )


def test_compare_url_and_shortstat() -> None:
    assert (
        compare_url("git@github.com:acme/api.git", "main", "session/x")
        == "https://github.com/acme/api/compare/main...session/x"
    )
    assert (
        compare_url("https://github.com/acme/api", "main", "b")
        == "https://github.com/acme/api/compare/main...b"
    )
    assert (
        compare_url("ssh://git@gitlab.example.com:2222/g/p.git", "main", "b")
        == "https://gitlab.example.com/g/p/compare/main...b"
    )
    assert compare_url("/srv/git/x.git", "main", "b") is None
    assert compare_url("file:///srv/git/x.git", "main", "b") is None
    assert parse_shortstat(" 3 files changed, 10 insertions(+), 2 deletions(-)\n") == (3, 10, 2)
    assert parse_shortstat(" 1 file changed, 1 deletion(-)\n") == (1, 0, 1)
    assert parse_shortstat("") == (0, 0, 0)


def test_cli_session_flow(tmp_path: Path) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "cli")
    config = write_config(tmp_path, [tmp_path / "work"])
    env = {"CODITECT_CONFIG": str(config)}
    result = run_cli("session", "start", "cli", "work", cwd=clone, env=env)
    assert result.returncode == 0, result.stderr
    branch = git(clone, "branch", "--show-current").strip()
    assert branch.startswith("session/") and branch.endswith("-cli-work")
    (clone / "c.txt").write_text("c\n")
    assert run_cli("session", "commit", "-m", "c", cwd=clone, env=env).returncode == 0
    assert run_cli("session", "push", cwd=clone, env=env).returncode == 0
    status = run_cli("session", "status", "--json", cwd=clone, env=env)
    assert status.returncode == 0
    doc = json.loads(status.stdout)
    assert doc["session"]["commit_count"] == 1 and doc["repo"]["branch"] == branch
    pr = run_cli("session", "pr", cwd=clone, env=env)
    assert pr.returncode == 0, pr.stderr
    assert "no web URL" in pr.stdout or "gh" in pr.stdout
    refused = run_cli("session", "end", "--merge", cwd=clone, env=env)
    assert refused.returncode == 2 and "--confirm-merge" in refused.stderr
    assert "Traceback" not in refused.stderr
    end = run_cli("session", "end", cwd=clone, env=env)
    assert end.returncode == 0, end.stderr
    assert "Session Summary:" in end.stdout and "Commits: 1" in end.stdout
    nowhere = run_cli("session", "status", "--repo", str(tmp_path / "nope"), env=env)
    assert nowhere.returncode == 2 and nowhere.stderr.count("\n") == 1
    assert (
        git(bare, "rev-parse", f"refs/heads/{branch}").strip()
        == git(clone, "rev-parse", "HEAD").strip()
    )


async def test_same_named_repos_outside_the_roots_do_not_clobber_each_other(
    tmp_path: Path, store: object
) -> None:
    first = tmp_path / "one" / "api"
    second = tmp_path / "two" / "api"
    for repo in (first, second):
        repo.mkdir(parents=True)
        git(repo, "init", "-q")
        commit_file(repo, "a.txt", "a", "init")
    id_one = await resolve_repo_id(store, first, [])  # type: ignore[arg-type]
    id_two = await resolve_repo_id(store, second, [])  # type: ignore[arg-type]
    assert id_one != id_two
    assert await resolve_repo_id(store, first, []) == id_one  # type: ignore[arg-type]
    projects = {p.name: p.path for p in (await store.list_projects()).items}  # type: ignore[attr-defined]
    assert projects == {"api": str(first), str(second): str(second)}


async def test_commit_refuses_a_detached_head(tmp_path: Path) -> None:
    _, clone = make_remote_and_clone(tmp_path, "detach")
    sessions = GitSessions(clone)
    await sessions.start("detached work")
    git(clone, "checkout", "-q", "--detach")
    (clone / "x.txt").write_text("x")
    with pytest.raises(SessionError, match="detached"):
        await sessions.commit("x")
    assert git(clone, "status", "--porcelain").strip() == "?? x.txt"


async def test_failures_before_any_git_work_are_audited_too(tmp_path: Path, store: object) -> None:
    _, clone = make_remote_and_clone(tmp_path, "audited")
    repo_id = await resolve_repo_id(store, clone, [])  # type: ignore[arg-type]
    sessions = GitSessions(clone, backend=store, repo_id=repo_id)  # type: ignore[arg-type]
    with pytest.raises(SessionError, match="no active session"):
        await sessions.commit("x")
    with pytest.raises(InvalidInput):
        await sessions.start("bad:name")
    commits = await _events(store, "sessions.commit")
    starts = await _events(store, "sessions.start")
    assert [e.outcome for e in commits] == ["error"]  # type: ignore[attr-defined]
    assert [e.outcome for e in starts] == ["error"]  # type: ignore[attr-defined]
    assert "no active session" in commits[0].details["error"]  # type: ignore[attr-defined]
