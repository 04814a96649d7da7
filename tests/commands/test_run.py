"""Runs over real repos with hostile names and branches, a real store's audit log, the
backend's refusals, and a cancel in the middle."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from coditect_store.base import Provision
from coditect_tui.core.custom_commands.expand import Target
from coditect_tui.core.custom_commands.run import EVENT, run_command
from coditect_tui.core.custom_commands.spec import CustomCommand
from coditect_tui.core.custom_commands.targets import target_of, targets_for
from coditect_tui.core.errors import PermissionDenied, ReadOnly
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import StatusTarget, read_many
from coditect_tui.core.git.status.model import RepoStatus
from coditect_tui.core.models import AuditFilter
from coditect_tui.core.safe_text import safe_text
from tests.git.helpers import commit_file, git
from tests.store.helpers import open_store

#: Repo folder name -> the branch checked out in it (every one a valid git name).
HOSTILE_REPOS = {
    "$(touch pwned)": "$(touch${IFS}pwned)",
    ";touch pwned": ";touch${IFS}pwned",
    "`touch pwned`": "`touch${IFS}pwned`",
    "a\ntouch pwned": "main",
    "-rf": "main",  # git refuses a branch name that starts with -
    'it\'s "q"': 'it\'s"q"',
}


def _hostile_workspace(base: Path) -> list[Path]:
    repos = []
    for name, branch in HOSTILE_REPOS.items():
        repo = base / "work" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q")
        commit_file(repo, "README.md", "x\n", "init")
        if branch != "main":
            git(repo, "checkout", "-q", "-b", branch)
        repos.append(repo)
    return repos


async def _statuses(repos: list[Path]) -> list[RepoStatus]:
    return await read_many(GitRunner(), [StatusTarget(r) for r in repos])


def _targets(command: CustomCommand, statuses: list[RepoStatus]) -> list[Target]:
    return targets_for(command, [target_of(s, "acme") for s in statuses], "acme")


def _pwned(base: Path) -> list[Path]:
    return [p for p in base.rglob("*") if p.name == "pwned"]


def _command(*argv: str, **fields: object) -> CustomCommand:
    return CustomCommand(name="probe", command=list(argv), scope="selection", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "argv",
    [
        ("printf", "%s|%s|%s", "{repo}", "{branch}", "{path}"),
        ("sh", "-c", "printf '%s|%s|%s' {repo} {branch} {path}"),
        ("bash", "-c", 'cd {path} && printf "%s|%s|%s" {repo} {branch} "$(pwd -P)"'),
    ],
)
async def test_hostile_names_and_branches_run_nothing(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    repos = _hostile_workspace(tmp_path)
    statuses = await _statuses(repos)
    store = await open_store(tmp_path / "s.db")
    try:
        command = _command(*argv)
        result = await run_command(command, _targets(command, statuses), backend=store)
        events = (await store.query_audit(AuditFilter(action=EVENT))).items
    finally:
        await store.close()
    assert [o.outcome for o in result.results] == ["ok"] * len(repos), result.results
    for repo, outcome in zip(repos, result.results, strict=True):
        branch = HOSTILE_REPOS[repo.name]
        assert outcome.output == f"{repo.name}|{branch}|{os.path.realpath(repo)}"
    assert _pwned(tmp_path) == [] and not (Path.cwd() / "pwned").exists()
    (event,) = events
    assert event.outcome == "ok" and event.details["command"] == "probe"
    assert [r["repo"] for r in event.details["repos"]] == [safe_text(r.name) for r in repos]
    assert {r["outcome"] for r in event.details["repos"]} == {"ok"}


async def test_one_event_per_run_with_each_repos_outcome(tmp_path: Path) -> None:
    good, bad = tmp_path / "work" / "good", tmp_path / "work" / "bad"
    for repo in (good, bad):
        repo.mkdir(parents=True)
        git(repo, "init", "-q")
        commit_file(repo, "f", "x\n", "init")
    git(bad, "checkout", "-q", "--detach")
    statuses = await _statuses([good, bad])
    store = await open_store(tmp_path / "s.db")
    try:
        command = _command("git", "-C", "{path}", "rev-parse", "--verify", "{branch}")
        result = await run_command(command, _targets(command, statuses), backend=store)
        fails = _command("sh", "-c", "echo no such thing >&2; exit 3")
        failed = await run_command(fails, _targets(fails, statuses[:1]), backend=store)
        events = (await store.query_audit(AuditFilter(action=EVENT))).items
    finally:
        await store.close()
    assert [(o.outcome, o.reason) for o in result.results] == [
        ("ok", git(good, "rev-parse", "main").strip()),
        ("skipped", "no {branch} (detached HEAD)"),
    ]
    assert not result.failed and failed.failed
    assert (failed.results[0].reason, failed.results[0].returncode) == ("no such thing", 3)
    assert [e.outcome for e in sorted(events, key=lambda e: e.seq)] == ["ok", "error"]
    first = min(events, key=lambda e: e.seq)
    assert [(r["repo"], r["outcome"]) for r in first.details["repos"]] == [
        ("good", "ok"),
        ("bad", "skipped"),
    ]
    assert first.seq == result.audit_seq


@pytest.mark.parametrize("how", ["read-only handle", "viewer role"])
async def test_the_backend_refuses_a_mutating_command_before_it_runs(
    tmp_path: Path, how: str
) -> None:
    (repo,) = _hostile_workspace_one(tmp_path)
    statuses = await _statuses([repo])
    db = tmp_path / "s.db"
    await (await open_store(db)).close()
    if how == "read-only handle":
        actor = await open_store(db, read_only=True)
        refusal: type[Exception] = ReadOnly
    else:
        actor = await open_store(
            db, principal="vic", provision=Provision("Acme", "internal", "viewer")
        )
        refusal = PermissionDenied
    marker = _command("touch", "{path}/marker")
    reader = _command("git", "-C", "{path}", "status", "--short", mutating=False)
    try:
        with pytest.raises(refusal):
            await run_command(marker, _targets(marker, statuses), backend=actor)
        read = await run_command(reader, _targets(reader, statuses), backend=actor)
    finally:
        await actor.close()
    assert not (repo / "marker").exists()
    assert not read.failed and read.results[0].output == ""
    # every run is audited, a read-only principal's command that changes nothing included
    assert read.audit_seq is not None and read.audit_error is None
    owner = await open_store(db)
    try:
        events = (await owner.query_audit(AuditFilter(action=EVENT))).items
    finally:
        await owner.close()
    assert [e.outcome for e in sorted(events, key=lambda e: e.seq)] == ["denied", "ok"]


def _hostile_workspace_one(base: Path) -> list[Path]:
    repo = base / "work" / "one"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    commit_file(repo, "f", "x\n", "init")
    return [repo]


async def test_a_cancel_stops_the_processes_and_is_still_audited(tmp_path: Path) -> None:
    repos = []
    for name in ("a", "b"):
        repo = tmp_path / "work" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q")
        commit_file(repo, "f", "x\n", "init")
        os.mkfifo(repo / "ready")
        repos.append(repo)
    statuses = await _statuses(repos)
    store = await open_store(tmp_path / "s.db")
    command = _command("sh", "-c", "echo $$ > ready; exec sleep 600")
    task = asyncio.create_task(run_command(command, _targets(command, statuses), backend=store))
    pids = await asyncio.gather(*(asyncio.to_thread((r / "ready").read_text) for r in repos))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    try:
        (event,) = (await store.query_audit(AuditFilter(action=EVENT))).items
    finally:
        await store.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
    # the bulk engine's reading: a process stopped mid-run failed ("cancelled while running")
    assert event.outcome == "error" and event.details["cancelled"] is True
    assert [r["reason"] for r in event.details["repos"]] == ["cancelled while running"] * 2
    assert event.details["command"] == "probe"
    assert json.dumps(event.details)  # JSON-ready
