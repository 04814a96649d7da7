#!/usr/bin/env python3
"""Tenant API benchmark (issue [6/6]); run by hand, not in CI.

Usage: python bench/bench_api.py [--duration 6] [--rounds 3] [--skip-startup]
       python bench/bench_api.py --observability-only [--rounds 8]

Anchor: a minimal FastAPI app on uvicorn that returns a fixed 20-item JSON list, loaded
with the same generator (wrk) in the same run. Measured against it:

* the authenticated list endpoint (GET /api/v1/projects?limit=20, API key, 20 projects)
  of ``coditect serve`` on PostgreSQL with row-level security (the app role):
  throughput at 32 connections (target >= 50 % of the anchor's), p95 latency at
  4 connections (target <= 3x the anchor's);
* the same with ``--workers 2`` (target: not slower than 1 worker);
* the same 1-worker server with its JSON access log (to a file) and Prometheus metrics on
  (the default) against a server started with ``--no-access-log --no-metrics``, same
  build, same run (target: on >= 0.95x off, throughput at 32 connections), and the
  server process's CPU time per request, on vs off (from /proc; it holds on a loaded
  machine, where throughput ratios drift). ``--observability-only`` runs just these two.
* the app's start (``coditect --exit-after-paint``) against the remote backend vs the
  local store (target <= 1.3x).

Needs wrk (``apt-get install -y wrk``) and PostgreSQL at 127.0.0.1:5432 (trust auth as
postgres); it creates and drops its own database. Prints one line per figure with its
ratio to the anchor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.pg (database set-up shared with the tests)

from tests.pg import create_database, drop_database, free_port  # noqa: E402

ANCHOR_APP = """
from fastapi import FastAPI

app = FastAPI()
ITEMS = [{"id": f"{i:032x}", "name": f"project-{i:02d}", "kind": "standalone",
          "description": "", "created_by": "bench"} for i in range(20)]


@app.get("/items")
async def items():
    return ITEMS
