"""A writer process for the concurrency and crash tests.

Usage: python -m tests.store.writer DB PRINCIPAL COUNT [--ack-before-commit]
Performs COUNT audited writes (one project each) and prints "ack <name>" after each
commit returns; errors are printed as "error <type> <message>" and the exit code is 1.

``--ack-before-commit`` makes a deliberately broken writer that acknowledges each write
before committing it: the crash test uses it to prove it catches a lost acknowledged write.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.models import ProjectSpec

ACK_BEFORE_COMMIT = "--ack-before-commit"


async def run(db: Path, principal: str, count: int, *, ack_before_commit: bool = False) -> int:
    store = await SqlStore.open_sqlite(
        db, tenant="acme", principal=principal, provision=Provision("Acme", "internal", "owner")
    )
    failures = 0
    try:
        for i in range(count):
            name = f"{principal}-{i:05d}"
            if ack_before_commit:
                print(f"ack {name}", flush=True)
            try:
                await store.upsert_project(ProjectSpec(name=name))
            except CoditectError as exc:
                failures += 1
                print(f"error {type(exc).__name__} {exc}", flush=True)
                continue
            if not ack_before_commit:
                print(f"ack {name}", flush=True)
    finally:
        await store.close()
    return 1 if failures else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != ACK_BEFORE_COMMIT]
    lie = ACK_BEFORE_COMMIT in sys.argv[1:]
    sys.exit(asyncio.run(run(Path(args[0]), args[1], int(args[2]), ack_before_commit=lie)))
