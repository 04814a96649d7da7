"""Benchmark: reading every repo's HEAD commit in-process vs the alternatives.

Run by hand (not in CI)::

    python bench/bench_objects.py [--repos 200] [--runs 7] [--workspace DIR]

On a generated workspace (tests/support/workspaces.py), interleaved in the same run, the
median wall time of:

* anchor: ``git status --porcelain=v2 --branch`` in every top-level repo from a thread
  pool of ``os.cpu_count() * 2`` (as in bench_status.py);
* the status engine (discovery + ``read_many`` + JSON) with the in-process reader
  (``objects.read_commit``), and with the reader switched off so that every repo costs a
  second process, ``git log -1`` (the fallback);
* the HEAD commit of every repo alone: ``objects.read_commit``, and, when installed,
  pygit2 (``Odb.read``) and dulwich (``DiskObjectStore.get_raw``) parsed the same way.

Each figure is printed with its ratio to the anchor.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from bench_status import anchor_pool, interleaved_medians, workspace_args  # noqa: E402

from coditect_tui.core.git import layout, objects, report  # noqa: E402
from coditect_tui.core.git.discovery import discover  # noqa: E402
from coditect_tui.core.git.runner import GitRunner  # noqa: E402
from coditect_tui.core.git.status import read_many  # noqa: E402


def heads(projects: Path) -> list[tuple[Path, str]]:
    """(common git dir, HEAD sha) of every repo with a commit."""
    found = []
    for repo in sorted(projects.iterdir()):
        git_dir = layout.git_dir_of(repo)
        out = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=repo, capture_output=True, text=True
        )
        if git_dir is not None and out.returncode == 0:
            found.append((layout.common_dir_of(git_dir), out.stdout.strip()))
    return found


def engine(projects: Path, *, in_process: bool) -> Callable[[], None]:
    """Discovery + status of every repo + JSON; ``in_process=False``: git log per repo."""
    real = objects.read_commit

    def run() -> None:
        objects.read_commit = real if in_process else (lambda common, sha: None)  # type: ignore[assignment]
        try:
            statuses = asyncio.run(read_many(GitRunner(), discover([projects]).targets()))
            report.to_json([s.to_dict() for s in statuses])
        finally:
            objects.read_commit = real  # type: ignore[assignment]

    return run


def readers(items: list[tuple[Path, str]]) -> dict[str, Callable[[], None]]:
    """The HEAD-commit readers to compare (the libraries only when installed)."""

    def ours() -> None:
        for common, sha in items:
            assert objects.read_commit(common, sha) is not None

    cases = {"reader: objects.read_commit": ours}
    try:
        import pygit2

        def with_pygit2() -> None:
            for common, sha in items:
                objects.parse_commit(sha, pygit2.Odb(os.path.join(common, "objects")).read(sha)[1])

        cases["reader: pygit2 Odb.read"] = with_pygit2
    except ImportError:
        pass
    try:
        from dulwich.object_store import DiskObjectStore

        def with_dulwich() -> None:
            for common, sha in items:
                store = DiskObjectStore(os.path.join(common, "objects"))
                objects.parse_commit(sha, store.get_raw(sha.encode())[1])
                store.close()

        cases["reader: dulwich get_raw"] = with_dulwich
    except ImportError:
        pass
    return cases


def main() -> int:
    """Measure and print one line per figure."""
    args, workspace = workspace_args(__doc__.split("\n\n")[0])
    projects = workspace / "projects"
    repos = sorted(projects.iterdir())
    items = heads(projects)
    cases: dict[str, Callable[[], None]] = {
        "anchor: parallel git status loop (threads)": lambda: anchor_pool(repos),
        "engine, HEAD commit read in-process": engine(projects, in_process=True),
        "engine, HEAD commit by git log -1": engine(projects, in_process=False),
        **readers(items),
    }
    medians = interleaved_medians(cases, args.runs)
    anchor = medians["anchor: parallel git status loop (threads)"]
    print(f"{len(repos)} repos, {len(items)} HEAD commits, {args.runs} runs, {os.cpu_count()} CPUs")
    for name, median in medians.items():
        print(f"{name:44s} {median * 1000:8.1f} ms  {median / anchor:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
