"""The repo watcher at the kernel's inotify limits, and with folders it may not watch.

The limits are real, not simulated: since Linux 5.11 the inotify limits are counted per
user namespace (``/proc/sys/user/max_inotify_watches`` and ``max_inotify_instances``),
and the owner of a namespace may lower them inside it. So the watcher runs in a child
process started by ``unshare --user --map-root-user``, which lowers the limit of its own
namespace only (the machine's ``fs.inotify.*`` settings are never touched; ``prlimit``
has no inotify limit) and then goes through the real ``inotify_add_watch`` /
``inotify_init1`` failures of the watchfiles/notify stack.

The child prints one JSON line with what it saw; no step waits on the wall clock: the
slow re-read timer is replaced by a tick the child sends itself (``poll_tick``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.helpers import commit_file, make_remote_and_clone
from tests.support.unprivileged import unprivileged_prefix

REPO_ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import asyncio, json, os, sys
from pathlib import Path
from coditect_tui.core.git.watch import RepoWatcher

mode, limit, *paths = sys.argv[1:]
repos = [Path(p) for p in paths]
TIMEOUT = 15.0


def inotify_watches():
    # what the kernel holds for this process: "inotify wd:" lines of every inotify fd
    total = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}") as f:
                total += sum(line.startswith("inotify wd:") for line in f)
        except OSError:
            continue
    return total


async def main():
    out = {}
    if mode != "measure":
        name = "max_inotify_watches" if mode == "watches" else "max_inotify_instances"
        with open(f"/proc/sys/user/{name}", "w") as f:
            f.write(limit)
    notices = []
    ticks = asyncio.Queue()
    watcher = RepoWatcher(repos, poll_tick=ticks.get, on_notice=notices.append)
    async with watcher:
        out["watches"] = inotify_watches()
        out["ready"] = watcher.ready
        out["polled"] = sorted(str(p) for p in watcher.polled)
        out["notices"] = [[n.kind, n.limit, [str(p) for p in n.unwatched], n.message]
                          for n in notices]
        out["notice_is_attribute"] = watcher.notice is (notices[0] if notices else None)
        seen = {}
        # every repo gets a change deep inside (where only the recursive watcher looks,
        # so a repo it does not cover sees nothing); the watched ones report it
        for repo in repos:
            (repo / "src" / "deep" / "mod.py").write_text(f"x = {os.getpid()}\n")
        watched = [r for r in repos if str(r) not in out["polled"]]
        while len(seen) < len(watched):
            update = await watcher.next_update(timeout=TIMEOUT)
            assert update is not None, "a watched repo's change was not reported"
            seen[str(update.repo)] = sorted(update.kinds)
        out["live"] = seen
        # the others on the next tick of the slow timer
        polled = {}
        if out["polled"]:
            ticks.put_nowait(None)
            while len(polled) < len(out["polled"]):
                update = await watcher.next_update(timeout=TIMEOUT)
                assert update is not None, "a polled repo's change was not reported"
                polled[str(update.repo)] = sorted(update.kinds)
        out["by_poll"] = polled
        # and the watcher keeps going: a new top-level folder restarts the recursive
        # watcher (the limit may be hit again: still one notice)
        new = repos[0] / f"new-{mode}-{os.getpid()}"
        new.mkdir()
        (new / "x.txt").write_text("x\n")
        update = await watcher.next_update(timeout=TIMEOUT)
        if str(repos[0]) in out["polled"]:
            ticks.put_nowait(None)
            update = update or await watcher.next_update(timeout=TIMEOUT)
        out["after_restart"] = None if update is None else str(update.repo)
        await watcher.wait_ready(TIMEOUT)
        out["notices_at_end"] = len(notices)
    print(json.dumps(out))

asyncio.run(main())
"""


