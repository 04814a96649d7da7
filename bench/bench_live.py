#!/usr/bin/env python3
"""Time to live statuses (issue [2/8]); run by hand, not in CI.

Usage: python bench/bench_live.py [--repos 200] [--runs 5] [--dir DIR] [--also TREE ...]

From process start until every repo of the open tenant shows a status read from git (not
from the paint cache): ``coditect --exit-after-live`` (headless; the app exits by itself
once the statuses of all the tenant's repos have been read from git), against the anchor
measured in the same run, interleaved: a parallel ``git status --porcelain=v2 --branch``
loop (thread pool of 2x CPUs) over the same repos (every initialised repo discovery finds,
submodules included). Targets: <= 1 s at 200 repos, <= 3 s at 1,000.

The workspace comes from the project's generator (tests/support/workspaces.py); the app
gets its own XDG folders and a config whose one tenant has the workspace as its root, as
in bench_startup.py. A warm-up run registers the repos and writes the paint cache first,
so the measured runs are the everyday start: cache painted, then every status re-read.

``--also TREE`` (repeatable) measures another source tree of the project in the same
run, interleaved (a checkout of an older commit, say: ``git worktree add /tmp/old REV``):
it runs with ``PYTHONPATH=TREE:TREE/backends`` and an XDG cache folder of its own (the
boot and paint caches of two builds differ), byte-compiled first. A slower or faster
machine moves every build alike, so this compares builds where an absolute target
cannot.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(HERE))

import bench_startup  # noqa: E402  (its config, XDG and warm-up helpers)


def repos_of(projects: Path) -> list[Path]:
    """Every initialised repo the app reads (discovery, in a child: this process stays small)."""
    code = (
        "import sys\n"
        "from coditect_tui.core.git.discovery import discover\n"
        "for t in discover([sys.argv[1]]).targets():\n"
        "    if t.initialised:\n"
        "        print(t.path)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(projects)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    return [Path(line) for line in out.stdout.splitlines() if line]


def anchor(repos: list[Path]) -> float:
    """Seconds for a parallel ``git status`` loop over ``repos``."""

    def one(repo: Path) -> None:
        subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) * 2) as pool:
        list(pool.map(one, repos))
    return time.perf_counter() - started


def tree_env(env: dict[str, str], tree: Path, index: int) -> dict[str, str]:
    """The environment that runs the build in ``tree`` (its own XDG cache)."""
    cache = Path(env["XDG_CACHE_HOME"]).with_name(f"cache-also-{index}")
    return {**env, "PYTHONPATH": f"{tree}:{tree / 'backends'}", "XDG_CACHE_HOME": str(cache)}


def app_once(env: dict[str, str]) -> float:
    """Seconds from process start until ``coditect --exit-after-live`` exits."""
    argv = [sys.executable, "-m", "coditect_tui", "--exit-after-live"]
    started = time.time()
    done = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )
    # the app prints the moment every status was live (wall clock, as `started`): the
    # teardown after it (closing the store, the watchers) is not part of this measure
    marks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("live-at ")]
    elapsed = float(marks[-1]) - started if marks else float("nan")
    if done.returncode != 0 or not marks:
        hint = ""
        if "exit-after-live" in done.stderr and "unrecognized" in done.stderr:
            hint = " (this build of the app has no --exit-after-live yet)"
        raise SystemExit(f"{argv} exited {done.returncode}{hint}: {done.stderr[-800:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="a folder reused between runs (DIR/ws)")
    parser.add_argument(
        "--also", type=Path, action="append", default=[], help="another source tree to time"
    )
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="coditect-live-"))
    workspace = work / "ws"
    env = bench_startup.prepare(work, workspace, args.repos)
    repos = repos_of(workspace / "projects")
    target = 1.0 if args.repos <= 200 else 3.0
    bench_startup._compile_sources()
    bench_startup._register(env)  # warm-up: registration and the paint cache
    app_once(env)
    others = [tree_env(env, tree.resolve(), i) for i, tree in enumerate(args.also)]
    for other, tree in zip(others, args.also, strict=True):
        compile_tree = "import compileall, sys; compileall.compile_dir(sys.argv[1], quiet=1)"
        subprocess.run([sys.executable, "-c", compile_tree, str(tree)], check=True)
        app_once(other)  # its own boot and paint caches
    anchor(repos)
    apps, loops = [], []
    also: list[list[float]] = [[] for _ in others]
    for _ in range(args.runs):  # interleaved: drift on a shared machine hits all alike
        apps.append(app_once(env))
        for times, other in zip(also, others, strict=True):
            times.append(app_once(other))
        loops.append(anchor(repos))
    app, loop = statistics.median(apps), statistics.median(loops)
    print(
        f"# {args.repos} top-level repos, {len(repos)} repos read, {args.runs} interleaved runs,"
        f" {os.cpu_count()} CPUs"
    )
    print(
        f"live     coditect {app:.3f} s (min {min(apps):.3f}, max {max(apps):.3f})  "
        f"git status loop {loop:.3f} s  ratio {app / loop:.2f}  "
        f"target <= {target:g} s: {'met' if app <= target else 'NOT met'} ({app / target:.2f}x)"
    )
    for tree, times in zip(args.also, also, strict=True):
        median = statistics.median(times)
        print(
            f"also     {tree}: {median:.3f} s (min {min(times):.3f}, max {max(times):.3f})  "
            f"ratio {median / loop:.2f}  this build / that one {app / median:.2f}"
        )


if __name__ == "__main__":
    main()
