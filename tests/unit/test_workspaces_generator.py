"""The workspace generator (tests/support/workspaces.py): each kind is what its oracle reads.

One small workspace (one repo of each kind, hostile names, one master) is built under a
deliberately hostile developer git set-up, then every repo's oracle state is checked
against the kind it was built as.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.support.workspaces import (
    HOSTILE_NAMES,
    IDENTITY,
    KINDS,
    Workspace,
    WorkspaceError,
    build_workspace,
    git_env,
    load_workspace,
    main,
    read_status,
)

EPOCH = 1_750_000_000
CLEAN: dict[str, Any] = {
    "initialised": True,
    "branch": "main",
    "detached": False,
    "unborn": False,
    "upstream": "origin/main",
    "ahead": 0,
    "behind": 0,
    "changed": 0,
    "staged": 0,
    "modified": 0,
    "untracked": 0,
    "conflicted": 0,
    "stash": 0,
    "origin_head": "main",
}
#: What the oracle must read for each kind (fields not named are as in CLEAN).
WANT: dict[str, dict[str, Any]] = {
    "clean": {},
    "modified": {"changed": 1, "modified": 1},
    "untracked": {"untracked": 1},
    "staged": {"changed": 1, "staged": 1},
    "ahead": {"ahead": 2},
    "behind": {"behind": 3},
    "diverged": {"ahead": 2, "behind": 3},
    "detached": {"branch": "(detached)", "detached": True, "upstream": None},
    "no-upstream": {"branch": "feature/local-only", "upstream": None},
    "stash": {"stash": 1},
    "conflict": {"ahead": 1, "behind": 1, "changed": 1, "conflicted": 1},
    "master-branch": {"branch": "master", "upstream": "origin/master", "origin_head": "master"},
    "unborn": {"unborn": True, "upstream": None, "origin_head": None},
}


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=git_env(), capture_output=True, text=True, check=check
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One repo of each kind, hostile names, under a developer config that would break it."""
    base = tmp_path_factory.mktemp("gen")
    hooks = base / "hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "commit-msg", "post-checkout", "pre-push"):
        (hooks / hook).write_text("#!/bin/sh\nexit 1\n")
        (hooks / hook).chmod(0o755)
    hostile_config = base / "developer.gitconfig"
    hostile_config.write_text(
        "[user]\n\tname = Developer\n\temail = dev@example.invalid\n"
        "[init]\n\tdefaultBranch = trunk\n[commit]\n\tgpgsign = true\n"
        '[gpg]\n\tprogram = false\n[protocol "file"]\n\tallow = never\n'
        f"[core]\n\thooksPath = {hooks}\n[status]\n\tshowUntrackedFiles = no\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", str(hostile_config))
        mp.setenv("GIT_AUTHOR_NAME", "Someone Else")
        mp.setenv("GIT_DIR", str(base / "nowhere"))
        mp.setenv("GIT_INDEX_FILE", str(base / "nowhere-index"))
        yield build_workspace(
            base / "ws", len(KINDS), commits=1, files=2, seed=11, hostile=True, epoch=EPOCH
        )


