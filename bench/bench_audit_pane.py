#!/usr/bin/env python3
"""Audit pane benchmark (issue [5/6]); run by hand, not in CI.

Usage: python bench/bench_audit_pane.py [--events 1000000] [--repos 200] [--dir DIR]

In the running app (headless, in-process Pilot) on a store holding N audit events and a
workspace of R repos (tests/support/workspaces.py):

  first page    - from pressing the Audit tab's key to its first page of rows painted
                  (target <= 150 ms)
  filtered page - from applying a filter (actor + action + time range) to its first page
                  painted (target <= 200 ms); also a text filter and a time-range filter
  rss           - peak process RSS with the events and the repos loaded (target <= 150 MB)

Anchors, measured in the same run: the same first-page and filtered queries through raw
sqlite3 (the floor of the query), and the RSS of a bare interpreter with Textual imported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # for tests.support.workspaces (the workspace generator)

from tests.support.workspaces import WorkspaceError, build_workspace  # noqa: E402

ACTORS = [f"user{i:02d}" for i in range(20)]
ACTIONS = [
    f"{r}.{v}"
    for r in ("projects", "repos", "sessions", "memory", "status")
    for v in ("create", "update", "delete", "read", "push", "sync")
]
START = datetime(2025, 11, 26, tzinfo=UTC)


async def fill(db: Path, events: int) -> None:
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore
    from coditect_tui.core.models import AuditEventSpec

    store = await SqlStore.open_sqlite(
        db, tenant="bench", principal="bench", provision=Provision("Bench", "internal", "owner")
    )
    rng = random.Random(7)
    step = timedelta(days=365) / events
    for start in range(0, events, 20_000):
        await store.import_audit_events(
            [
                AuditEventSpec(
                    ts=START + step * i,
                    actor=rng.choice(ACTORS),
                    action=rng.choice(ACTIONS),
                    resource_type="repos",
                    resource_id=f"r{rng.randrange(5000)}",
                    details={"n": i},
                    source="bench",
                )
                for i in range(start, min(events, start + 20_000))
            ]
        )
    await store.close()


def raw_ms(db: Path, sql: str, params: tuple[object, ...]) -> float:
    conn = sqlite3.connect(db)
    samples = []
    for _ in range(10):
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        samples.append(time.perf_counter() - started)
    conn.close()
    samples.sort()
    return samples[len(samples) // 2] * 1000


async def measure(db: Path, workspace: Path, work: Path) -> dict[str, float]:
    from coditect_tui.core.models import AuditFilter
    from coditect_tui.core.settings import load_settings
    from coditect_tui.ui.app import CoditectApp
    from coditect_tui.ui.panes.audit import AuditPane
    from coditect_tui.ui.panes.audit_table import AuditTable

    config = work / "config.yaml"
    config.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "bench",
                        "principal": "bench",
                        "backend": {"kind": "local", "path": str(db)},
                        "workspace_roots": [str(workspace)],
                    }
                ]
            }
        )
    )
    settings = load_settings(config).settings
    app = CoditectApp.for_profile(
        settings, settings.profile(), config_path=config, cached_paint=False
    )
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(1200):  # until the tenant is loaded and the start-up work is done
            await pilot.pause(0.05)
            busy = [w for w in app.workers if w.is_running]
            if app.backend is not None and app.dashboard is not None and not busy:
                break
        await pilot.pause(1.0)
        table = app.query_one(AuditTable)
        painted: list[float] = []
        original = table.render_line

        def render_line(y: int) -> object:  # the moment the rows are actually drawn
            strip = original(y)
            if table.event_at(table.scroll_offset.y + y) is not None:
                painted.append(time.perf_counter())
            return strip

        table.render_line = render_line  # type: ignore[method-assign]

        async def until_painted(since: float) -> float:
            while not any(t >= since for t in painted):
                await asyncio.sleep(0.001)
            return (min(t for t in painted if t >= since) - since) * 1000

        started = time.perf_counter()
        app.action_show_tab("audit")  # what the key runs (a key press through Pilot also
        # waits for the tab underline's animation, which is not the pane's work)
        out["first_page_ms"] = await until_painted(started)
        pane = app.query_one(AuditPane)
        for name, flt in (
            (
                "filtered_ms",
                AuditFilter(
                    actor="user07",
                    action="sessions.push",
                    since=START + timedelta(days=100),
                    until=START + timedelta(days=250),
                ),
            ),
            ("text_filter_ms", AuditFilter(text="r4242")),
            (
                "window_filter_ms",
                AuditFilter(since=START + timedelta(days=300), until=START + timedelta(days=301)),
            ),
        ):
            table.reset(total=0, positional=False)
            await pilot.pause()
            started = time.perf_counter()
            pane.apply_filter(flt)
            out[name] = await until_painted(started)
        out["rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: reset at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:  # the app runs in a process of its own (fair RSS)
        print(
            json.dumps(
                asyncio.run(measure(args.dir / "store.db", args.dir / "ws" / "projects", args.dir))
            )
        )
        return
    work = args.dir or Path(tempfile.mkdtemp(prefix="coditect-auditpane-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "store.db"
    if not db.exists():
        print(f"# filling {args.events:,} events ...", flush=True)
        asyncio.run(fill(db, args.events))
    workspace = work / "ws"
    if not (workspace / "expected.json").exists():
        print(f"# building {args.repos} repos ...", flush=True)
        try:
            build_workspace(workspace, args.repos)
        except WorkspaceError as exc:
            sys.exit(f"bench: {exc}")
    with sqlite3.connect(db) as conn:
        tid = conn.execute("SELECT id FROM tenants WHERE name = 'bench'").fetchone()[0]
    anchor_first = raw_ms(
        db, "SELECT * FROM audit_events WHERE tenant_id = ? ORDER BY seq DESC LIMIT 101", (tid,)
    )
    anchor_filtered = raw_ms(
        db,
        "SELECT * FROM audit_events WHERE tenant_id = ? AND actor = ? AND action = ? "
        "AND ts || '' >= ? AND ts || '' < ? ORDER BY seq DESC LIMIT 101",
        (tid, "user07", "sessions.push", "2026-03-06", "2026-08-03"),
    )
    bare = subprocess.run(
        [
            sys.executable,
            "-c",
            "import textual.app, pathlib; print(next("
            "int(l.split()[1]) for l in pathlib.Path('/proc/self/status')"
            ".read_text().splitlines() if l.startswith('VmHWM:')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    anchor_rss = int(bare.stdout) / 1024
    measured = subprocess.run(
        [sys.executable, __file__, "--dir", str(work), "--measure-only"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(measured.stdout.strip().splitlines()[-1])
    print(f"# {args.events:,} events, {args.repos} repos, app headless at 120x40")
    print("# each figure: from the action to the first row of the page drawn by the compositor")
    print(
        f"first page    {out['first_page_ms']:7.1f} ms  (raw sqlite3 page {anchor_first:.1f} "
        f"ms, ratio {out['first_page_ms'] / anchor_first:.0f}; target <= 150 ms)"
    )
    print(
        f"filtered page {out['filtered_ms']:7.1f} ms  (raw sqlite3 page "
        f"{anchor_filtered:.1f} ms, ratio {out['filtered_ms'] / anchor_filtered:.0f}; "
        "target <= 200 ms)"
    )
    print(f"text filter   {out['text_filter_ms']:7.1f} ms  (a substring scan of the log: no index)")
    print(f"1-day window  {out['window_filter_ms']:7.1f} ms")
    print(
        f"rss           {out['rss_mb']:7.1f} MB  (bare python + textual {anchor_rss:.1f} MB, "
        f"ratio {out['rss_mb'] / anchor_rss:.1f}; target <= 150 MB)"
    )


if __name__ == "__main__":
    main()
