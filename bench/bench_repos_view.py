#!/usr/bin/env python3
"""Repos view benchmark (issue [6/8] item 1); run by hand, not in CI.

Usage: python bench/bench_repos_view.py [--repos 5000] [--pages 50]

Headless, in-process Pilot, 100x40. The rows are one real repo of each kind (built and
read by git once, tests/support/many_repos.py) repeated under distinct names to N rows:

  mount      - from starting an app holding the table with N rows to its first frame
  page-down  - per page-down key, until the next frame is drawn (mean and max)
  sort       - one sort of N rows by changes (the core, no drawing)
  filter     - one filter keystroke over N rows (the core, no drawing)

Anchors, measured in the same run: Textual's DataTable holding the same N rows and cells,
and the same page-down key on an empty table (what Pilot's key and frame round trip costs
by itself on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # for tests.support (the workspace generator)

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from coditect_tui.core.repo_rows import COLUMNS, RepoRows  # noqa: E402
from coditect_tui.ui.panes.repos_table import ReposTable  # noqa: E402
from tests.support.many_repos import real_views, repeated  # noqa: E402

SIZE = (100, 40)


class OursApp(App[None]):
    def __init__(self, rows: RepoRows) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield ReposTable(self.rows)

    def on_mount(self) -> None:
        table = self.query_one(ReposTable)
        table.reload()
        table.focus()


class DataTableApp(App[None]):
    def __init__(self, rows: RepoRows) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(c.title for c in COLUMNS))
        table.add_rows([[self.rows.cells(r)[c.id] for c in COLUMNS] for r in self.rows.rows])
        table.focus()


async def measure(app: App[None], pages: int) -> tuple[float, list[float], float]:
    """(mount, each page-down until its frame, building one screen of lines directly)."""
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        mount = time.perf_counter() - started
        times = []
        for _ in range(pages):
            began = time.perf_counter()
            await pilot.press("pagedown")
            await pilot.pause()
            times.append(time.perf_counter() - began)
        table = app.query_one(ReposTable) if isinstance(app, OursApp) else None
        screen = 0.0
        if table is not None:
            began = time.perf_counter()
            for y in range(table.size.height):
                table.render_line(y)
            screen = time.perf_counter() - began
    return mount, times, screen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("# building and reading one real repo per kind ...", flush=True)
        views = repeated(real_views(Path(tmp) / "ws"), args.repos)
        rows = RepoRows(sessions={})
        began = time.perf_counter()
        rows.load(views)
        load = time.perf_counter() - began
        began = time.perf_counter()
        rows.sort_by("changes")
        sort = time.perf_counter() - began
        began = time.perf_counter()
        rows.set_filter("svc-00")
        filtered = time.perf_counter() - began
        rows.set_filter("")
        rows.sort_by("name")
        ours = asyncio.run(measure(OursApp(rows), args.pages))
        empty = RepoRows(sessions={})
        empty.load([])
        idle = asyncio.run(measure(OursApp(empty), args.pages))
        theirs = asyncio.run(measure(DataTableApp(rows), args.pages))
    print(f"rows      {args.repos:,}  (load + sort by name {load * 1000:.1f} ms)")
    print(f"sort      by changes {sort * 1000:.1f} ms   filter keystroke {filtered * 1000:.1f} ms")
    for name, (mount, pages, _screen) in (("ReposTable", ours), ("DataTable", theirs)):
        print(
            f"{name:<10} mount {mount * 1000:7.1f} ms   page-down mean "
            f"{statistics.mean(pages) * 1000:6.1f} ms  max {max(pages) * 1000:6.1f} ms"
        )
    print(
        f"anchor: the same key on an empty table (Pilot's round trip) mean "
        f"{statistics.mean(idle[1]) * 1000:.1f} ms"
    )
    print(f"ReposTable builds one screen of lines ({SIZE[1]}) in {ours[2] * 1000:.2f} ms")
    print(f"mount ratio ReposTable/DataTable {ours[0] / theirs[0]:.2f}")


if __name__ == "__main__":
    main()
