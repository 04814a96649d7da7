"""A writer process for the concurrency and crash tests.

Usage: python -m tests.store.writer DB PRINCIPAL COUNT
Performs COUNT audited writes (one project each) and prints "ack <name>" after each
commit returns; errors are printed as "error <type> <message>" and the exit code is 1.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.models import ProjectSpec


async def run(db: Path, principal: str, count: int) -> int:
    store = await SqlStore.open_sqlite(
        db, tenant="acme", principal=principal, provision=Provision("Acme", "internal", "owner")
    )
    failures = 0
    try:
        for i in range(count):
            name = f"{principal}-{i:05d}"
            try:
                await store.upsert_project(ProjectSpec(name=name))
            except CoditectError as exc:
                failures += 1
                print(f"error {type(exc).__name__} {exc}", flush=True)
                continue
            print(f"ack {name}", flush=True)
    finally:
        await store.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))))
