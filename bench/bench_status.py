"""Benchmark: ``coditect status --json --no-record`` over N repos vs a parallel git loop.

Run by hand (not in CI)::

    python bench/bench_status.py [--repos 200] [--runs 7] [--workspace DIR]

Builds (or reuses) a generated workspace (tests/support/workspaces.py), then measures,
interleaved and in the same run, the median wall time of:

* anchor: ``git status --porcelain=v2 --branch`` in every top-level repo from a thread
  pool of ``os.cpu_count() * 2`` (the figure every other line is divided by);
* the same loop with ``xargs -P <cpu*2>`` from a shell, for reference;
* ``coditect status --json --no-record`` (a fresh process, as a user runs it);
* the CLI's import floor (``python -c "import coditect_tui.cli"``: start-up cost the
  status command cannot avoid);
* the engine in-process: discovery + concurrent status of every repo (submodules
  included) + JSON, without interpreter start-up.

Each figure is printed on one line with its ratio to the anchor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.workspaces (the workspace generator)

from tests.support.workspaces import WorkspaceError, build_workspace  # noqa: E402


def ensure_workspace(dest: Path, repos: int) -> Path:
    """Create the workspace unless ``dest/expected.json`` is already there."""
    if not (dest / "expected.json").exists():
        print(f"building {repos} repos in {dest} ...", file=sys.stderr)
        try:
            build_workspace(dest, repos)
        except WorkspaceError as exc:
            sys.exit(f"bench: {exc}")
    return dest


def anchor_pool(repos: list[Path]) -> None:
    """The anchor: a parallel git status loop (thread pool of cpu*2)."""

    def one(repo: Path) -> None:
        subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) * 2) as pool:
        list(pool.map(one, repos))


def anchor_xargs(repos: list[Path]) -> None:
    """The same loop with ``xargs -P``."""
    jobs = str((os.cpu_count() or 2) * 2)
    subprocess.run(
        [
            "xargs",
            "-0",
            "-P",
            jobs,
            "-I{}",
            "git",
            "-C",
            "{}",
            "status",
            "--porcelain=v2",
            "--branch",
        ],
        input="\0".join(str(r) for r in repos).encode(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )


def coditect_status(projects: Path) -> None:
    """The command as a user runs it (fresh interpreter)."""
    result = subprocess.run(
        [sys.executable, "-m", "coditect_tui", "status", "--json", "--no-record", str(projects)],
        capture_output=True,
    )
    if result.returncode != 0:
        sys.exit(f"bench: coditect status failed: {result.stderr.decode()[-300:]}")


def cli_floor() -> None:
    """Interpreter start plus the CLI's imports."""
    subprocess.run([sys.executable, "-c", "import coditect_tui.cli"], check=True)


def engine(projects: Path) -> Callable[[], None]:
    """Discovery + status of every repo + JSON, in this process."""
    import asyncio

    from coditect_tui.core.git import report
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import read_many

    def run() -> None:
        tree = discover([projects])
        statuses = asyncio.run(read_many(GitRunner(), tree.targets()))
        report.to_json([s.to_dict() for s in statuses])

    return run


def timed(func: Callable[[], None]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def workspace_args(description: str) -> tuple[argparse.Namespace, Path]:
    """Parse ``--repos/--runs/--workspace``; returns (args, the built workspace)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workspace", type=Path, help="reuse/build the workspace here")
    args = parser.parse_args()
    base = args.workspace or Path(tempfile.mkdtemp(prefix="coditect-bench-")) / "ws"
    return args, ensure_workspace(base, args.repos)


def interleaved_medians(cases: dict[str, Callable[[], None]], runs: int) -> dict[str, float]:
    """Warm every case once, then run them interleaved ``runs`` times; the medians."""
    for func in cases.values():  # warm caches once
        func()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, func in cases.items():
            samples[name].append(timed(func))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    """Measure and print one line per figure."""
    args, workspace = workspace_args(__doc__.split("\n\n")[0])
    projects = workspace / "projects"
    expected = json.loads((workspace / "expected.json").read_text())
    repos = [projects / name for name in sorted(expected)]
    cases: dict[str, Callable[[], None]] = {
        "anchor: parallel git status loop (threads)": lambda: anchor_pool(repos),
        "git status loop via xargs -P": lambda: anchor_xargs(repos),
        "coditect status --json --no-record": lambda: coditect_status(projects),
        "  of which CLI import floor": cli_floor,
        "engine in-process (discover+status+json)": engine(projects),
    }
    medians = interleaved_medians(cases, args.runs)
    anchor = medians["anchor: parallel git status loop (threads)"]
    rows = len(repos) + sum(
        len(e["submodules"]["initialised"]) + len(e["submodules"]["uninitialised"])
        for e in expected.values()
    )
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    print(
        f"# {len(repos)} top-level repos ({rows} rows with submodules), "
        f"{os.cpu_count()} CPUs, median of {args.runs} interleaved runs, "
        f"git {version.split()[-1]}"
    )
    for name, value in medians.items():
        print(f"{name:<45} {value * 1000:8.1f} ms  {value / anchor:5.2f}x anchor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