def _unshare() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(
        [
            unshare,
            "--user",
            "--map-root-user",
            "sh",
            "-c",
            "echo 1 >/proc/sys/user/max_inotify_watches",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"no user namespace with its own inotify limits here: {probe.stderr.strip()}")
    return [unshare, "--user", "--map-root-user"]


def _child(mode: str, limit: int, repos: list[Path], prefix: list[str]) -> dict[str, object]:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", CHILD, mode, str(limit), *map(str, repos)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def three_repos(tmp_path: Path) -> list[Path]:
    repos = []
    for name in ("a", "b", "c"):
        _, repo = make_remote_and_clone(tmp_path, name)
        commit_file(repo, "src/deep/mod.py", "x = 1\n", "src")
        commit_file(repo, "docs/index.md", "# docs\n", "docs")
        repos.append(repo)
    return repos


def test_watch_limit_one_short_polls_the_last_repo_and_says_so_once(
    three_repos: list[Path],
) -> None:
    prefix = _unshare()
    a, b, c = three_repos
    measured = _child("measure", 0, three_repos, prefix)
    assert measured["notices"] == [] and measured["polled"] == []
    assert set(measured["live"]) == set(map(str, three_repos))  # type: ignore[arg-type]
    needed = measured["watches"]
    assert isinstance(needed, int) and needed > 0

    # one watch short: the last watch added (c's, the last repo) is refused
    result = _child("watches", needed - 1, three_repos, prefix)
    assert result["ready"] is True
    assert result["polled"] == [str(c)]
    [[kind, limit, unwatched, message]] = result["notices"]  # type: ignore[misc]
    assert (kind, limit, unwatched) == ("watches", needed - 1, [str(c)])
    assert "inotify limit" in message and "1 of 3 repos" in message
    assert result["notice_is_attribute"] is True
    assert set(result["live"]) == {str(a), str(b)}  # type: ignore[arg-type]
    assert result["by_poll"] == {str(c): ["poll"]}
    assert result["after_restart"] == str(a)
    assert result["notices_at_end"] == 1
    assert isinstance(result["watches"], int) and result["watches"] < needed


def test_no_watch_at_all_polls_every_repo(three_repos: list[Path]) -> None:
    prefix = _unshare()
    result = _child("watches", 0, three_repos, prefix)
    assert result["ready"] is True and result["watches"] == 0
    assert result["polled"] == sorted(map(str, three_repos))
    assert [n[0] for n in result["notices"]] == ["watches"]  # type: ignore[union-attr]
    assert result["live"] == {}
    assert set(result["by_poll"]) == set(map(str, three_repos))  # type: ignore[arg-type]
    assert result["notices_at_end"] == 1


def test_instance_limit_polls_every_repo_and_says_so_once(three_repos: list[Path]) -> None:
    prefix = _unshare()
    # one inotify instance: the flat watcher gets it, the recursive one is refused
    result = _child("instances", 1, three_repos, prefix)
    assert result["ready"] is True
    assert result["polled"] == sorted(map(str, three_repos))
    [[kind, limit, unwatched, message]] = result["notices"]  # type: ignore[misc]
    assert (kind, limit) == ("instances", 1) and len(unwatched) == 3
    assert "max_user_instances" in message
    assert result["live"] == {}
    assert set(result["by_poll"]) == set(map(str, three_repos))  # type: ignore[arg-type]
    assert result["notices_at_end"] == 1


def test_a_folder_that_may_not_be_watched_is_left_out(tmp_path: Path) -> None:
    """watchfiles only reports the watch limit with ignore_permission_denied=False, so
    the watcher handles permission errors itself: the folder is left out, the rest of
    the repo stays live (as root the child runs without the permission-bypassing
    capabilities, so chmod 0 means something)."""
    _, repo = make_remote_and_clone(tmp_path, "locked")
    commit_file(repo, "src/deep/mod.py", "x = 1\n", "src")
    locked = repo / "src" / "deep" / "private"
    locked.mkdir()
    os.chmod(locked, 0)
    try:
        result = _child("measure", 0, [repo], unprivileged_prefix())
    finally:
        os.chmod(locked, 0o755)
    assert result["ready"] is True and result["notices"] == [] and result["polled"] == []
    assert set(result["live"]) == {str(repo)}  # type: ignore[arg-type]
    assert result["after_restart"] == str(repo)
