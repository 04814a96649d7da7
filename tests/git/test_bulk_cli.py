"""``coditect fetch|pull|push|switch|run``: real repos with bare remotes, a real store, the
real command line (in process, and in a subprocess for Ctrl-C)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.models import AuditFilter
from tests.git.helpers import (
    advance_remote,
    commit_file,
    git,
    make_remote_and_clone,
    write_config,
)
from tests.memory.conftest import open_store


def _audit(db: Path, **flt: str) -> list:  # type: ignore[type-arg]
    async def look() -> list:  # type: ignore[type-arg]
        store = await open_store(db)
        try:
            return list((await store.query_audit(AuditFilter(**flt), limit=100)).items)
        finally:
            await store.close()

    return asyncio.run(look())


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/work with api (behind after a fetch), web (ahead), solo (no remote)."""
    bare, _ = make_remote_and_clone(tmp_path, "api")
    advance_remote(tmp_path, bare, "api")
    _, web = make_remote_and_clone(tmp_path, "web")
    commit_file(web, "mine.txt", "m", "mine")
    _, solo = make_remote_and_clone(tmp_path, "solo")
    git(solo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    monkeypatch.setenv("CODITECT_CONFIG", str(write_config(tmp_path, [tmp_path / "work"])))
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main([argv[0], "--json", *argv[1:]])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_fetch_then_pull_the_behind_ones(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = _json(capsys, "fetch")
    assert code == 1
    got = {r["name"]: (r["outcome"], r["reason"]) for r in doc["repos"]}
    assert got["api"] == ("ok", got["api"][1]) and got["web"][0] == "ok"
    assert got["solo"][0] == "failed" and "gone.git" in got["solo"][1]
    assert doc["counts"] == {"ok": 2, "failed": 1, "skipped": 0}

    code, doc = _json(capsys, "pull", "--behind")
    assert code == 0 and [r["name"] for r in doc["repos"]] == ["api"]
    assert (workspace / "work" / "api" / "theirs.txt").exists()
    events = _audit(workspace / "cli.db", action="repos.fetch")
    assert len(events) == 1 and events[0].outcome == "error"
    (pull,) = _audit(workspace / "cli.db", action="repos.pull")
    assert [r["repo"] for r in pull.details["repos"]] == ["api"]

    # a table by default; the selection flags add up within a flag
    assert main(["run", "--repo", "web", "api", "--", "git", "rev-parse", "--show-toplevel"]) == 0
    out = capsys.readouterr().out
    assert "run git rev-parse --show-toplevel: 2 ok" in out and "solo" not in out


def test_push_of_main_needs_a_typed_name_or_the_flag(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = workspace / "remotes" / "web.git"
    before = git(bare, "rev-parse", "main")
    assert main(["push", "--ahead"]) == 2  # stdin is not a terminal under pytest
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "needs a typed confirmation" in err and "--yes-main-branch web" in err
    assert git(bare, "rev-parse", "main") == before
    assert _audit(workspace / "cli.db", action="repos.push") == []

    code, doc = _json(capsys, "push", "--ahead", "--yes-main-branch", "web")
    assert code == 0 and [(r["name"], r["outcome"]) for r in doc["repos"]] == [("web", "ok")]
    assert git(bare, "rev-parse", "main") == git(workspace / "work" / "web", "rev-parse", "HEAD")


def test_hostile_names_and_bad_input(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("$(touch pwned)", ";rm -rf x", "-rf"):
        repo = tmp_path / "work" / name
        repo.mkdir()
        git(repo, "init", "-q")
        commit_file(repo, "a", "a", "a")
    code, doc = _json(
        capsys, "run", "--repo", "$(touch pwned)", ";rm -rf x", "--repo=-rf", "--", "pwd"
    )
    assert code == 0, doc["repos"]
    assert sorted(r["output"].strip() for r in doc["repos"]) == sorted(
        str(tmp_path / "work" / n) for n in ("$(touch pwned)", ";rm -rf x", "-rf")
    )
    assert not list(tmp_path.rglob("pwned"))

    for argv, message in (
        (["run"], "a command to run is needed"),
        (["switch", "--", "-x"], "is not a valid branch name"),
        (["fetch", "--jobs", "0"], "--jobs must be at least 1"),
        (["fetch", "--repo", "nope"], "no repo named 'nope'"),
        (["fetch", "--category", "nope"], "unknown category 'nope'"),
        (["fetch", "--group", "web"], "unknown group 'web'"),
    ):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured
        assert message in captured.err and "Traceback" not in captured.err


def test_read_only_is_refused_before_anything_runs(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = workspace / "work" / "api" / "ran"
    assert _audit(workspace / "cli.db", outcome="denied") == []  # (creates the store)
    assert main(["--read-only", "run", "--", "touch", "ran"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "read-only" in captured.err and not target.exists()
    (denied,) = _audit(workspace / "cli.db", outcome="denied")
    assert denied.action == "repos.run"
    # nothing selected: nothing runs, nothing is audited, exit 0
    code, doc = _json(capsys, "switch", "main", "--conflict")
    assert code == 0 and doc["repos"] == []
    assert _audit(workspace / "cli.db", action="repos.switch") == []


def _sleeping_run(workspace: Path) -> tuple[subprocess.Popen[str], int]:
    """``coditect run`` one repo at a time over api and web, each a 600 s sleep; returns
    once the first is running, with the pid of that sleep."""
    for name in ("api", "web"):
        os.mkfifo(workspace / "work" / name / "ready")
    proc = subprocess.Popen(
        [sys.executable, "-m", "coditect_tui", "run", "--jobs", "1", "--repo", "api", "web",
         "--", "sh", "-c", "echo $$ > ready; exec sleep 600"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    with open(workspace / "work" / "api" / "ready") as fifo:  # the first one is running
        return proc, int(fifo.read())


def test_ctrl_c_stops_the_run_and_audits_it(workspace: Path) -> None:
    proc, pid = _sleeping_run(workspace)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip() == "coditect: interrupted", (out, err)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    (event,) = _audit(workspace / "cli.db", action="repos.run")
    assert event.details["cancelled"] is True
    assert [(r["repo"], r["outcome"]) for r in event.details["repos"]] == [
        ("api", "failed"),
        ("web", "skipped"),
    ]


def _tgkill(pid: int, tid: int, sig: int) -> None:
    """Send ``sig`` to one thread of another process (no Python call does that)."""
    import ctypes

    number = {"x86_64": 234, "aarch64": 131}.get(os.uname().machine)
    if number is None:
        pytest.skip(f"tgkill's system call number on {os.uname().machine} is not known here")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(number, pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), "tgkill")


def test_ctrl_c_taken_by_a_worker_thread_still_stops_the_run(workspace: Path) -> None:
    """The kernel may hand a process's SIGINT to any of its threads. Taken by one that
    is not the main one, it only noted the signal, and the event loop slept on while the
    process ran: the command hung (a CI run waited 60 s). Sent here to another thread."""
    proc, pid = _sleeping_run(workspace)
    others = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task") if int(t) != proc.pid]
    assert others  # the worker waiting on the process, the store driver's thread
    _tgkill(proc.pid, others[0], signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130 and err.strip() == "coditect: interrupted", (out, err)
    assert not _alive(pid)
    (event,) = _audit(workspace / "cli.db", action="repos.run")
    assert event.details["cancelled"] is True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_progress_line_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from coditect_tui.commands.bulk import _Progress
    from coditect_tui.core.bulk import BulkTarget, ProgressEvent, RepoResult

    progress = _Progress("fetch", 2)
    target = BulkTarget("/w/a", "a")
    progress(ProgressEvent(target, "running"))
    progress(ProgressEvent(target, "done", RepoResult("/w/a", "a", "failed", "x")))
    progress(ProgressEvent(target, "done", RepoResult("/w/b", "b", "ok", "y")))
    err = capsys.readouterr().err
    assert err == "\rfetch: 1/2 done, 1 failed\rfetch: 2/2 done, 1 failed\n"
