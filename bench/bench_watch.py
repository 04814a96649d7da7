"""Benchmark: the repo watcher with N repos watched.

Run by hand (not in CI)::

    python bench/bench_watch.py [--repos 200] [--writes 60] [--idle 30] [--dir DIR]

Builds a fresh generated workspace (tests/support/workspaces.py; the benchmark writes into
it), starts a :class:`coditect_tui.core.git.watch.RepoWatcher` over every repo (submodules
included), then measures, in the same run:

* file write -> update latency: a tracked file of a different repo is rewritten each
  time (alternating its content, so the status changes each time) and the time until
  the watcher yields that repo's update is taken; p50, p95 and max;
* the anchor for latency: one hardened ``git status`` of a repo (the least any re-read
  costs), so the latency line also shows how much of it is debounce;
* the inotify watches the watcher holds (``inotify wd:`` lines of every inotify file
  descriptor in ``/proc/self/fdinfo``), in total and per repo, against the kernel's
  ``max_user_watches``; and whether the watcher hit that limit (its notice);
* idle: the watcher process's CPU time over ``--idle`` seconds with nothing changing, as
  a percentage of one core, and the git processes started meanwhile (must be 0).

Every figure is printed on one line with its ratio to its anchor (the single git status
for latency, the issue's targets of 200 ms and 1 % as well).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.workspaces (the workspace generator)

from tests.support.workspaces import WorkspaceError, build_workspace  # noqa: E402


def inotify_watches() -> int:
    """The inotify watches this process holds (Linux; 0 elsewhere)."""
    total = 0
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}") as f:
                total += sum(line.startswith("inotify wd:") for line in f)
        except OSError:
            continue
    return total


async def measure(projects: Path, writes: int, idle: float) -> list[tuple[str, float, str]]:
    """Run the watcher and return (label, value, unit) lines."""
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import read_many, read_status
    from coditect_tui.core.git.watch import RepoWatcher

    tree = discover([projects])
    targets = tree.targets()
    runner = GitRunner()
    initial = await read_many(runner, targets)
    # top-level repos with a README.md to rewrite (an unborn repo has none)
    top = [t.path for t in targets if not t.is_submodule and (t.path / "README.md").exists()]

    single = []
    for repo in top[:20]:
        started = time.perf_counter()
        await read_status(runner, repo)
        single.append(time.perf_counter() - started)
    anchor = statistics.median(single)

    started = time.perf_counter()
    async with RepoWatcher(targets, runner=runner, initial=initial) as watcher:
        ready = time.perf_counter() - started
        plan = len(watcher._plan.flat) + len(watcher._plan.recursive)
        watches = inotify_watches()
        polled = len(watcher.polled)
        latencies = []
        for i in range(writes):
            repo = top[(i * 7) % len(top)]
            target = repo / "README.md"
            original = f"# {repo.name}\n"
            content = original if target.read_text() != original else "# changed\n"
            t0 = time.perf_counter()
            target.write_text(content)
            while True:
                update = await watcher.next_update(timeout=10)
                if update is None:
                    raise SystemExit(f"bench: no update for {repo}")
                if update.repo == repo:
                    break
            latencies.append(time.perf_counter() - t0)
        await asyncio.sleep(1.0)
        spawned = runner.spawned
        rereads = watcher.rereads
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        await asyncio.sleep(idle)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        idle_spawned = runner.spawned - spawned
        idle_rereads = watcher.rereads - rereads
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    cpu_pct = cpu / wall * 100
    return [
        ("anchor: one hardened git status (median of 20)", anchor * 1000, "ms"),
        ("watcher ready (plan + inotify watches)", ready * 1000, f"ms, {plan} watch roots"),
        ("inotify watches held", watches, f"watches, {watches / len(targets):.1f} per repo"),
        ("repos polled (inotify limit reached)", polled, f"of {len(targets)} repos"),
        ("write -> update p50", statistics.median(latencies) * 1000, "ms"),
        ("write -> update p95", p95 * 1000, "ms"),
        ("write -> update max", latencies[-1] * 1000, "ms"),
        (f"idle CPU over {idle:g} s", cpu_pct, "% of one core"),
        ("git processes while idle", idle_spawned, "processes"),
        ("status re-reads while idle", idle_rereads, "re-reads"),
    ]


def main() -> int:
    """Build, measure, print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--writes", type=int, default=60)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--dir", type=Path, help="a workspace built before (reused)")
    args = parser.parse_args()
    dest = args.dir or Path(tempfile.mkdtemp(prefix="coditect-bench-watch-")) / "ws"
    if not (dest / "expected.json").exists():
        print(f"building {args.repos} repos in {dest} ...", file=sys.stderr)
        try:
            build_workspace(dest, args.repos)
        except WorkspaceError as exc:
            sys.exit(f"bench: {exc}")
    rows = asyncio.run(measure(dest / "projects", args.writes, args.idle))
    anchor = rows[0][1]
    limit = Path("/proc/sys/fs/inotify/max_user_watches")
    kernel = limit.read_text().strip() if limit.exists() else "n/a"
    print(
        f"# {sum(1 for _ in (dest / 'projects').iterdir())} top-level repos watched,"
        f" {os.cpu_count()} CPUs, {args.writes} writes,"
        f" max_user_watches {kernel}"
    )
    for label, value, unit in rows:
        extra = ""
        if unit == "ms" and not label.startswith("watcher ready"):
            extra = f"  {value / anchor:6.2f}x anchor"
            if "p95" in label:
                extra += f", {value / 200:4.2f}x target 200 ms"
        elif unit.startswith("%"):
            extra = f"  {value / 1.0:4.2f}x target 1 %"
        print(f"{label:<50} {value:9.2f} {unit}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
