"""Live watching on real repos: one update per external change, nothing when idle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from coditect_tui.core.git.watch import RepoWatcher
from tests.git.helpers import commit_file, git, make_remote_and_clone

TIMEOUT = 15.0  # generous: correctness, not speed, is tested here
SETTLE = 1.0  # how long we wait to be sure no second update follows


async def _exactly_one(watcher: RepoWatcher, repo: Path) -> object:
    update = await watcher.next_update(timeout=TIMEOUT)
    assert update is not None, "no update arrived"
    assert update.repo == repo
    extra = await watcher.next_update(timeout=SETTLE)
    assert extra is None, f"a second update arrived: {extra}"
    return update


async def test_edit_commit_stage_and_switch_each_give_one_update(tmp_path: Path) -> None:
    repos = [make_remote_and_clone(tmp_path, name)[1] for name in ("a", "b", "c")]
    b = repos[1]
    tree = discover([tmp_path / "work"])
    initial = await read_many(GitRunner(), tree.targets())
    async with RepoWatcher(tree.targets(), initial=initial) as watcher:
        (b / "file_0.txt").write_text("edited in another editor\n")
        update = await _exactly_one(watcher, b)
        assert update.status.modified == 1 and "worktree" in update.kinds  # type: ignore[attr-defined]

        git(b, "commit", "-q", "-a", "-m", "external commit")
        update = await _exactly_one(watcher, b)
        assert not update.status.dirty and update.status.ahead == 1  # type: ignore[attr-defined]
        assert update.status.last_commit.subject == "external commit"  # type: ignore[attr-defined]

        (b / "file_1.txt").write_text("to stage\n")
        await _exactly_one(watcher, b)
        git(b, "add", "file_1.txt")
        update = await _exactly_one(watcher, b)
        assert update.status.staged == 1 and "index" in update.kinds  # type: ignore[attr-defined]

        git(b, "stash", "-q")
        update = await _exactly_one(watcher, b)
        assert update.status.stash == 1 and not update.status.dirty  # type: ignore[attr-defined]

        git(b, "switch", "-q", "-c", "elsewhere")
        update = await _exactly_one(watcher, b)
        # the new ref (recursive watcher) and HEAD (flat watcher) reach the dispatcher in
        # two batches; on a loaded machine the re-read may come between them, and the
        # later one then changes nothing: the update names either (classify() is pinned
        # down in test_events_are_classified_by_what_changed)
        assert update.status.branch == "elsewhere"  # type: ignore[attr-defined]
        assert update.kinds & {"head", "refs"}  # type: ignore[attr-defined]


def test_events_are_classified_by_what_changed(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "kinds")
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"), "-b", "linked")
    linked = tmp_path / "linked"
    watcher = RepoWatcher([repo, linked])
    dot_git = repo / ".git"

    def kind(path: Path) -> tuple[list[Path], str] | None:
        found = watcher.classify(str(path))
        return None if found is None else ([Path(i.worktree) for i in found[0]], found[1])

    assert kind(dot_git / "HEAD") == ([repo], "head")
    assert kind(dot_git / "index") == ([repo], "index")
    assert kind(dot_git / "MERGE_HEAD") == ([repo], "state")
    assert kind(dot_git / "rebase-merge" / "done") == ([repo], "state")
    assert kind(dot_git / "refs" / "heads" / "elsewhere") == ([repo, linked], "refs")
    assert kind(dot_git / "packed-refs") == ([repo, linked], "refs")
    assert kind(dot_git / "worktrees" / "linked" / "HEAD") == ([linked], "head")
    assert kind(repo / "src" / "a.py") == ([repo], "worktree")
    assert kind(linked / "a.py") == ([linked], "worktree")
    for ignored in (
        dot_git / "index.lock",
        dot_git / "objects" / "ab" / "cdef",
        dot_git / "logs" / "HEAD",
        repo / "node_modules" / "x.js",
        repo / "src" / ".a.py.swp",
        repo / "src" / "__pycache__" / "a.pyc",
        tmp_path / "elsewhere.txt",
    ):
        assert kind(ignored) is None, ignored


async def test_nothing_runs_while_idle(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "idle")
    runner = GitRunner()
    async with RepoWatcher([repo], runner=runner) as watcher:
        spawned = runner.spawned
        assert await watcher.next_update(timeout=2.0) is None
        assert runner.spawned == spawned and watcher.rereads == 0
        (repo / "file_0.txt").write_text("now something\n")
        assert await watcher.next_update(timeout=TIMEOUT) is not None
        assert runner.spawned == spawned + 1


async def test_submodule_changes_reach_the_submodule_and_its_master(tmp_path: Path) -> None:
    make_remote_and_clone(tmp_path, "child")
    master = tmp_path / "ws" / "master"
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
    tree = discover([tmp_path / "ws"])
    initial = await read_many(GitRunner(), tree.targets())
    async with RepoWatcher(tree.targets(), initial=initial) as watcher:
        (child / "file_0.txt").write_text("dirty submodule\n")
        seen: dict[Path, object] = {}
        while len(seen) < 2:
            update = await watcher.next_update(timeout=TIMEOUT)
            assert update is not None
            seen[update.repo] = update
        assert set(seen) == {child, master}
        assert seen[child].status.modified == 1  # type: ignore[attr-defined]
        assert "submodule" in seen[master].kinds  # type: ignore[attr-defined]
        assert seen[master].status.submodules.entries[0].modified_content  # type: ignore[attr-defined]
        assert await watcher.next_update(timeout=SETTLE) is None


async def test_new_directory_is_watched_after_it_appears(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "growing")
    commit_file(repo, "src/a.py", "a = 1\n", "src")
    # a long step: the restarted watcher reports that it watches one step after it was
    # built, well after the first update below, so wait_ready() has something to wait for
    async with RepoWatcher([repo], step=250) as watcher:
        assert watcher.ready and watcher.restarts == 0
        (repo / "docs").mkdir()
        (repo / "docs" / "x.md").write_text("x\n")
        update = await watcher.next_update(timeout=TIMEOUT)
        assert update is not None and update.status.untracked == 1
        await watcher.wait_ready(TIMEOUT)  # the recursive watcher restarted with docs/
        assert watcher.ready and watcher.restarts == 1
        # inside docs/, which only the restarted watcher sees: at once, no grace period
        (repo / "docs" / "x.md").unlink()
        update = await watcher.next_update(timeout=TIMEOUT)
        assert update is not None and update.status.untracked == 0
        (repo / "docs" / "x.md").write_text("x\n")
        update = await watcher.next_update(timeout=TIMEOUT)
        assert update is not None and update.status.untracked == 1
        git(repo, "add", "docs")
        git(repo, "commit", "-q", "-m", "docs")
        while (update := await watcher.next_update(timeout=TIMEOUT)) is not None:
            if not update.status.dirty:
                break
        (repo / "docs" / "x.md").write_text("changed deep inside\n")
        update = await watcher.next_update(timeout=TIMEOUT)
        assert update is not None and update.status.modified == 1
        (repo / "src" / "a.py").write_text("a = 2\n")
        update = await watcher.next_update(timeout=TIMEOUT)
        assert update is not None and update.status.modified == 2
        assert watcher.restarts == 1


async def test_readiness_follows_start_and_close(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "ready")
    watcher = RepoWatcher([repo])
    assert not watcher.ready
    await watcher.wait_ready(TIMEOUT)  # starts it
    assert watcher.ready
    (repo / "file_0.txt").write_text("seen at once\n")
    assert await watcher.next_update(timeout=TIMEOUT) is not None
    await watcher.close()
    assert not watcher.ready
    with pytest.raises(RuntimeError, match="closed"):
        await watcher.wait_ready(TIMEOUT)


async def test_async_for_delivers_and_ends_when_closed(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "iterate")
    watcher = RepoWatcher([repo])
    await watcher.start()
    received: list[object] = []
    arrived = asyncio.Event()

    async def consume() -> None:
        async for update in watcher:
            received.append(update)
            arrived.set()

    task = asyncio.create_task(consume())
    (repo / "file_0.txt").write_text("seen by async for\n")
    await asyncio.wait_for(arrived.wait(), TIMEOUT)
    await watcher.close()
    await asyncio.wait_for(task, TIMEOUT)  # the loop ends once the watcher is closed
    assert len(received) == 1 and received[0].repo == repo  # type: ignore[attr-defined]
