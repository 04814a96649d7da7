"""Benchmark: ``coditect fetch`` and ``coditect run -- git rev-parse HEAD`` over N repos
with local bare remotes, against a parallel git loop (``xargs -P``) and ``gita fetch``.

Run by hand (not in CI)::

    python bench/bench_bulk.py [--repos 200] [--runs 5] [--workspace DIR] [--no-gita]

Builds (or reuses) ``DIR/remotes/rN.git`` (bare, one commit) and ``DIR/work/rN`` (a clone
of it), a config whose tenant's only root is ``DIR/work`` and a store in a temporary
folder; installs gita into a throwaway venv (``pip install gita``; when that fails, the
gita line says why and is skipped). Then measures, interleaved and in the same run, the
median wall time of:

* anchor: ``xargs -P J git -C REPO fetch`` over every repo, J = coditect's default jobs
  for the operation; and the same loop with ``setsid`` before ``git``: coditect and gita
  start every process in a new session, and with the kernel's autogroup scheduling
  (``/proc/sys/kernel/sched_autogroup_enabled``) each new session gets its own share of
  a loaded machine's CPUs, so the plain loop is at a disadvantage the setsid one is not;
* ``coditect fetch --json`` (a fresh process: settings, store, discovery, authorization,
  the fetches, the audit event);
* ``gita fetch`` (every repo registered with ``gita add``; its own config folder);
* the same two loops with ``git -C REPO rev-parse HEAD``;
* ``coditect run --json -- git rev-parse HEAD``;
* the CLI's import floor (``python -c "import coditect_tui.cli"``);
* the engine alone, in this process (``BulkRun`` with a stand-in backend): what the
  commands add to it is the fixed cost of a tenant command.

Each figure is printed with its ratio to both loops, plus the machine, git version and
load average (the figures move with the load of a shared machine).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.bench_status import (  # noqa: E402
    cli_floor,
    git_and_load,
    interleaved_medians,
    tenant_config,
    use_bytecode,
)

NULL = subprocess.DEVNULL


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=NULL, stderr=NULL)


def build(base: Path, count: int) -> list[Path]:
    """``count`` clones with a bare remote each (reused when already there)."""
    work = base / "work"
    repos = [work / f"r{i:04d}" for i in range(count)]
    if all((r / ".git").is_dir() for r in repos):
        return repos
    print(f"building {count} repos with bare remotes in {base} ...", file=sys.stderr)
    seed = base / "seed"
    if not (seed / ".git").is_dir():
        _git("init", "-q", "-b", "main", str(seed))
        (seed / "README").write_text("seed\n")
        _git("add", "README", cwd=seed)
        _git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "seed", cwd=seed)
    for repo in repos:
        bare = base / "remotes" / f"{repo.name}.git"
        if not bare.exists():
            _git("clone", "-q", "--bare", str(seed), str(bare))
        if not repo.exists():
            _git("clone", "-q", str(bare), str(repo))
    return repos


def xargs(repos: list[Path], jobs: int, *git_args: str, setsid: bool = False) -> Callable[[], None]:
    """``xargs -0 -P jobs -I{} [setsid] git -C {} ARGS`` over ``repos``."""
    data = "\0".join(str(r) for r in repos).encode()
    prefix = ["setsid"] if setsid else []

    def run() -> None:
        subprocess.run(
            ["xargs", "-0", "-P", str(jobs), "-I{}", *prefix, "git", "-C", "{}", *git_args],
            input=data,
            check=True,
            stdout=NULL,
            stderr=NULL,
        )

    return run


def coditect(env: dict[str, str], *argv: str) -> Callable[[], None]:
    """``coditect ARGV`` in a fresh interpreter; the bench stops if it fails."""

    def run() -> None:
        result = subprocess.run(
            [sys.executable, "-m", "coditect_tui", *argv], capture_output=True, env=env
        )
        if result.returncode != 0:
            sys.exit(f"bench: coditect {' '.join(argv)} failed: {result.stderr.decode()[-300:]}")

    return run


class _StandIn:
    """A backend that allows and records everything at no cost (the engine's own time)."""

    async def authorize_event(self, *args: object, **kwargs: object) -> None:
        return None

    async def record_event(self, *args: object, **kwargs: object) -> int:
        return 1


def engine(repos: list[Path], *argv: str) -> Callable[[], None]:
    """The bulk engine alone, in this process: ``BulkRun`` over ``repos`` with the
    command's default jobs and a stand-in backend (no settings, store or discovery)."""
    import asyncio

    from coditect_tui.core.bulk import BulkAction, BulkRun, BulkTarget
    from coditect_tui.core.git.status import RepoStatus

    targets = [BulkTarget.of(RepoStatus(path=str(r), name=r.name)) for r in repos]

    def run() -> None:
        action = BulkAction.run(list(argv)) if argv else BulkAction.fetch()
        report = asyncio.run(BulkRun(action, targets).execute(_StandIn()))  # type: ignore[arg-type]
        if report.failed:
            sys.exit(f"bench: the engine's {action.describe()} failed: {report.summary()}")

    return run


def gita(repos: list[Path], folder: Path) -> tuple[Callable[[], None] | None, str]:
    """(``gita fetch`` over ``repos``, its version) or (None, why it is skipped)."""
    venv = folder / "gita-venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
    if made.returncode != 0:
        return None, f"no venv: {made.stderr.decode()[-200:]}"
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "gita"], capture_output=True, text=True
    )
    if pip.returncode != 0:
        lines = pip.stderr.strip().splitlines() or ["pip failed"]
        return None, f"pip install gita failed: {lines[-1][:200]}"
    exe = str(venv / "bin" / "gita")
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "gita-config")}
    added = subprocess.run([exe, "add", *map(str, repos)], capture_output=True, env=env)
    if added.returncode != 0:
        return None, f"gita add failed: {added.stderr.decode()[-200:]}"
    version = subprocess.run(
        [str(venv / "bin" / "pip"), "show", "gita"], capture_output=True, text=True
    ).stdout
    found = next((ln.split()[-1] for ln in version.splitlines() if ln.startswith("Version")), "?")

    def run() -> None:
        subprocess.run([exe, "fetch"], env=env, check=True, stdout=NULL, stderr=NULL)

    return run, found


