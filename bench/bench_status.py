"""Benchmark: ``coditect status --json --no-record`` over N repos vs a parallel git loop.

Run by hand (not in CI)::

    python bench/bench_status.py [--repos 200] [--runs 7] [--workspace DIR]
    python bench/bench_status.py --sizes 10,50,200,1000 [--runs 7] [--workspace DIR]

Builds (or reuses) a generated workspace (tests/support/workspaces.py; with ``--sizes``
one per size, ``DIR/ws<N>``), then measures, interleaved and in the same run, the
median wall time of:

* anchor: ``git status --porcelain=v2 --branch`` in every top-level repo from a thread
  pool of ``os.cpu_count() * 2`` (the figure every other line is divided by);
* the same loop with ``xargs -P <cpu*2>`` from a shell, for reference;
* ``coditect status --json --no-record --max-repos 0 PATH`` (a fresh process, as a user
  runs it; ``--max-repos 0``: a PATH scan is otherwise bounded at 200 repos);
* ``coditect status --json`` on the tenant's roots (a config file naming the workspace,
  a store in a temporary folder): the default command, which also loads the settings,
  opens the store, registers the repos and records a status snapshot;
* the CLI's import floor (``python -c "import coditect_tui.cli"``: start-up cost the
  status command cannot avoid);
* the engine in-process: discovery + concurrent status of every repo (submodules
  included) + JSON, without interpreter start-up.

Each figure is printed on one line with its ratio to the anchor; with ``--sizes``, the
sizes run one after the other in the same invocation.

The fresh processes run with bytecode, as an installed package does (pip compiles it at
install): a private ``PYTHONPYCACHEPREFIX`` that the warm-up run fills, even where
``PYTHONDONTWRITEBYTECODE`` is set (then every run would compile the package's sources
again, tens of milliseconds no user pays). ``--no-bytecode`` measures without it.
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


#: The environment of every fresh interpreter (see the module docstring).
CHILD_ENV: dict[str, str] = dict(os.environ)


def use_bytecode(prefix: Path) -> None:
    """Fresh interpreters read and write bytecode under ``prefix``."""
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(prefix)


def coditect_status(projects: Path) -> None:
    """The command as a user runs it (fresh interpreter)."""
    argv = ["status", "--json", "--no-record", "--max-repos", "0", str(projects)]
    result = subprocess.run(
        [sys.executable, "-m", "coditect_tui", *argv], capture_output=True, env=CHILD_ENV
    )
    if result.returncode != 0:
        sys.exit(f"bench: coditect status failed: {result.stderr.decode()[-300:]}")


def tenant_config(projects: Path, folder: Path) -> dict[str, str]:
    """The environment of a run on the tenant's roots: a config naming ``projects`` as
    the only root, a store and XDG folders in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(
        "default_tenant: bench\n"
        "tenants:\n"
        "  - name: bench\n"
        f"    backend: {{kind: local, path: {json.dumps(str(folder / 'store.db'))}}}\n"
        f"    workspace_roots: [{json.dumps(str(projects))}]\n"
    )
    env = {**CHILD_ENV, "CODITECT_CONFIG": str(config)}
    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(folder / name.lower())
    return env


def coditect_status_tenant(env: dict[str, str]) -> None:
    """``coditect status --json`` on the tenant's roots, recording a snapshot."""
    result = subprocess.run(
        [sys.executable, "-m", "coditect_tui", "status", "--json"], capture_output=True, env=env
    )
    if result.returncode != 0:
        sys.exit(f"bench: coditect status (tenant) failed: {result.stderr.decode()[-300:]}")


def cli_floor() -> None:
    """Interpreter start plus the CLI's imports."""
    subprocess.run([sys.executable, "-c", "import coditect_tui.cli"], check=True, env=CHILD_ENV)


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
    """Parse ``--repos/--runs/--workspace/--sizes``; returns (args, the built workspace).

    With ``--sizes`` the workspace returned is the folder holding ``ws<N>`` per size
    (built by :func:`main`).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workspace", type=Path, help="reuse/build the workspace here")
    parser.add_argument(
        "--sizes", help="comma-separated repo counts measured one after the other (10,50)"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="fresh interpreters keep the environment's"
    )
    args = parser.parse_args()
    if not args.no_bytecode:
        use_bytecode(Path(tempfile.mkdtemp(prefix="coditect-bench-pyc-")))
    base = args.workspace or Path(tempfile.mkdtemp(prefix="coditect-bench-")) / "ws"
    if args.sizes:
        return args, base
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


def git_and_load() -> tuple[str, str]:
    """(git's version, the load average as ``a, b, c``) for a bench's header line."""
    version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    return version.split()[-1], ", ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(workspace: Path, runs: int) -> None:
    """Measure one workspace and print one line per figure."""
    projects = workspace / "projects"
    expected = json.loads((workspace / "expected.json").read_text())
    repos = [projects / name for name in sorted(expected)]
    tenant_env = tenant_config(projects, Path(tempfile.mkdtemp(prefix="coditect-bench-tenant-")))
    cases: dict[str, Callable[[], None]] = {
        "anchor: parallel git status loop (threads)": lambda: anchor_pool(repos),
        "git status loop via xargs -P": lambda: anchor_xargs(repos),
        "coditect status --json --no-record PATH": lambda: coditect_status(projects),
        "  of which CLI import floor": cli_floor,
        "engine in-process (discover+status+json)": engine(projects),
        "coditect status --json (tenant, records)": lambda: coditect_status_tenant(tenant_env),
    }
    medians = interleaved_medians(cases, runs)
    anchor = medians["anchor: parallel git status loop (threads)"]
    rows = len(repos) + sum(
        len(e["submodules"]["initialised"]) + len(e["submodules"]["uninitialised"])
        for e in expected.values()
    )
    version, load = git_and_load()
    print(
        f"# {len(repos)} top-level repos ({rows} rows with submodules), "
        f"{os.cpu_count()} CPUs, median of {runs} interleaved runs, "
        f"git {version}, load average {load}, "
        f"bytecode {'yes' if 'PYTHONPYCACHEPREFIX' in CHILD_ENV else 'as the environment'}"
    )
    for name, value in medians.items():
        print(f"{name:<45} {value * 1000:8.1f} ms  {value / anchor:5.2f}x anchor")
    sys.stdout.flush()


def main() -> int:
    """Measure one workspace, or each of ``--sizes`` in turn."""
    args, workspace = workspace_args(__doc__.split("\n\n")[0])
    if not args.sizes:
        measure(workspace, args.runs)
        return 0
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        sys.exit(f"bench: --sizes {args.sizes!r}: comma-separated whole numbers")
    built = [ensure_workspace(workspace / f"ws{size}", size) for size in sizes]
    for one in built:
        measure(one, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
