"""``coditect manifest sync`` against plain ``git clone`` loops, and ``groups_of`` at scale.

Builds N bare remotes (one commit each) in a temporary folder, writes the manifest that
lists them, then in the same run times:

* ``coditect manifest sync FILE --root DIR --jobs J`` (the real command, a subprocess);
* a serial loop of ``git clone -q URL DIR``;
* ``xargs -P J`` running ``git clone -q URL DIR``;

each into a fresh, empty root, best of ``--rounds`` (3); and ``GroupIndex.groups_of``
over 5,000 repo paths with 20 groups (in process). Prints one line per figure with the
ratio to the ``xargs`` run.

    python bench/bench_manifest.py [--repos 100] [--jobs 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _remotes(base: Path, count: int) -> list[Path]:
    seed = base / "seed"
    seed.mkdir()
    _git("init", "-q", "-b", "main", cwd=seed)
    (seed / "README.md").write_text("seed\n")
    _git("add", "-A", cwd=seed)
    _git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "init", cwd=seed)
    remotes = []
    for i in range(count):
        bare = base / "remotes" / f"r{i:04d}.git"
        _git("clone", "-q", "--bare", str(seed), str(bare), cwd=base)
        remotes.append(bare)
    return remotes


def _timed(func: object) -> float:
    started = time.perf_counter()
    func()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-manifest-"))
    try:
        remotes = _remotes(base, args.repos)
        manifest = base / "m.yaml"
        manifest.write_text(
            "version: 1\nrepos:\n"
            + "".join(f"- path: g/{r.stem}\n  url: {r}\n  branch: main\n" for r in remotes)
        )

        def coditect() -> None:
            subprocess.run(
                [sys.executable, "-m", "coditect_tui", "manifest", "sync", str(manifest),
                 "--root", str(base / "a"), "--jobs", str(args.jobs)],
                check=True, capture_output=True,
            )  # fmt: skip

        def loop() -> None:
            for r in remotes:
                _git("clone", "-q", str(r), str(base / "b" / "g" / r.stem), cwd=base)

        def xargs() -> None:
            lines = "".join(f"{r}\n{base / 'c' / 'g' / r.stem}\n" for r in remotes)
            subprocess.run(
                ["xargs", "-P", str(args.jobs), "-n", "2", "git", "clone", "-q"],
                input=lines.encode(), check=True, capture_output=True, cwd=base,
            )  # fmt: skip

        runs = {"xargs -P git clone": xargs, "coditect manifest sync": coditect}
        runs["serial git clone loop"] = loop
        figures: dict[str, float] = {}
        for _ in range(args.rounds):  # best of the rounds, each into empty roots
            for (name, func), folder in zip(runs.items(), "cab", strict=True):
                shutil.rmtree(base / folder, ignore_errors=True)
                seconds = _timed(func)
                figures[name] = min(figures.get(name, seconds), seconds)
            assert sum(1 for _ in (base / "a" / "g").iterdir()) == args.repos
        anchor = figures["xargs -P git clone"]
        print(f"{args.repos} repos, --jobs {args.jobs}, {os.cpu_count()} CPUs")
        for name, seconds in figures.items():
            print(f"  {name:<26} {seconds:7.2f} s  {seconds / anchor:5.2f}x xargs")
        _groups()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


def _groups() -> None:
    from coditect_tui.core.groups import GroupIndex

    root = "/srv/ws"
    paths = [f"{root}/client{i % 50}/svc-{i:05d}" for i in range(5000)]
    groups = {
        f"g{g}": [p.removeprefix(root + "/") for p in paths[g * 100 : g * 100 + 100]]
        for g in range(20)
    }
    index = GroupIndex(groups, [root])
    started = time.perf_counter()
    member = sum(1 for p in paths if "g3" in index.groups_of(p))
    seconds = time.perf_counter() - started
    print(f"  groups_of over 5,000 repos, 20 groups: {seconds * 1000:.1f} ms ({member} in g3)")


if __name__ == "__main__":
    sys.exit(main())
