"""Dashboard figures against the generated workspace's oracle and real repos in awkward states."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.core.dashboard import (
    CommitHistory,
    DashboardOptions,
    Kpis,
    build_dashboard,
    compute_commits,
    compute_trend,
    health_reasons,
    health_score,
    load_dashboard,
    window_start,
)
from coditect_tui.core.git import health, report
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import RepoStatus, read_many, read_status
from coditect_tui.core.models import (
    GitSessionSpec,
    GitSessionUpdate,
    ProjectSpec,
    RepoSpec,
    StatusSnapshot,
    StatusSnapshotSpec,
)
from tests.git.helpers import commit_file, git, make_remote_and_clone, run_cli
from tests.support.workspaces import read_status as oracle_status


async def _read(root: Path) -> list[RepoStatus]:
    tree = discover([root])
    return await read_many(GitRunner(), tree.targets())


def _oracle_rows(workspace: Path, statuses: list[RepoStatus]) -> dict[str, dict[str, Any]]:
    """expected.json for the top-level repos, the oracle's own reader for submodules."""
    expected = json.loads((workspace / "expected.json").read_text())
    rows = {str(workspace / "projects" / name): row for name, row in expected.items()}
    for status in statuses:
        if status.is_submodule:
            rows[status.path] = oracle_status(Path(status.path))
    return rows


