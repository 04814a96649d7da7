"""Status against real repos: the generated workspace's oracle and every awkward repo state."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from coditect_tui.core.git import objects
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import (
    RepoStatus,
    StatusTarget,
    parse_porcelain_v2,
    read_many,
    read_status,
)
from tests.git.helpers import commit_file, git, make_remote_and_clone
from tests.support.workspaces import KINDS, load_workspace
from tests.support.workspaces import read_status as oracle_status

#: The oracle's fields (tests.support.workspaces.read_status) the engine reports too.
ORACLE_FIELDS = (
    "initialised",
    "head",
    "branch",
    "detached",
    "unborn",
    "upstream",
    "ahead",
    "behind",
    "changed",
    "staged",
    "modified",
    "untracked",
    "conflicted",
    "stash",
)


def _as_oracle(s: RepoStatus) -> dict[str, object]:
    """The engine's reading in the oracle's terms."""
    return {
        "initialised": s.initialised,
        "head": s.head_oid,
        "branch": "(detached)" if s.detached else s.branch,
        "detached": s.detached,
        "unborn": s.unborn,
        "upstream": s.upstream,
        "ahead": s.ahead,
        "behind": s.behind,
        "changed": s.changed,
        "staged": s.staged,
        "modified": s.modified,
        "untracked": s.untracked,
        "conflicted": s.conflicted,
        "stash": s.stash,
    }


def _oracle_fields(row: dict[str, object]) -> dict[str, object]:
    return {k: row[k] for k in ORACLE_FIELDS}


async def test_every_repo_matches_the_oracle(workspace30: Path) -> None:
    expected = json.loads((workspace30 / "expected.json").read_text())
    intent = load_workspace(workspace30)
    assert {r.kind for r in intent.repos} == set(KINDS)  # every kind is in the mix
    assert any(r.hostile for r in intent.repos)
    tree = discover([workspace30 / "projects"])
    statuses = await read_many(GitRunner(), tree.targets())
    top = {s.name: s for s in statuses if not s.is_submodule}
    assert set(top) == set(expected)
    for name, want in expected.items():
        assert top[name].error is None, name
        assert _as_oracle(top[name]) == _oracle_fields(want), name
        summary = top[name].submodules
        listed = want["submodules"]
        if summary is None:
            assert listed == {"initialised": [], "uninitialised": []}, name
        else:
            assert (summary.initialised, summary.uninitialised) == (
                len(listed["initialised"]),
                len(listed["uninitialised"]),
            ), name
    # masters hold two submodules each, the first initialised, the second not; each is a
    # row of its own (an uninitialised one with no git state), as the oracle reads it
    subs = [s for s in statuses if s.is_submodule]
    masters = intent.masters()
    assert masters and len(subs) == 2 * len(masters)
    for sub in subs:
        assert sub.error is None, sub.path
        assert _as_oracle(sub) == _oracle_fields(oracle_status(Path(sub.path))), sub.path
    assert sorted(s.initialised for s in subs) == [False] * len(masters) + [True] * len(masters)


async def test_last_commit_matches_git_log(workspace30: Path) -> None:
    tree = discover([workspace30 / "projects"])
    statuses = await read_many(GitRunner(), tree.targets())
    for status in statuses:
        if not status.initialised or status.unborn:  # no commit to read (nor for git log)
            assert status.last_commit is None and status.head_oid is None, status.path
            continue
        out = git(Path(status.path), "log", "-1", f"--format={objects.log_format()}")
        assert status.last_commit == objects.parse_log_line(out), status.name
        assert status.head_oid == status.last_commit.sha  # type: ignore[union-attr]


def test_packed_and_deltified_commits_read_like_git(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    long_body = "\n".join(f"line {i} of a long, repetitive commit message body" for i in range(200))
    for i in range(40):
        (repo / "f.txt").write_text(f"{i}\n")
        git(
            repo,
            "commit",
            "-q",
            "-a" if i else "--allow-empty",
            "-m",
            f"change {i}\n\n{long_body}\nend {i}",
        )
        if i == 0:
            git(repo, "add", "f.txt")
            git(repo, "commit", "-q", "-m", "add f")
    git(repo, "repack", "-adf", "--depth=50", "--window=250", "-q")
    verify = git(repo, "verify-pack", "-v", str(next((repo / ".git/objects/pack").glob("*.idx"))))
    deltified = {
        line.split()[0]
        for line in verify.splitlines()
        if " commit " in line and len(line.split()) >= 7
    }
    assert deltified, "the repack should have stored some commits as deltas"
    for sha in git(repo, "rev-list", "--all").split():
        info = objects.read_commit(repo / ".git", sha)
        want = objects.parse_log_line(
            git(repo, "log", "-1", f"--format={objects.log_format()}", sha)
        )
        assert info == want, sha


def test_porcelain_parser_handles_renames_conflicts_and_spaces() -> None:
    data = (
        b"# branch.oid " + b"a" * 40 + b"\0# branch.head main\0"
        b"# branch.upstream origin/main\0# branch.ab +2 -3\0# stash 4\0"
        b"1 .M N... 100644 100644 100644 " + b"b" * 40 + b" " + b"b" * 40 + b" a file.txt\0"
        b"2 R. N... 100644 100644 100644 "
        + b"c" * 40
        + b" "
        + b"c" * 40
        + b" R100 new name.txt\0old name.txt\0"
        b"u UU N... 100644 100644 100644 100644 "
        + b"d" * 40
        + b" "
        + b"e" * 40
        + b" "
        + b"f" * 40
        + b" both.txt\0? new dir/\0! ignored.o\0"
    )
    parsed = parse_porcelain_v2(data)
    assert (parsed.oid, parsed.head, parsed.upstream) == ("a" * 40, "main", "origin/main")
    assert (parsed.ahead, parsed.behind, parsed.stash) == (2, 3, 4)
    assert (parsed.staged, parsed.modified, parsed.conflicted, parsed.untracked) == (1, 1, 1, 1)
    assert parsed.changed == 3
    assert [(f.code, f.path, f.orig_path) for f in parsed.files] == [
        (".M", "a file.txt", None),
        ("R.", "new name.txt", "old name.txt"),
        ("UU", "both.txt", None),
        ("??", "new dir/", None),
    ]
    with pytest.raises(ValueError):
        parse_porcelain_v2(
            b"2 R. N... 100644 100644 100644 " + b"c" * 40 + b" " + b"c" * 40 + b" R100 new.txt"
        )


async def test_detached_no_upstream_conflict_empty_and_unicode(tmp_path: Path) -> None:
    runner = GitRunner()
    _, detached = make_remote_and_clone(tmp_path, "detached")
    commit_file(detached, "x.txt", "x", "second")
    git(detached, "checkout", "-q", "--detach", "HEAD~1")
    s = await read_status(runner, detached)
    assert (s.detached, s.branch, s.upstream, s.error) == (True, None, None, None)
    assert s.health is not None and "Detached HEAD state" in s.health.issues

    _, local = make_remote_and_clone(tmp_path, "local")
    git(local, "switch", "-q", "-c", "feature/no-upstream")
    s = await read_status(runner, local)
    assert (s.branch, s.upstream, s.ahead, s.behind) == ("feature/no-upstream", None, 0, 0)

    _, conflict = make_remote_and_clone(tmp_path, "conflict")
    git(conflict, "switch", "-q", "-c", "other")
    commit_file(conflict, "file_0.txt", "other side\n", "other")
    git(conflict, "switch", "-q", "main")
    commit_file(conflict, "file_0.txt", "main side\n", "main")
    git(conflict, "merge", "other", check=False)
    s = await read_status(runner, conflict)
    assert (s.conflicted, s.state) == (1, "conflict")
    assert [f.path for f in s.files if f.code == "UU"] == ["file_0.txt"]

    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    (empty / "new.txt").write_text("n")
    s = await read_status(runner, empty)
    assert (s.unborn, s.head_oid, s.last_commit, s.branch, s.error) == (
        True,
        None,
        None,
        "main",
        None,
    )
    assert s.untracked == 1

    odd = tmp_path / "dir with spaces" / "répertoire ünïcødé 数据"
    odd.mkdir(parents=True)
    git(odd, "init", "-q")
    commit_file(odd, "fichier é.txt", "1", "première")
    (odd / "fichier é.txt").write_text("2")
    (odd / "nouveau ñ.txt").write_text("3")
    s = await read_status(runner, odd)
    assert s.error is None and s.path == str(odd)
    assert (s.modified, s.untracked) == (1, 1)
    assert {f.path for f in s.files} == {"fichier é.txt", "nouveau ñ.txt"}
    assert s.last_commit is not None and s.last_commit.subject == "première"


async def test_stash_and_ahead_behind(tmp_path: Path) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "stashy")
    commit_file(clone, "a.txt", "a", "ahead one")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    commit_file(other, "b.txt", "b", "remote one")
    commit_file(other, "c.txt", "c", "remote two")
    git(other, "push", "-q", "origin", "main")
    git(clone, "fetch", "-q")
    (clone / "file_0.txt").write_text("stash me")
    git(clone, "stash", "-q")
    (clone / "file_1.txt").write_text("stash me too")
    git(clone, "stash", "-q")
    s = await read_status(GitRunner(), clone)
    assert (s.ahead, s.behind, s.stash, s.dirty) == (1, 2, 2, False)


async def test_dirty_submodule_counts_equal_plain_git_status(tmp_path: Path) -> None:
    make_remote_and_clone(tmp_path, "child")
    master = tmp_path / "master"
    master.mkdir()
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
    sub = master / "submodules" / "core" / "child"
    (sub / "file_0.txt").write_text("dirty inside the submodule")
    (sub / "untracked.txt").write_text("u")
    tree = discover([master])
    statuses = await read_many(GitRunner(), tree.targets())
    parent = next(s for s in statuses if not s.is_submodule)
    plain = parse_porcelain_v2(
        subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "-z"],
            cwd=master,
            capture_output=True,
            check=True,
        ).stdout
    )
    assert (parent.changed, parent.modified, parent.untracked) == (
        plain.changed,
        plain.modified,
        plain.untracked,
    )
    assert parent.changed == 1
    assert parent.submodules is not None
    entry = parent.submodules.entries[0]
    assert (entry.modified_content, entry.untracked_content, entry.category) == (True, True, "core")
    # the same parent read on its own (git's nested status) agrees with the merge
    alone = await read_status(GitRunner(), master)
    assert (alone.changed, alone.modified) == (parent.changed, parent.modified)
    assert alone.submodules is not None
    assert alone.submodules.entries[0].modified_content


async def test_timeout_per_repo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    repo = tmp_path / "fifo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit_file(repo, "a", "a", "a")
    index = repo / ".git" / "index"
    index.unlink()
    os.mkfifo(index)  # git blocks opening it: a hostile repo can stall git
    ok = tmp_path / "ok"
    ok.mkdir()
    git(ok, "init", "-q")
    results = await read_many(GitRunner(timeout=1.0), [StatusTarget(repo), StatusTarget(ok)])
    assert results[0].error is not None and "timed out" in results[0].error
    assert results[1].error is None