"""

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %d %d %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


#: how long a server may take to answer its health URL (a loaded 2-core machine is slow)
START_TIMEOUT = 120


def wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {url}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def wrk(
    url: str, connections: int, duration: int, script: Path, headers: dict[str, str]
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p95 ms, errors) of one wrk run."""
    threads = min(2, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", str(script)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\S+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise SystemExit(f"cannot read wrk output:\n{out}")
    rps, p50, p95, _p99, errors = match.groups()
    return float(rps), int(p50) / 1000, int(p95) / 1000, int(errors)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(argv: list[str], env: dict[str, str], health: str, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_healthy(health, proc)
    except BaseException:
        stop(proc)  # not in the caller's list yet: it would outlive the benchmark
        raise
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


async def seed(app_url: str) -> str:
    """A tenant with 20 projects; returns the owner's API key."""
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore
    from coditect_tui.core.models import ProjectSpec

    store = await SqlStore.open_postgres(
        app_url,
        tenant="bench",
        principal="bench",
        provision=Provision("Bench", "internal", "owner"),
    )
    try:
        for i in range(20):
            await store.upsert_project(ProjectSpec(name=f"project-{i:02d}"))
        return (await store.create_api_key()).secret
    finally:
        await store.close()


def startup_times(
    work: Path, env: dict[str, str], server_url: str, key: str, runs: int
) -> tuple[float, float]:
    """Median seconds of ``coditect --exit-after-paint`` on a local vs a remote profile."""
    token = work / "token"
    token.write_text(key)
    token.chmod(0o600)
    local_cfg = work / "local.yaml"
    local_cfg.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "bench",
                        "principal": "bench",
                        "backend": {"kind": "local", "path": str(work / "local.db")},
                    }
                ]
            }
        )
    )
    remote_cfg = work / "remote.yaml"
    remote_cfg.write_text(
        json.dumps(
            {
                "tenants": [
                    {
                        "name": "bench",
                        "principal": "bench",
                        "backend": {"kind": "remote", "url": server_url, "token_file": str(token)},
                    }
                ]
            }
        )
    )
    results = []
    for cfg in (local_cfg, remote_cfg):
        run_env = {**env, "CODITECT_CONFIG": str(cfg)}
        argv = [sys.executable, "-m", "coditect_tui", "--exit-after-paint"]
        subprocess.run(argv, env=run_env, check=True, capture_output=True)  # warm caches
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            subprocess.run(argv, env=run_env, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
        results.append(statistics.median(times))
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds (anchor, 1 worker, 2 workers); medians",
    )
    parser.add_argument("--startup-runs", type=int, default=7)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument(
        "--observability-only",
        action="store_true",
        help="only the access log+metrics on vs off comparison",
    )
    args = parser.parse_args()
    only_obs = args.observability_only
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    work = Path(tempfile.mkdtemp(prefix="coditect-bench-api-"))
    script = work / "report.lua"
    script.write_text(LUA)
    (work / "anchor.py").write_text(ANCHOR_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODITECT_")}
    env.update(
        {
            "XDG_CONFIG_HOME": str(work / "cfg"),
            "XDG_DATA_HOME": str(work / "data"),
            "XDG_CACHE_HOME": str(work / "cache"),
            "XDG_STATE_HOME": str(work / "state"),
        }
    )
    db = asyncio.run(create_database("coditect_bench"))
    servers: list[subprocess.Popen[bytes]] = []
    results: dict[str, list[tuple[float, float, float, int]]] = {}
    #: CPU seconds of the server process per request, per run at 32 connections
    cpu: dict[str, list[float]] = {}
    pids: dict[str, int] = {}
    startup = None
    try:
        key = asyncio.run(seed(db.app_url))
        auth = {"Authorization": f"Bearer {key}"}
        port = free_port()
        targets: dict[str, tuple[str, dict[str, str]]] = {}
        anchor = (
            start(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "anchor:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                {**env, "PYTHONPATH": str(work)},
                f"http://127.0.0.1:{port}/items",
                work / "anchor.log",
            )
            if not only_obs
            else None
        )
        if anchor is not None:
            servers.append(anchor)
            targets["anchor"] = (f"http://127.0.0.1:{port}/items", {})
        plan = [("w1", 1, []), ("w2", 2, []), ("off", 1, ["--no-access-log", "--no-metrics"])]
        for name, workers, flags in [p for p in plan if not only_obs or p[0] != "w2"]:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            servers.append(
                start(
                    [
                        sys.executable,
                        "-m",
                        "coditect_tui",
                        "serve",
                        "--db",
                        db.app_url,
                        "--port",
                        str(port),
                        "--workers",
                        str(workers),
                        *flags,
                    ],
                    env,
                    f"{base}/healthz",
                    work / f"serve-{name}.log",
                )
            )
            pids[name] = servers[-1].pid
            url = f"{base}/api/v1/projects?limit=20"
            check = httpx.get(url, headers=auth).json()
            assert len(check["items"]) == 20, check
            targets[name] = (url, auth)
        for url, headers in targets.values():
            wrk(url, 32, 2, script, headers)  # warm-up
        # Interleaved, so drift on a shared machine hits the anchor and ours alike.
        for _ in range(args.rounds):
            for name, (url, headers) in targets.items():
                before = cpu_seconds(pids[name]) if name in ("w1", "off") else 0.0
                run = wrk(url, 32, args.duration, script, headers)
                results.setdefault(f"{name}@32", []).append(run)
                if name in ("w1", "off"):
                    spent = cpu_seconds(pids[name]) - before
                    cpu.setdefault(name, []).append(spent / (run[0] * args.duration))
                if name in ("anchor", "w1") and not only_obs:
                    results.setdefault(f"{name}@4", []).append(
                        wrk(url, 4, args.duration, script, headers)
                    )
        if not args.skip_startup and not only_obs:
            server_url = targets["w1"][0].split("/api/")[0]
            startup = startup_times(work, env, server_url, key, args.startup_runs)
    finally:
        for server in servers:
            stop(server)
        asyncio.run(drop_database(db))

    def med(name: str, field: int) -> float:
        return statistics.median(r[field] for r in results[name])

    def line(name: str, value: str, ratio: float, target: str, ok: bool) -> None:
        print(
            f"{name:<58} {value:>22}  ratio {ratio:5.2f}  target {target:<8} "
            f"{'PASS' if ok else 'FAIL'}"
        )

    errors = sum(r[3] for rs in results.values() for r in rs)
    print(
        f"# medians of {args.rounds} interleaved rounds of {args.duration} s; "
        f"errors {errors} (non-2xx or socket)"
    )
    if not only_obs:
        print(
            f"# anchor (minimal FastAPI, 20-item list): {med('anchor@32', 0):.0f} req/s at 32 "
            f"conn (p50 {med('anchor@32', 1):.1f} ms), p95 {med('anchor@4', 2):.2f} ms at 4 "
            "conn"
        )
    o32, off32 = med("w1@32", 0), med("off@32", 0)
    on_cpu, off_cpu = statistics.median(cpu["w1"]), statistics.median(cpu["off"])
    line(
        "list endpoint, 1 worker, access log+metrics on vs off @32",
        f"{o32:.0f} vs {off32:.0f} req/s",
        o32 / off32,
        ">= 0.95",
        o32 / off32 >= 0.95,
    )
    line(
        "same, server CPU per request, on vs off (ratio off / on)",
        f"{on_cpu * 1e3:.3f} vs {off_cpu * 1e3:.3f} ms",
        off_cpu / on_cpu,
        ">= 0.95",
        off_cpu / on_cpu >= 0.95,
    )
    if only_obs:
        return
    a32, w32 = med("anchor@32", 0), med("w2@32", 0)
    a95, o95 = med("anchor@4", 2), med("w1@4", 2)
    line(
        "list endpoint, PG+RLS, 1 worker, throughput @32 conn",
        f"{o32:.0f} req/s",
        o32 / a32,
        ">= 0.50",
        o32 / a32 >= 0.5,
    )
    line(
        "list endpoint, PG+RLS, 1 worker, p95 latency @4 conn",
        f"{o95:.2f} ms",
        o95 / a95,
        "<= 3.00",
        o95 / a95 <= 3.0,
    )
    line(
        "list endpoint, PG+RLS, 2 workers vs 1, throughput @32",
        f"{w32:.0f} req/s",
        w32 / o32,
        ">= 1.00",
        w32 >= o32,
    )
    if startup is not None:
        local, remote = startup
        line(
            "app start, remote backend vs local store (median)",
            f"{remote * 1000:.0f} vs {local * 1000:.0f} ms",
            remote / local,
            "<= 1.30",
            remote / local <= 1.3,
        )


if __name__ == "__main__":
    main()