def _oracle_scores(rows: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The health score of every read (initialised) row, by path."""
    return {path: _oracle_score(row) for path, row in rows.items() if row["initialised"]}


def _oracle_attention(rows: dict[str, dict[str, Any]], below: int) -> list[tuple[int, str]]:
    """(score, path) of the rows needing attention (low score or conflicted), worst first."""
    scores = _oracle_scores(rows)
    return sorted((v, p) for p, v in scores.items() if v < below or rows[p]["conflicted"])


def _oracle_score(row: dict[str, Any]) -> int:
    detached = row["detached"]
    return health.score(
        uncommitted=row["changed"] + row["untracked"],
        unpushed=row["ahead"] if row["upstream"] else 0,
        behind=row["behind"],
        detached=detached,
        branch=None if detached else row["branch"],
        main_branch=row["origin_head"] or "main",
        symlinks=None,
    ).score


async def test_kpis_distribution_and_attention_equal_the_oracle(workspace: Path) -> None:
    statuses = await _read(workspace / "projects")
    rows = _oracle_rows(workspace, statuses)
    assert set(rows) == {s.path for s in statuses}
    assert any(s.is_submodule for s in statuses)
    options = DashboardOptions(attention_below=96)
    board = build_dashboard(statuses, active_sessions=3, options=options)
    k = board.kpis
    values = [r for r in rows.values() if r["initialised"]]
    assert k.repos == len(rows) and k.read == len(values)
    assert (k.errored, k.uninitialised, k.active_sessions) == (0, len(rows) - len(values), 3)
    assert k.dirty == sum(1 for r in values if r["changed"] or r["untracked"])
    assert k.ahead == sum(1 for r in values if r["ahead"] > 0)
    assert k.behind == sum(1 for r in values if r["behind"] > 0)
    assert k.detached == sum(1 for r in values if r["detached"])
    assert k.conflicted == sum(1 for r in values if r["conflicted"])
    # the workspace mixes states
    assert k.dirty and k.ahead and k.behind and k.detached and k.conflicted and k.uninitialised

    scores = _oracle_scores(rows)
    assert k.average_health == round(sum(scores.values()) / len(scores), 1)
    for band in board.distribution:
        want = sum(1 for v in scores.values() if band.low <= v <= band.high)
        assert band.count == want, band
        assert band.share == round(want / len(scores) * 100, 1)
    want_attention = _oracle_attention(rows, 96)
    assert [(a.score, a.path) for a in board.attention] == want_attention
    assert len(board.attention) >= 2 and board.attention[0].reasons

    # same semantics as `coditect status`'s summary
    summary = report.summarise(statuses)
    assert (
        k.repos,
        k.read,
        k.errored,
        k.dirty,
        k.ahead,
        k.behind,
        k.detached,
        k.conflicted,
        k.average_health,
    ) == (
        summary["repos"],
        summary["read"],
        summary["errors"],
        summary["dirty"],
        summary["ahead"],
        summary["behind"],
        summary["detached"],
        summary["conflicted"],
        summary["average_score"],
    )
    assert {b.band: b.count for b in board.distribution} == summary["distribution"]


def _plain_git_commits(paths: list[str], since: datetime) -> tuple[dict[str, int], int]:
    """Distinct commits per UTC day, and the per-repo total (with duplicates), by plain git."""
    per_day: dict[str, int] = {}
    seen: set[str] = set()
    with_duplicates = 0
    for path in paths:
        out = git(Path(path), "log", "--format=%H %ct", "--branches", "--remotes", "HEAD")
        for line in out.splitlines():
            sha, stamp = line.split()
            moment = datetime.fromtimestamp(int(stamp), UTC)
            if moment < since:
                continue
            with_duplicates += 1
            if sha not in seen:
                seen.add(sha)
                day = moment.date().isoformat()
                per_day[day] = per_day.get(day, 0) + 1
    return per_day, with_duplicates


async def test_commits_per_day_equal_plain_git(workspace: Path) -> None:
    statuses = await _read(workspace / "projects")
    runner = GitRunner()
    now = datetime.now(UTC)
    options = DashboardOptions()
    board = await load_dashboard(statuses, runner=runner, now=now, options=options)
    want, with_duplicates = _plain_git_commits(
        [s.path for s in statuses if s.initialised and not s.unborn],  # the others: no log
        window_start(now, options),
    )
    got = {d.day.isoformat(): d.commits for d in board.commits if d.commits}
    assert got == want
    assert len(board.commits) == 30 and board.commits[-1].day == now.date()
    assert board.commits_total < with_duplicates  # submodules share their clones' commits
    assert all(d.estimated == 0 for d in board.commits)
    assert board.notes == ()


async def test_stale_repos_by_commit_age(workspace: Path) -> None:
    statuses = await _read(workspace / "projects")
    newest = max(s.last_commit.time for s in statuses if s.last_commit)
    assert build_dashboard(statuses).stale == ()
    later = newest + timedelta(days=31)
    board = build_dashboard(statuses, now=later, options=DashboardOptions(stale_days=30))
    assert {s.path for s in board.stale} == {s.path for s in statuses if s.last_commit}
    assert any(s.unborn for s in statuses)  # unborn and uninitialised repos are never stale
    ages = [s.days for s in board.stale]
    assert ages == sorted(ages, reverse=True) and min(ages) >= 30
    for item in board.stale:
        status = next(s for s in statuses if s.path == item.path)
        assert status.last_commit is not None
        assert item.days == (later - status.last_commit.time).days


async def test_awkward_repos_conflict_error_unborn_and_old(tmp_path: Path) -> None:
    root = tmp_path / "work"
    _, conflict = make_remote_and_clone(tmp_path, "conflict")
    git(conflict, "switch", "-q", "-c", "other")
    commit_file(conflict, "file_0.txt", "other side\n", "other")
    git(conflict, "switch", "-q", "main")
    commit_file(conflict, "file_0.txt", "main side\n", "main")
    git(conflict, "merge", "-q", "other", check=False)
    _, old = make_remote_and_clone(tmp_path, "old")
    stamp = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    env = {"GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_DATE": stamp}
    (old / "late.txt").write_text("x\n")
    git(old, "add", "late.txt")
    git(old, "commit", "-q", "-m", "old work", env=env)
    git(old, "push", "-q", "origin", "main", env=env)
    git(old, "commit", "-q", "--amend", "--no-edit", env=env)  # keep it old, now diverged
    unborn = root / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q")
    broken = root / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent/place\n")

    runner = GitRunner()
    statuses = [await read_status(runner, p) for p in (conflict, old, unborn, broken)]
    assert statuses[3].error is not None and statuses[0].conflicted
    board = await load_dashboard(statuses, runner=runner, options=DashboardOptions(stale_days=45))
    k = board.kpis
    assert (k.repos, k.read, k.errored, k.conflicted) == (4, 3, 1, 1)
    assert [s.path for s in board.stale] == [str(old)]
    assert board.stale[0].days >= 59
    # errors first, then by score; the conflict is listed whatever its score
    assert board.attention[0].path == str(broken) and board.attention[0].score is None
    assert str(conflict) in {a.path for a in board.attention}
    conflict_item = next(a for a in board.attention if a.path == str(conflict))
    assert conflict_item.state == "conflict" and "conflicted" in conflict_item.reasons[0]
    scores = [a.score for a in board.attention[1:]]
    assert scores == sorted(scores)  # type: ignore[type-var]
    # the unborn repo has no history and no HEAD, and is no error for git log
    assert str(unborn) not in {s.path for s in board.stale}
    assert board.notes == ()


async def test_active_sessions_and_snapshot_trend_from_a_real_store(
    workspace: Path, store: Any
) -> None:
    statuses = await _read(workspace / "projects")
    project = await store.upsert_project(ProjectSpec(name="p"))
    # a path whose parent is not on this machine: the sessions cannot be checked against
    # the repo, so they count as stored (tests/contract/test_session_reconcile.py checks)
    repo = await store.upsert_repo(
        RepoSpec(project_id=project.id, path="/not-on-this-machine/r", name="r")
    )
    started = datetime.now(UTC)
    sessions = [
        await store.create_session(
            GitSessionSpec(
                repo_id=repo.id,
                session_key=f"2026010{i}-000000",
                description=f"s{i}",
                branch=f"session/2026-01-0{i}-s{i}",
                started_at=started,
            )
        )
        for i in range(1, 4)
    ]
    await store.update_session(sessions[0].id, GitSessionUpdate(state="ended", ended_at=started))
    first = report.summarise(statuses[:5])
    second = report.summarise(statuses)
    await store.record_status(
        StatusSnapshotSpec(summary=first, repos=[report.snapshot_repo(s) for s in statuses[:5]])
    )
    await store.record_status(StatusSnapshotSpec(summary=second))
    board = await load_dashboard(statuses, backend=store, runner=GitRunner())
    assert board.kpis.active_sessions == 2
    today = board.trend[-1]
    assert today.snapshots == 2  # the last one of the day is shown
    assert (today.repos, today.dirty, today.behind, today.average_health) == (
        second["repos"],
        second["dirty"],
        second["behind"],
        second["average_score"],
    )
    assert all(p.snapshots == 0 and p.repos is None for p in board.trend[:-1])


def _snapshot(
    taken_at: datetime, repos: list[dict[str, Any]], summary: dict[str, Any] | None = None
) -> StatusSnapshot:
    return StatusSnapshot(
        id=taken_at.isoformat(),
        taken_at=taken_at,
        source="status",
        summary=summary or {},
        repos=repos,
        created_by="alice",
    )


def test_snapshots_add_estimated_commits_for_repos_without_history() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    options = DashboardOptions(window_days=5)
    day = timedelta(days=1)
    snaps = [
        _snapshot(
            now - 3 * day,
            [{"path": "/gone", "head": "a" * 40}, {"path": "/here", "head": "x" * 40}],
        ),
        _snapshot(
            now - 2 * day,
            [{"path": "/gone", "head": "b" * 40}, {"path": "/here", "head": "y" * 40}],
        ),
        _snapshot(now - 2 * day + timedelta(hours=1), [{"path": "/gone", "head": "b" * 40}]),
        _snapshot(now, [{"path": "/gone", "head": "c" * 40}]),
        _snapshot(now - 30 * day, [{"path": "/gone", "head": "0" * 40}]),
    ]
    history = {
        "/here": (
            ("y" * 40, int((now - 2 * day).timestamp())),
            ("z" * 40, int((now - 9 * day).timestamp())),
        )
    }
    days = compute_commits(history, snaps, now=now, options=options)
    assert [d.day.isoformat() for d in days] == [
        "2026-03-06",
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    # /here comes from git (y in the window, z before it); /gone's head was seen moving
    # 0->a (on the 7th, from a snapshot before the window), a->b (8th), b->c (10th)
    assert [(d.commits, d.estimated) for d in days] == [(0, 0), (1, 1), (2, 1), (0, 0), (1, 1)]


def test_trend_takes_each_days_last_snapshot_in_the_time_zone() -> None:
    from datetime import timezone

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    east = timezone(timedelta(hours=10))
    snaps = [
        _snapshot(
            datetime(2026, 3, 9, 13, 30, tzinfo=UTC),
            [],
            {"repos": 4, "dirty": 1, "behind": 0, "errors": 0, "average_score": 90.0},
        ),
        _snapshot(
            datetime(2026, 3, 9, 15, tzinfo=UTC),
            [],
            {"repos": 5, "dirty": 2, "behind": 1, "errors": 1, "average_score": 80.5},
        ),
    ]
    utc = compute_trend(snaps, now=now, options=DashboardOptions(window_days=3))
    assert [(p.day.isoformat(), p.snapshots, p.repos, p.average_health) for p in utc] == [
        ("2026-03-08", 0, None, None),
        ("2026-03-09", 2, 5, 80.5),
        ("2026-03-10", 0, None, None),
    ]
    # at UTC+10 the 15:00 UTC snapshot falls on the 10th, the other one stays on the 9th
    local = compute_trend(snaps, now=now, options=DashboardOptions(window_days=3, tz=east))
    assert [(p.day.isoformat(), p.repos) for p in local] == [
        ("2026-03-08", None),
        ("2026-03-09", 4),
        ("2026-03-10", 5),
    ]


async def test_history_cache_rereads_only_what_moved(tmp_path: Path) -> None:
    _, one = make_remote_and_clone(tmp_path, "one")
    _, two = make_remote_and_clone(tmp_path, "two")
    runner = GitRunner()
    cache = CommitHistory()
    since = datetime.now(UTC) - timedelta(days=30)
    statuses = [await read_status(runner, p) for p in (one, two)]
    first = await cache.refresh(runner, statuses, since=since)
    assert {p: len(log) for p, log in first.items()} == {str(one): 1, str(two): 1}
    spawned = runner.spawned
    assert await cache.refresh(runner, statuses, since=since) == first
    assert runner.spawned == spawned  # nothing moved: no git process
    commit_file(one, "new.txt", "n\n", "new")
    statuses[0] = await read_status(runner, one)
    spawned = runner.spawned
    again = await cache.refresh(runner, statuses, since=since)
    assert runner.spawned == spawned + 1 and len(again[str(one)]) == 2
    cache.invalidate(str(two))
    await cache.refresh(runner, statuses, since=since)
    assert runner.spawned == spawned + 2


async def test_one_meaning_of_dirty(tmp_path: Path) -> None:
    """dirty = git status lists an entry: a tracked change (staged, unstaged, a conflict)
    or an untracked entry. Stash entries and ignored files are not changes. The
    dashboard, ``coditect status``'s summary and ``--dirty`` filter, and the health rules
    (``uncommitted``) all use ``RepoStatus.dirty``."""
    made = {
        name: make_remote_and_clone(tmp_path, name)[1]
        for name in ("clean", "untracked", "staged", "conflict", "stashed", "ignored")
    }
    (made["untracked"] / "new.txt").write_text("new\n")
    (made["staged"] / "file_0.txt").write_text("staged\n")
    git(made["staged"], "add", "file_0.txt")
    conflict = made["conflict"]
    git(conflict, "switch", "-q", "-c", "other")
    commit_file(conflict, "file_0.txt", "other side\n", "other")
    git(conflict, "switch", "-q", "main")
    commit_file(conflict, "file_0.txt", "main side\n", "main")
    git(conflict, "merge", "-q", "other", check=False)
    (made["stashed"] / "file_0.txt").write_text("stashed\n")
    git(made["stashed"], "stash", "-q")
    commit_file(made["ignored"], ".gitignore", "*.log\n", "ignore logs")
    (made["ignored"] / "debug.log").write_text("noise\n")

    runner = GitRunner()
    statuses = [await read_status(runner, made[name]) for name in sorted(made)]
    by_name = {s.name: s for s in statuses}
    want = {"untracked", "staged", "conflict"}
    assert {s.name for s in statuses if s.dirty} == want
    assert by_name["stashed"].stash == 1 and by_name["conflict"].conflicted
    assert by_name["conflict"].state == "conflict"  # conflicted first, dirty all the same
    for status in statuses:
        assert status.dirty == (status.uncommitted > 0), status.name
    board = build_dashboard(statuses)
    assert board.kpis.dirty == report.summarise(statuses)["dirty"] == len(want)
    assert board.kpis.conflicted == 1
    listed = run_cli("status", "--json", "--no-record", "--dirty", str(tmp_path / "work"))
    assert {r["name"] for r in json.loads(listed.stdout)["repos"]} == want


def test_the_dashboard_reads_statuses_only() -> None:
    """An errored or uninitialised status is counted but never read or scored."""
    broken = RepoStatus(path="/x/broken", name="broken", error="boom", changed=3)
    listed = RepoStatus(path="/x/sub", name="sub", initialised=False)
    assert not broken.read and not listed.read
    assert health_score(broken) is None and health_reasons(listed) == ()
    k = build_dashboard([broken, listed]).kpis
    assert (k.repos, k.read, k.errored, k.uninitialised, k.dirty) == (2, 0, 1, 1, 0)
    assert Kpis.model_validate(k.model_dump()) == k


def test_options_are_checked() -> None:
    for bad in ({"window_days": 0}, {"stale_days": 0}, {"attention_below": 200}):
        with pytest.raises(ValueError):
            DashboardOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        build_dashboard([], now=datetime(2026, 1, 1))


def test_git_log_never_runs_a_repo_chosen_program(tmp_path: Path) -> None:
    """A repo asking git log to check signatures with its own gpg.program runs nothing."""
    import asyncio

    from coditect_tui.core.dashboard import read_commit_log

    _, repo = make_remote_and_clone(tmp_path, "hostile")
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    parent = git(repo, "rev-parse", "HEAD").strip()
    stamp = int(datetime.now(UTC).timestamp())
    body = (
        f"tree {tree}\nparent {parent}\nauthor A <a@x> {stamp} +0000\n"
        f"committer A <a@x> {stamp} +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n"
        " abc\n -----END PGP SIGNATURE-----\n\nsigned\n"
    )
    (tmp_path / "commit.txt").write_text(body)
    signed = git(repo, "hash-object", "-t", "commit", "-w", str(tmp_path / "commit.txt")).strip()
    git(repo, "update-ref", "refs/heads/main", signed)
    marker = tmp_path / "pwned"
    hook = tmp_path / "gpg.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    os.chmod(hook, 0o755)
    git(repo, "config", "log.showSignature", "true")
    git(repo, "config", "gpg.program", str(hook))
    git(repo, "log", "-1", "--format=%H")  # plain git does run it...
    assert marker.exists()
    marker.unlink()
    log = asyncio.run(
        read_commit_log(GitRunner(), repo, head=signed, since=datetime.now(UTC) - timedelta(days=1))
    )
    assert [sha for sha, _ in log][:2] == [signed, parent]
    assert not marker.exists()  # ...the dashboard's history does not


def _change_glyph(status: RepoStatus) -> tuple[bool, int]:
    """Whether the tree shows a change glyph for ``status``, and its ``*N``."""
    from coditect_tui.core.workspace_view import RepoView, apply_status
    from coditect_tui.ui.glyphs import badges

    view = RepoView(path=status.path, name=status.name, project="p")
    apply_status(view, status)
    plain = badges(view).plain
    star = next((int(g[1:]) for g in plain.split() if g.startswith("*")), 0)
    return ("*" in plain or "✗" in plain), star


async def test_the_tree_shows_the_one_meaning_of_dirty(tmp_path: Path) -> None:
    """The tree's change glyph, the workspace summary and the dashboard agree with
    ``RepoStatus.dirty`` for every kind of change; ``*N`` counts entries, not flags (a
    file staged and then modified again is one entry, the old glyph said ``*2``), and a
    status whose only change is counted in ``changed`` is dirty in the tree too."""
    from coditect_tui.core.workspace_view import ProjectView, RepoView, WorkspaceView, summary

    made = {
        name: make_remote_and_clone(tmp_path, name)[1]
        for name in ("clean", "restaged", "typechange", "pointer")
    }
    restaged = made["restaged"]
    (restaged / "file_0.txt").write_text("staged\n")
    git(restaged, "add", "file_0.txt")
    (restaged / "file_0.txt").write_text("staged, then changed again\n")
    typechange = made["typechange"]
    (typechange / "file_0.txt").unlink()
    (typechange / "file_0.txt").symlink_to("file_1.txt")
    pointer = made["pointer"]
    remote = str(tmp_path / "remotes" / "clean.git")
    git(pointer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", remote, "sub")
    git(pointer, "commit", "-q", "-m", "add sub")
    commit_file(pointer / "sub", "new.txt", "n\n", "move the submodule's HEAD")

    runner = GitRunner()
    statuses = [await read_status(runner, made[name]) for name in sorted(made)]
    # as no git status gives it, but the fields allow it: a change counted only in changed
    statuses.append(RepoStatus(path=str(tmp_path / "only"), name="only", changed=1))
    by_name = {s.name: s for s in statuses}
    assert {s.name for s in statuses if s.dirty} == {"restaged", "typechange", "pointer", "only"}
    assert _change_glyph(by_name["restaged"]) == (True, 1)
    assert by_name["pointer"].files[0].submodule.startswith("SC")
    for status in statuses:
        assert _change_glyph(status) == (
            status.dirty,
            status.uncommitted - status.conflicted,
        ), status.name

    view = WorkspaceView("t", [ProjectView("p", str(tmp_path), "plain", [])])
    for status in statuses:
        repo = RepoView(path=status.path, name=status.name, project="p", status=status)
        view.projects[0].repos.append(repo)
    assert summary(view)["dirty"] == build_dashboard(statuses).kpis.dirty == 4
