"""Untrusted repos run no code: a hostile repo leaves no marker after anything we do."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from pathlib import Path

import pytest

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.git import runner as runner_module
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner, check_branch_name, git_argv, git_env
from coditect_tui.core.git.status import read_many, read_status
from coditect_tui.core.git.watch import RepoWatcher
from tests.git.helpers import commit_file, git, run_cli, write_config

HOOKS = (
    "pre-commit",
    "post-commit",
    "post-checkout",
    "post-index-change",
    "pre-push",
    "post-merge",
    "reference-transaction",
    "fsmonitor-watchman",
    "pre-auto-gc",
)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def make_hostile(base: Path, name: str = "hostile") -> tuple[Path, Path]:
    """A repo whose config and attributes try to run code; returns (repo, marker dir)."""
    markers = base / f"{name}-markers"
    markers.mkdir()
    bin_dir = base / f"{name}-bin"
    bin_dir.mkdir()
    repo = base / name
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "a.txt", "a\n", "init")
    (repo / ".gitattributes").write_text("*.hostile filter=hostile diff=hostile\n*.eq filter=a=b\n")
    (repo / "data.hostile").write_text("payload\n")
    (repo / "data.eq").write_text("payload\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hostile attributes")

    def marker(kind: str, then: str = "") -> str:
        return str(_script(bin_dir / kind, f"touch '{markers}/{kind}'\n{then}"))

    hooks = bin_dir / "hooks"
    hooks.mkdir()
    for hook in HOOKS:
        _script(hooks / hook, f"touch '{markers}/hook-{hook}'")
    _script(repo / ".git" / "hooks" / "post-index-change", f"touch '{markers}/own-hook'")
    settings = {
        "core.fsmonitor": marker("fsmonitor"),
        "core.pager": marker("pager", "cat"),
        "diff.external": marker("diff-external"),
        "diff.hostile.textconv": marker("textconv", 'cat "$1"'),
        "diff.hostile.command": marker("diff-command"),
        "filter.hostile.clean": marker("filter-clean", "cat"),
        "filter.hostile.smudge": marker("filter-smudge", "cat"),
        "filter.hostile.required": "true",
        "filter.a=b.clean": marker("filter-eq", "cat"),
        "core.sshCommand": marker("ssh"),
        "core.hooksPath": str(hooks),
        "core.askPass": marker("askpass"),
        "credential.helper": "!" + marker("credential"),
        "gpg.program": marker("gpg"),
        "core.editor": marker("editor"),
        "remote.origin.url": "ssh://example.invalid/evil.git",
    }
    for key, value in settings.items():
        git(repo, "config", key, value)
    # dirty work: a modified file, and a racily-clean filtered file (status must
    # re-check its content, which is when git runs the clean filter)
    (repo / "a.txt").write_text("modified\n")
    for racy in ("data.hostile", "data.eq"):
        later = (repo / racy).stat().st_mtime + 100
        os.utime(repo / racy, (later, later))
    for leftover in markers.iterdir():
        leftover.unlink()
    return repo, markers


def test_the_hostile_repo_really_is_hostile(tmp_path: Path) -> None:
    repo, markers = make_hostile(tmp_path)
    subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    subprocess.run(["git", "diff"], cwd=repo, capture_output=True)
    found = {p.name for p in markers.iterdir()}
    assert {"fsmonitor", "filter-clean", "filter-eq", "diff-external"} <= found


async def test_status_and_discovery_run_nothing(tmp_path: Path) -> None:
    repo, markers = make_hostile(tmp_path)
    runner = GitRunner()
    tree = discover([tmp_path])
    assert [p.path for p in tree.projects] == [repo]
    s = await read_status(runner, repo)
    assert s.error is None and s.modified == 1
    await read_many(runner, tree.targets())
    assert sorted(p.name for p in markers.iterdir()) == []


async def test_hostile_submodule_under_a_master_runs_nothing(tmp_path: Path) -> None:
    sub, markers = make_hostile(tmp_path, "evil-sub")
    git(sub, "config", "--unset", "core.hooksPath")  # keep its config otherwise hostile
    master = tmp_path / "master"
    master.mkdir()
    git(master, "init", "-q")
    commit_file(master, "README.md", "m", "init")
    bare = tmp_path / "evil-sub.git"
    git(tmp_path, "clone", "-q", "--bare", str(sub), str(bare))
    git(master, "submodule", "add", "-q", str(bare), "submodules/x/evil")
    git(master, "commit", "-q", "-m", "add")
    inner = master / "submodules" / "x" / "evil"
    # give the checked-out submodule the same hostile config and a racy filtered file
    for key in (
        "core.fsmonitor",
        "filter.hostile.clean",
        "filter.hostile.smudge",
        "filter.hostile.required",
        "diff.external",
    ):
        git(inner, "config", key, git(sub, "config", key).strip())
    later = (inner / "data.hostile").stat().st_mtime + 100
    os.utime(inner / "data.hostile", (later, later))
    for leftover in markers.iterdir():
        leftover.unlink()
    runner = GitRunner()
    alone = await read_status(runner, master)  # git's nested status enters the submodule
    assert alone.error is None
    tree = discover([master])
    await read_many(runner, tree.targets())
    assert sorted(p.name for p in markers.iterdir()) == []


def test_cli_status_and_session_status_run_nothing(tmp_path: Path) -> None:
    repo, markers = make_hostile(tmp_path)
    config = write_config(tmp_path, [tmp_path])
    env = {"CODITECT_CONFIG": str(config)}
    result = run_cli("status", "--json", str(repo), env=env)
    assert result.returncode == 0, result.stderr
    result = run_cli("session", "status", "--repo", str(repo), env=env)
    assert result.returncode == 0, result.stderr
    result = run_cli("status", "--markdown", env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in markers.iterdir()) == []


async def test_watching_runs_nothing(tmp_path: Path) -> None:
    repo, markers = make_hostile(tmp_path)
    runner = GitRunner()
    async with RepoWatcher([repo], runner=runner) as watcher:
        (repo / "a.txt").write_text("edited while watched\n")
        update = await watcher.next_update(timeout=10)
        assert update is not None and update.repo == repo
        git(
            repo,
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "filter.hostile.clean=cat",
            "-c",
            "filter.hostile.smudge=cat",
            "add",
            "a.txt",
        )
        update = await watcher.next_update(timeout=10)
        assert update is not None and update.status.staged == 1
    # every git process the watcher started has exited (and its process group is gone)
    # once the runner's workers are shut down: nothing can still leave a marker
    await asyncio.to_thread(runner.close)
    assert runner.spawned >= 2
    assert sorted(p.name for p in markers.iterdir()) == []


def test_argv_and_environment_are_hardened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = make_hostile(tmp_path)
    argv = git_argv(repo, ["status"])
    pairs = {argv[i + 1] for i, a in enumerate(argv) if a == "-c"}
    for needed in (
        "core.fsmonitor=false",
        "core.hooksPath=/dev/null",
        "core.pager=cat",
        "diff.external=",
        "core.sshCommand=false",
        "safe.bareRepository=explicit",
        "protocol.allow=never",
        "filter.hostile.clean=",
        "filter.hostile.smudge=",
        "filter.hostile.required=false",
        "diff.hostile.textconv=",
        "diff.hostile.command=",
    ):
        assert needed in pairs, needed
    assert "--config-env=filter.a=b.clean=CODITECT_GIT_EMPTY" in argv
    assert argv[:3] == ["git", "--no-pager", "--literal-pathspecs"]
    write = git_argv(repo, ["commit"], write=True)
    assert "core.fsmonitor=false" in write and "core.hooksPath=/dev/null" not in write
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path))
    runner_module.reset_env_cache()
    env = git_env(repo)
    assert "GIT_DIR" not in env and "GIT_WORK_TREE" not in env
    assert (env["GIT_OPTIONAL_LOCKS"], env["GIT_TERMINAL_PROMPT"]) == ("0", "0")
    assert env["GIT_CEILING_DIRECTORIES"] == str(repo.parent)


async def test_status_takes_no_index_lock_and_writes_no_index(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "f.txt", "same\n", "init")
    later = (repo / "f.txt").stat().st_mtime + 50
    os.utime(repo / "f.txt", (later, later))  # stat-dirty: plain git status rewrites index
    index = repo / ".git" / "index"
    before = (index.stat().st_mtime_ns, index.read_bytes())
    status = await read_status(GitRunner(), repo)
    assert status.error is None and not status.dirty
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    (repo / ".git" / "index.lock").write_text("")  # another git holds the lock
    status = await read_status(GitRunner(), repo)
    assert status.error is None


def test_a_config_include_cannot_hide_a_driver(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    extra = tmp_path / "included.cfg"
    extra.write_text('[filter "sneaky"]\n\tclean = "touch /tmp/never"\n')
    with (repo / ".git" / "config").open("a") as handle:
        handle.write(
            f'[includeIf "onbranch:main"]\n\tpath = {extra}\n[diff "other"] textconv = x\n'
        )
    pairs = runner_module.neutralising_config(repo / ".git")
    assert ("filter.sneaky.clean", "") in pairs and ("diff.other.textconv", "") in pairs


@pytest.mark.parametrize(
    "name",
    [
        "-rf",
        "a b",
        "x..y",
        "x@{1}",
        "a/.hidden",
        "end.lock",
        "bad[name",
        "ctrl\x1b",
        "",
        "@",
        "trailing/",
    ],
)
def test_branch_names_git_would_refuse_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_branch_name(name)


def test_good_branch_names_pass() -> None:
    for name in ("session/2025-11-26-fix-login", "feat/x]@click=app.quit]", "main"):
        assert check_branch_name(name) == name
