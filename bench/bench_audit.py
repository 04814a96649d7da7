#!/usr/bin/env python3
"""Audit log benchmark (issue [1/6]); run by hand, not in CI.

Usage: python bench/bench_audit.py [--events 1000000] [--batch 10000] [--dir DIR]

Figures, each with its ratio to the anchor measured in the same run:
  append   - events/s through SqlStore.import_audit_events in batches, vs the anchor:
             raw sqlite3 executemany of the same rows plus the same sha256 chain into an
             identical schema (target: >= 50 % of the anchor)
  page     - newest page of 100 via query_audit (target <= 20 ms)
  filtered - a page filtered by actor + action + time range (target <= 50 ms)
  verify   - full chain verification (target <= 5 s)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.audit_chain import (
    GENESIS_HASH,
    canonical_details,
    canonical_event,
    link_hash,
)
from coditect_tui.core.models import AuditEventSpec, AuditFilter, format_ts

ACTORS = [f"user{i:02d}" for i in range(20)]
ACTIONS = [
    f"{r}.{v}"
    for r in ("projects", "repos", "sessions", "memory", "status")
    for v in ("create", "update", "delete", "read", "push", "sync")
]
START = datetime(2025, 11, 26, tzinfo=UTC)


def make_specs(count: int, seed: int = 7) -> list[AuditEventSpec]:
    rng = random.Random(seed)
    step = timedelta(days=365) / count
    return [
        AuditEventSpec(
            ts=START + step * i,
            actor=rng.choice(ACTORS),
            action=rng.choice(ACTIONS),
            resource_type="repos",
            resource_id=f"r{rng.randrange(5000)}",
            details={"n": i, "branch": "main"},
            source="bench",
        )
        for i in range(count)
    ]


def anchor_insert(db: Path, tenant_id: str, specs: list[AuditEventSpec], batch: int) -> float:
    """Raw sqlite3: the same chain computed the same way, executemany in the same batches."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    prev, seq = GENESIS_HASH, 0
    started = time.perf_counter()
    for start in range(0, len(specs), batch):
        rows = []
        for spec in specs[start : start + batch]:
            seq += 1
            ts = format_ts(spec.ts)
            details = canonical_details(spec.details)
            digest = link_hash(
                prev,
                canonical_event(
                    tenant_id,
                    seq,
                    ts,
                    spec.actor,
                    "imported",
                    spec.action,
                    spec.resource_type,
                    spec.resource_id,
                    "ok",
                    details,
                    spec.source,
                ),
            )
            rows.append(
                (
                    tenant_id,
                    seq,
                    ts,
                    spec.actor,
                    "imported",
                    spec.action,
                    spec.resource_type,
                    spec.resource_id,
                    "ok",
                    details,
                    spec.source,
                    None,
                    prev,
                    digest,
                )
            )
            prev = digest
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO audit_events (tenant_id, seq, ts, actor, role, action, "
            "resource_type, resource_id, outcome, details, source, import_key, "
            "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def timed(coro_factory, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await coro_factory()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="coditect-bench-"))
    specs = make_specs(args.events)
    print(f"# {args.events} events, batches of {args.batch}, in {work}")

    anchor_db = work / "anchor.db"
    store = await SqlStore.open_sqlite(
        anchor_db,
        tenant="anchor",
        principal="bench",
        provision=Provision("Anchor", "internal", "owner"),
    )
    anchor_tenant = (await store.get_tenant()).id
    await store.close()
    anchor_s = anchor_insert(anchor_db, anchor_tenant + "-raw", specs, args.batch)
    anchor_rate = args.events / anchor_s

    db = work / "store.db"
    store = await SqlStore.open_sqlite(
        db, tenant="acme", principal="bench", provision=Provision("Acme", "internal", "owner")
    )
    started = time.perf_counter()
    for start in range(0, len(specs), args.batch):
        await store.import_audit_events(specs[start : start + args.batch])
    store_s = time.perf_counter() - started
    rate = args.events / store_s
    print(
        f"append   store {rate:10,.0f} ev/s  anchor {anchor_rate:10,.0f} ev/s  "
        f"ratio {rate / anchor_rate:.2f} (target >= 0.50)"
    )

    page = await timed(lambda: store.query_audit(limit=100), 20)
    anchor_page = await timed(lambda: _raw_page(anchor_db), 20)
    print(
        f"page     {page * 1000:8.2f} ms  (raw sqlite3 same query {anchor_page * 1000:.2f} ms, "
        f"ratio {page / anchor_page:.1f}; target <= 20 ms)"
    )

    flt = AuditFilter(
        actor="user07",
        action="sessions.push",
        since=START + timedelta(days=100),
        until=START + timedelta(days=250),
    )
    filtered = await timed(lambda: store.query_audit(flt, limit=100), 20)
    first = await store.query_audit(flt, limit=100)
    print(
        f"filtered {filtered * 1000:8.2f} ms  ({len(first.items)} rows on the page; "
        f"target <= 50 ms)"
    )

    started = time.perf_counter()
    report = await store.verify_audit()
    verify_s = time.perf_counter() - started
    anchor_verify = _raw_verify_floor(db, (await store.get_tenant()).id)
    print(
        f"verify   {verify_s:8.2f} s   ok={report.ok} rows={report.rows} "
        f"(raw fetch + sha256 floor {anchor_verify:.2f} s, ratio "
        f"{verify_s / anchor_verify:.2f}; target <= 5 s)"
    )
    await store.close()


async def _raw_page(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "SELECT * FROM audit_events ORDER BY tenant_id DESC, seq DESC LIMIT 101"
    ).fetchall()
    conn.close()


def _raw_verify_floor(db: Path, tenant_id: str) -> float:
    """Fetch every row with plain sqlite3 and hash it: the least a verifier must do."""
    import hashlib

    conn = sqlite3.connect(db)
    started = time.perf_counter()
    for row in conn.execute(
        "SELECT prev_hash, details FROM audit_events WHERE tenant_id = ? ORDER BY seq", (tenant_id,)
    ):
        hashlib.sha256(row[0].encode() + row[1].encode()).hexdigest()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


if __name__ == "__main__":
    asyncio.run(main())
