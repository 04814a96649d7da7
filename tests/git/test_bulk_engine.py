"""The bulk engine (core/bulk): real repos with local bare remotes, a real SQLite store."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.bulk import (
    BulkAction,
    BulkRun,
    BulkTarget,
    ProgressEvent,
    main_branch_pushes,
)
from coditect_tui.core.errors import InvalidInput, ReadOnly
from coditect_tui.core.models import AuditFilter
from tests.git.helpers import advance_remote, commit_file, git, make_remote_and_clone
from tests.memory.conftest import open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Backend]:
    """The owner of tenant t1 in a fresh store file (as tests/memory's fixture)."""
    backend = await open_store(tmp_path / "bulk.db")
    yield backend
    await backend.close()


def _target(path: Path) -> BulkTarget:
    return BulkTarget(str(path), path.name)


async def _events(store: Backend, action: str) -> list:  # type: ignore[type-arg]
    page = await store.query_audit(AuditFilter(action=action), limit=100)
    return list(page.items)


async def test_fetch_pull_over_ahead_behind_diverged_and_broken_remotes(
    tmp_path: Path, store: Backend
) -> None:
    bare_b, behind = make_remote_and_clone(tmp_path, "behind")
    advance_remote(tmp_path, bare_b, "behind")
    bare_d, diverged = make_remote_and_clone(tmp_path, "diverged")
    advance_remote(tmp_path, bare_d, "diverged")
    commit_file(diverged, "mine.txt", "m", "mine")
    _, ahead = make_remote_and_clone(tmp_path, "ahead")
    commit_file(ahead, "mine.txt", "m", "mine")
    _, no_remote = make_remote_and_clone(tmp_path, "noremote")
    git(no_remote, "remote", "remove", "origin")
    _, bad_url = make_remote_and_clone(tmp_path, "badurl")
    git(bad_url, "remote", "set-url", "origin", str(tmp_path / "nowhere" / "x.git"))
    repos = [behind, diverged, ahead, no_remote, bad_url]

    events: list[ProgressEvent] = []
    report = await BulkRun(
        BulkAction.fetch(), [_target(r) for r in repos], jobs=3, on_event=events.append
    ).execute(store)
    outcome = {Path(r.path).name: (r.outcome, r.reason) for r in report.results}
    assert [Path(r.path).name for r in report.results] == [r.name for r in repos]
    assert outcome["behind"][0] == outcome["diverged"][0] == outcome["ahead"][0] == "ok"
    # without a remote, `git fetch` has nothing to do: git says nothing and exits 0
    assert outcome["noremote"][0] == "ok"
    assert outcome["badurl"][0] == "failed"
    assert "does not appear to be a git repository" in outcome["badurl"][1]
    assert "nowhere/x.git" in report.results[4].output
    assert git(behind, "rev-list", "--count", "main..origin/main").strip() == "1"
    # every repo queued before anything ran, then running -> done each
    assert [e.phase for e in events[:5]] == ["queued"] * 5
    for repo in repos:
        mine = [e.phase for e in events if e.target.path == str(repo)]
        assert mine == ["queued", "running", "done"]
    assert report.summary() == "4 ok, 1 failed" and report.failed

    (event,) = await _events(store, "repos.fetch")
    assert event.outcome == "error" and event.resource_type == "repos"
    assert event.details["counts"] == {"ok": 4, "failed": 1, "skipped": 0}
    assert [(r["repo"], r["outcome"]) for r in event.details["repos"]] == [
        ("behind", "ok"),
        ("diverged", "ok"),
        ("ahead", "ok"),
        ("noremote", "ok"),
        ("badurl", "failed"),
    ]

    pulled = await BulkRun(BulkAction.pull(), [_target(behind), _target(diverged)]).execute(store)
    assert [r.outcome for r in pulled.results] == ["ok", "failed"]
    assert "Not possible to fast-forward" in pulled.results[1].reason
    assert git(behind, "rev-list", "--count", "main..origin/main").strip() == "0"
    assert (behind / "theirs.txt").exists() and not (diverged / "theirs.txt").exists()
    assert len(await _events(store, "repos.pull")) == 1


async def test_push_never_forced_and_main_needs_confirmation(
    tmp_path: Path, store: Backend
) -> None:
    bare_f, feature = make_remote_and_clone(tmp_path, "feature")
    git(feature, "switch", "-q", "-c", "topic")
    commit_file(feature, "t.txt", "t", "topic work")
    bare_m, on_main = make_remote_and_clone(tmp_path, "onmain")
    commit_file(on_main, "m.txt", "m", "main work")
    bare_r, rejected = make_remote_and_clone(tmp_path, "rejected")
    advance_remote(tmp_path, bare_r, "rejected")
    git(rejected, "fetch", "-q")
    commit_file(rejected, "mine.txt", "m", "mine")
    _, detached = make_remote_and_clone(tmp_path, "detached")
    git(detached, "switch", "-q", "--detach", "HEAD")
    _, no_remote = make_remote_and_clone(tmp_path, "noremote")
    git(no_remote, "switch", "-q", "-c", "topic")
    git(no_remote, "remote", "remove", "origin")
    targets = [_target(r) for r in (feature, on_main, rejected, detached, no_remote)]

    mains = main_branch_pushes(targets)
    assert [(Path(m.target.path).name, m.branch, m.remote) for m in mains] == [
        ("onmain", "main", "origin"),
        ("rejected", "main", "origin"),
    ]
    report = await BulkRun(BulkAction.push(), targets).execute(store)
    got = [(r.outcome, r.reason) for r in report.results]
    assert got[0][0] == "ok"
    assert got[1] == ("skipped", "pushing the main branch main needs a typed confirmation")
    assert got[2][0] == "skipped"
    assert got[3] == ("skipped", "detached HEAD: no branch to push")
    assert got[4][0] == "failed" and "'origin' does not appear to be a git repository" in got[4][1]
    assert git(bare_f, "rev-parse", "topic") == git(feature, "rev-parse", "HEAD")
    before = git(bare_m, "rev-parse", "main")

    confirmed = frozenset({str(on_main), str(rejected)})
    report = await BulkRun(BulkAction.push(), targets[:3], confirmed_main=confirmed).execute(store)
    assert [r.outcome for r in report.results] == ["ok", "ok", "failed"]
    assert report.results[2].reason.startswith("! [rejected]")
    assert "main -> main" in report.results[2].reason
    assert git(bare_m, "rev-parse", "main") != before
    assert git(bare_m, "rev-parse", "main") == git(on_main, "rev-parse", "HEAD")
    assert git(bare_r, "rev-parse", "main") != git(rejected, "rev-parse", "HEAD")  # not forced
    assert "--force" not in " ".join(report.action.describe())
    assert len(await _events(store, "repos.push")) == 2


async def test_switch_and_submodule_update(tmp_path: Path, store: Backend) -> None:
    from tests.git.helpers import master_with_submodule

    _, one = make_remote_and_clone(tmp_path, "one")
    git(one, "branch", "dev")
    _, two = make_remote_and_clone(tmp_path, "two")
    report = await BulkRun(BulkAction.switch("dev"), [_target(one), _target(two)]).execute(store)
    assert [r.outcome for r in report.results] == ["ok", "failed"]
    assert report.results[1].reason == "fatal: invalid reference: dev"
    assert git(one, "branch", "--show-current").strip() == "dev"
    assert git(two, "branch", "--show-current").strip() == "main"
    with pytest.raises(InvalidInput, match="not a valid branch name"):
        BulkAction.switch("--orphan")

    master = master_with_submodule(tmp_path)
    clone = tmp_path / "work" / "master2"
    git(tmp_path, "clone", "-q", str(master), str(clone))
    sub = clone / "submodules" / "cloud" / "api"
    assert not (sub / "file_0.txt").exists()
    report = await BulkRun(BulkAction.submodule_update(), [_target(clone)]).execute(store)
    assert report.results[0].outcome == "ok", report.results[0].output
    assert (sub / "file_0.txt").exists()


async def test_run_passes_hostile_names_as_arguments(tmp_path: Path, store: Backend) -> None:
    names = ["$(touch pwned)", ";rm -rf x", "-leading", "`touch pwned2`"]
    repos = []
    for name in names:
        repo = tmp_path / "ws" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q")
        commit_file(repo, "a.txt", "a", "a")
        repos.append(repo)
    report = await BulkRun(
        BulkAction.run(["git", "rev-parse", "--show-toplevel"]), [_target(r) for r in repos]
    ).execute(store)
    assert [r.outcome for r in report.results] == ["ok"] * 4
    assert [r.output.strip() for r in report.results] == [str(r) for r in repos]
    assert not list(tmp_path.rglob("pwned*"))
    (event,) = await _events(store, "repos.run")
    assert event.details["argv"] == ["git", "rev-parse", "--show-toplevel"]
    assert [r["repo"] for r in event.details["repos"]] == names

    missing = await BulkRun(BulkAction.run(["no-such-program-xyz"]), [_target(repos[0])]).execute(
        store
    )
    assert missing.results[0].outcome == "failed"
    assert missing.results[0].reason.startswith("cannot start: ")


async def test_output_is_bounded_and_neutralised_in_the_audit(
    tmp_path: Path, store: Backend
) -> None:
    repo = tmp_path / "ws" / "evil\x1b]0;x\x07name"
    repo.mkdir(parents=True)
    script = "import sys; sys.stdout.write('x' * 300000 + '\\nlast line\\n')"
    import sys

    report = await BulkRun(
        BulkAction.run([sys.executable, "-c", script]), [_target(repo)], output_limit=1000
    ).execute(store)
    (result,) = report.results
    assert result.outcome == "ok" and result.reason == "last line"
    assert len(result.output) == 1000 and result.truncated == 300011 - 1000
    (event,) = await _events(store, "repos.run")
    assert event.details["repos"][0]["repo"] == "evil\\u001b]0;x\\u0007name"


def _fifo_repo(base: Path, name: str, fifo: str = "ready") -> Path:
    """A folder ``ws/<name>`` holding a FIFO: a process and the test meet there."""
    repo = base / "ws" / name
    repo.mkdir(parents=True)
    os.mkfifo(repo / fifo)
    return repo


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    """Threads alive, but for the loop's default executor (the test's own to_thread)."""
    return sum(not t.name.startswith("asyncio_") for t in threading.enumerate())


async def test_cancel_skips_queued_and_terminates_running(tmp_path: Path, store: Backend) -> None:
    repos = [_fifo_repo(tmp_path, f"r{i}") for i in range(5)]
    # the first ignores SIGTERM: it needs the SIGKILL that follows after the grace
    script = 'trap "" TERM; echo $$ > ready; while :; do sleep 1; done'
    fds, threads = _fds(), _threads()
    run = BulkRun(
        BulkAction.run(["sh", "-c", script]), [_target(r) for r in repos], jobs=2, grace=0.2
    )
    task = asyncio.ensure_future(run.execute(store))

    def read_pid(repo: Path) -> int:
        with open(repo / "ready") as fifo:  # blocks until the process has started
            return int(fifo.read())

    pids = [await asyncio.to_thread(read_pid, r) for r in repos[:2]]
    run.cancel()
    report = await task
    assert report.cancelled
    assert [(r.outcome, r.reason) for r in report.results] == [
        ("failed", "cancelled while running"),
        ("failed", "cancelled while running"),
        ("skipped", "cancelled"),
        ("skipped", "cancelled"),
        ("skipped", "cancelled"),
    ]
    for pid in pids:  # dead and reaped: no zombie left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert _fds() == fds and _threads() == threads
    (event,) = await _events(store, "repos.run")
    assert event.details["cancelled"] is True
    assert event.details["counts"] == {"ok": 0, "failed": 2, "skipped": 3}


async def test_cancelling_the_task_still_audits_and_cleans_up(
    tmp_path: Path, store: Backend
) -> None:
    repo = _fifo_repo(tmp_path, "r")
    fds, threads = _fds(), _threads()
    run = BulkRun(BulkAction.run(["sh", "-c", "echo $$ > ready; exec sleep 600"]), [_target(repo)])
    task = asyncio.ensure_future(run.execute(store))
    pid = await asyncio.to_thread(lambda: int((repo / "ready").read_text()))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _fds() == fds and _threads() == threads
    assert len(await _events(store, "repos.run")) == 1


@pytest.mark.parametrize("how", ["auditor", "read-only"])
async def test_read_only_principals_are_refused_before_anything_runs(
    tmp_path: Path, how: str
) -> None:
    db = tmp_path / "bulk.db"
    owner = await open_store(db)
    if how == "auditor":
        actor = await open_store(db, principal="alma", role="auditor")
    else:
        actor = await open_store(db, read_only=True)
    repo = tmp_path / "ws" / "r"
    repo.mkdir(parents=True)
    try:
        run = BulkRun(BulkAction.run(["touch", "ran"]), [_target(repo)])
        with pytest.raises(ReadOnly):
            await run.execute(actor)
        assert not (repo / "ran").exists()
        denied = await owner.query_audit(AuditFilter(outcome="denied"), limit=10)
        assert [(e.action, e.details["method"]) for e in denied.items] == [
            ("repos.run", "authorize_event")
        ]
        # a command declared read-only is not a change: the backend lets it through
        if how == "auditor":
            report = await BulkRun(
                BulkAction.run(["git", "--version"], mutating=False), [_target(repo)]
            ).execute(actor)
            assert report.results[0].outcome == "ok"
            # a read-only principal's record_event is refused (and that refusal audited);
            # the auditor's audited read (authorize_event, as repos.read) is the record
            assert report.audit_seq is None and "read-only" in (report.audit_error or "")
            seen = await owner.query_audit(AuditFilter(actor="alma"), limit=20, ascending=True)
            assert [(e.action, e.outcome, e.details.get("method")) for e in seen.items][1:] == [
                ("repos.run", "denied", "authorize_event"),
                ("repos.read", "ok", "authorize_event"),
                ("repos.run", "denied", "record_event"),
            ]
    finally:
        await actor.close()
        await owner.close()


async def test_a_process_that_closes_its_output_early_is_waited_for(
    tmp_path: Path, store: Backend
) -> None:
    repo = _fifo_repo(tmp_path, "r", "go")
    # end of output first, then the exit status once the test says so
    script = "exec >/dev/null 2>&1; read x < go; exit 3"
    task = asyncio.ensure_future(
        BulkRun(BulkAction.run(["sh", "-c", script]), [_target(repo)]).execute(store)
    )
    await asyncio.to_thread((repo / "go").write_text, "now\n")
    report = await task
    assert (report.results[0].returncode, report.results[0].reason) == (3, "exit status 3")


async def test_a_failing_progress_callback_still_leaves_the_run_audited(
    tmp_path: Path, store: Backend
) -> None:
    repos = [tmp_path / "a", tmp_path / "b"]
    for repo in repos:
        repo.mkdir()

    def broken(event: ProgressEvent) -> None:
        if event.phase == "running":
            raise RuntimeError("the view went away")

    run = BulkRun(BulkAction.run(["touch", "ran"]), [_target(r) for r in repos], on_event=broken)
    with pytest.raises(RuntimeError, match="the view went away"):
        await run.execute(store)
    assert all((r / "ran").exists() for r in repos)
    (event,) = await _events(store, "repos.run")
    assert event.details["counts"] == {"ok": 2, "failed": 0, "skipped": 0}