def test_every_kind_is_built_and_its_oracle_state_matches_the_intent(built: Workspace) -> None:
    assert [r.kind for r in built.repos] == list(KINDS)
    expected = built.expected()
    assert set(expected) == {r.name for r in built.repos}
    for spec in built.repos:
        row = expected[spec.name]
        assert row == read_status(spec.path), spec.name  # the file is what git reads now
        want = {**CLEAN, **WANT[spec.kind]}
        assert {k: row[k] for k in want} == want, (spec.kind, spec.name)
        assert (row["head"] is None) == (spec.kind == "unborn")
    unborn = built.of_kind("unborn")[0]
    assert unborn.remote is None and not (built.remotes / f"{unborn.name}.git").exists()
    assert _git(unborn.path, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0
    conflict = built.of_kind("conflict")[0].path
    assert (conflict / ".git" / "MERGE_HEAD").exists()
    assert _git(conflict, "ls-files", "-u").stdout.count("file_0.txt") == 3  # base, ours, theirs
    stash = built.of_kind("stash")[0].path
    assert _git(stash, "stash", "list").stdout.count("wip") == 1


def test_the_master_holds_an_initialised_and_an_uninitialised_submodule(
    built: Workspace,
) -> None:
    [master] = built.masters()
    assert master.index == 0 and len(master.submodules) == 2
    first, second = master.submodules
    assert (first.initialised, second.initialised) == (True, False)
    assert [first.repo, second.repo] == [built.repos[1].name, built.repos[2].name]
    row = built.expected()[master.name]
    assert row["submodules"] == {"initialised": [first.path], "uninitialised": [second.path]}
    modules = _git(master.path, "config", "-f", ".gitmodules", "--get-regexp", "path").stdout
    assert first.path in modules and second.path in modules
    checked_out = master.path / first.path
    assert (checked_out / ".git").is_file() and (checked_out / "README.md").exists()
    pinned = _git(master.path, "ls-tree", "HEAD", first.path).stdout.split()[2]
    assert read_status(checked_out)["head"] == pinned
    listed = master.path / second.path
    assert listed.is_dir() and os.listdir(listed) == []  # listed, not checked out
    assert read_status(listed)["initialised"] is False
    assert load_workspace(built.root).masters()[0].submodules == master.submodules


def test_hostile_names_exist_on_disk_literally(built: Workspace) -> None:
    on_disk = set(os.listdir(built.projects))
    assert on_disk == {r.name for r in built.repos}
    hostile = [r.name for r in built.repos if r.hostile]
    assert set(hostile) | set(built.skipped_names) == set(HOSTILE_NAMES)
    assert "[bold]x[/]" in built.skipped_names  # a "/" cannot be part of a folder name
    for name in hostile:
        assert name in on_disk
        assert (built.projects / name / "README.md").read_text() == f"# {name}\n" or (
            built.repo(name).kind == "unborn"
        )
    assert {"[@click=app.quit]q", "-leading-dash", "with spaces  and more"} <= set(hostile)
    assert all(not r.hostile for r in built.repos if r.is_master or r.index in (1, 2))


def test_git_runs_with_the_fixed_identity_and_config(built: Workspace) -> None:
    repo = built.of_kind("ahead")[0].path
    authors = _git(repo, "log", "--format=%an <%ae>|%cn <%ce>|%at").stdout.splitlines()
    who = f"{IDENTITY[0]} <{IDENTITY[1]}>"
    assert authors and all(line.startswith(f"{who}|{who}|") for line in authors)
    assert min(int(line.rsplit("|", 1)[1]) for line in authors) == EPOCH + 60
    assert _git(repo, "config", "--local", "--get", "commit.gpgsign", check=False).stdout == ""


def test_same_seed_same_workspace_other_seed_other_content(tmp_path: Path) -> None:
    def build(name: str, seed: int, repos: int = 3) -> Workspace:
        return build_workspace(
            tmp_path / name,
            repos,
            commits=1,
            files=2,
            seed=seed,
            kinds=("ahead", "behind", "conflict"),
            masters_every=3,
            epoch=EPOCH,
        )

    one, again, other = build("one", 11), build("again", 11), build("other", 12, repos=1)
    assert one.masters() and one.to_dict() == again.to_dict()
    assert one.expected() == again.expected()  # commit ids included (the master's too)
    name = other.repos[0].name
    assert other.expected()[name]["head"] != one.expected()[name]["head"]


def test_kinds_restrict_the_mix_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    plain = build_workspace(
        tmp_path / "plain", 2, commits=1, files=2, kinds=("clean",), masters_every=0
    )
    assert {r.kind for r in plain.repos} == {"clean"} and not plain.masters()
    assert all(not r.hostile for r in plain.repos)
    assert [r.name for r in plain.repos] == ["client1-svc-0000", "client2-svc-0001"]
    assert json.loads((plain.root / "workspace.json").read_text())["kinds"] == ["clean"]
    for bad in ({"kinds": ("clean", "shiny")}, {"kinds": ()}, {"repos": 0}, {"files": 1}):
        with pytest.raises(WorkspaceError):
            build_workspace(tmp_path / "bad", **bad)
    with pytest.raises(WorkspaceError, match="not an empty folder"):
        build_workspace(plain.root, 1)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(tmp_path / "ws"), "--repos", "2", "--commits", "1", "--files", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.workspaces", *args, "--kinds", "clean,stash"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built 2 repos under ")
    expected = json.loads((tmp_path / "ws" / "expected.json").read_text())
    assert {n: e["stash"] for n, e in expected.items()} == {
        "client1-svc-0000": 0,
        "client2-svc-0001": 1,
    }
    for args in (
        [],
        [str(tmp_path / "x"), "--repos", "0"],
        [str(tmp_path / "x"), "--kinds", "clean,shiny"],
        [str(tmp_path / "x"), "--seed", "seven"],
        [str(tmp_path / "x"), "--bogus"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2, args
        assert err.count("\n") == 1 and "error:" in err, err
    assert main([str(tmp_path / "ws"), "--repos", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an empty folder" in err
