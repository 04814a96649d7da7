#!/usr/bin/env python3
"""What the demo workspace costs on a first start (issue [4/8] item 17); run by hand.

Usage: python bench/bench_demo.py [--runs 5]

Two measures, each in fresh processes with fresh XDG folders and no config file:

* ``build``: ``build_demo()`` alone in a new interpreter (its imports included), wall
  time and CPU time (the process and its git children); ``build + record``: the same,
  recording the demo's git sessions in the default tenant's store (a fresh SQLite file,
  opened by the factory), as the app's and the CLI's first start do;
* ``first start``: ``coditect --exit-after-live`` until every demo repo's status was
  read from git, against a second start of the same folders (the demo is then reused):
  the difference is what building the demo adds to the first start.

Target: the build well under 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
XDG_KINDS = ("config", "data", "cache", "state")
BUILD = """
import resource, sys, time
t = time.perf_counter()
from coditect_tui.core.demo import build_demo
build_demo()
wall = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
print(wall, cpu)
"""
BUILD_RECORDED = BUILD.replace(
    "build_demo()",
    """from coditect_tui.core.factory import open_backend
from coditect_tui.core.settings import load_settings
profile = load_settings().settings.profile(None)
build_demo(record=lambda: open_backend(profile))""",
)


def fresh_env(home: Path) -> dict[str, str]:
    """The environment of a machine that never ran coditect (XDG folders under ``home``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODITECT_")}
    env.update({f"XDG_{kind.upper()}_HOME": str(home / kind) for kind in XDG_KINDS})
    return env


def timed_start(env: dict[str, str]) -> float:
    """Seconds until ``coditect --exit-after-live`` exits."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "coditect_tui", "--exit-after-live"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    walls, cpus, rwalls, rcpus, firsts, seconds = [], [], [], [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            for script, where, wall, cpu in (
                (BUILD, "build", walls, cpus),
                (BUILD_RECORDED, "recorded", rwalls, rcpus),
            ):
                out = subprocess.run(
                    [sys.executable, "-c", script],
                    env=fresh_env(Path(tmp) / where),
                    cwd=REPO_ROOT,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                wall.append(float(out[0]))
                cpu.append(float(out[1]))
            env = fresh_env(Path(tmp) / "app")
            firsts.append(timed_start(env))
            seconds.append(timed_start(env))
    med = statistics.median
    print(f"build: wall {med(walls):.2f} s, cpu {med(cpus):.2f} s (median of {args.runs})")
    print(
        f"build + record: wall {med(rwalls):.2f} s, cpu {med(rcpus):.2f} s (median of {args.runs})"
    )
    print(
        f"first start {med(firsts):.2f} s, second start {med(seconds):.2f} s: "
        f"the demo adds {med(firsts) - med(seconds):.2f} s"
    )


if __name__ == "__main__":
    main()