def main() -> int:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workspace", type=Path, help="reuse/build the repos here")
    parser.add_argument("--no-gita", action="store_true", help="skip the gita line")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="coditect-bench-bulk-"))
    try:
        use_bytecode(scratch / "pyc")
        base = args.workspace or scratch / "ws"
        repos = build(base, args.repos)
        from coditect_tui.core.bulk import default_jobs

        fetch_jobs, run_jobs = default_jobs(network=True), default_jobs()
        env = tenant_config(base / "work", scratch / "tenant")
        fetch_cases: dict[str, Callable[[], None]] = {
            f"xargs -P {fetch_jobs} git fetch": xargs(repos, fetch_jobs, "fetch"),
            f"xargs -P {fetch_jobs} setsid git fetch": xargs(
                repos, fetch_jobs, "fetch", setsid=True
            ),
            "coditect fetch --json": coditect(env, "fetch", "--json"),
            "engine alone: BulkRun fetch in process": engine(repos),
        }
        gita_note = "skipped (--no-gita)"
        if not args.no_gita:
            run_gita, gita_note = gita(repos, scratch)
            if run_gita is not None:
                fetch_cases[f"gita fetch ({gita_note})"] = run_gita
        run_cases: dict[str, Callable[[], None]] = {
            f"xargs -P {run_jobs} git rev-parse HEAD": xargs(repos, run_jobs, "rev-parse", "HEAD"),
            f"xargs -P {run_jobs} setsid git rev-parse HEAD": xargs(
                repos, run_jobs, "rev-parse", "HEAD", setsid=True
            ),
            "coditect run --json -- git rev-parse HEAD": coditect(
                env, "run", "--json", "--", "git", "rev-parse", "HEAD"
            ),
            "engine alone: BulkRun run in process": engine(repos, "git", "rev-parse", "HEAD"),
            "CLI import floor": cli_floor,
        }
        medians = interleaved_medians({**fetch_cases, **run_cases}, args.runs)
        version, load = git_and_load()
        print(
            f"# {len(repos)} repos with local bare remotes, {os.cpu_count()} CPUs, "
            f"median of {args.runs} interleaved runs, git {version}, "
            f"load average {load}; ratios: to the plain xargs loop / to the setsid loop"
        )
        for cases in (fetch_cases, run_cases):
            plain, fair = (medians[name] for name in list(cases)[:2])
            for name in cases:
                value = medians[name]
                print(
                    f"{name:<48} {value * 1000:8.1f} ms  "
                    f"{value / plain:5.2f}x / {value / fair:5.2f}x"
                )
        if not any(name.startswith("gita") for name in medians):
            print(f"gita fetch: {gita_note}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
