"""Many processes writing one SQLite file: nothing lost, never "database is locked"."""

from __future__ import annotations

import asyncio
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.store.helpers import make_store, open_store

PROCESSES = 8
WRITES = 250


def _writer(db: Path, principal: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", str(db), principal, str(count)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _audit_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]


def _verify(db: Path) -> bool:
    async def run() -> bool:
        store = await open_store(db)
        try:
            return (await store.verify_audit()).ok
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.mark.slow
def test_eight_processes_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    base = make_store(db, 0)
    procs = [_writer(db, f"w{i}", WRITES) for i in range(PROCESSES)]
    outputs = [p.communicate(timeout=600) for p in procs]
    errors = [line for out, _ in outputs for line in out.splitlines() if line.startswith("error")]
    assert not errors, errors[:5]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs][:2]
    acks = [line for out, _ in outputs for line in out.splitlines() if line.startswith("ack")]
    assert len(acks) == PROCESSES * WRITES
    with sqlite3.connect(db) as conn:
        projects = conn.execute("SELECT count(*) FROM projects").fetchone()[0]
    assert projects == PROCESSES * WRITES
    # each writer adds its membership once, then one event per write
    assert _audit_rows(db) == base + PROCESSES + PROCESSES * WRITES
    assert _verify(db)


@pytest.mark.slow
def test_kill_9_never_corrupts_or_loses_acknowledged_writes(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    make_store(db, 0)
    rng = random.Random(20261126)
    acknowledged: set[str] = set()
    for round_ in range(20):
        proc = _writer(db, f"c{round_}", 100_000)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + 0.4 + rng.random() * 0.8
        data = b""
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                data += os.read(fd, 65536)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        while chunk := os.read(fd, 65536):
            data += chunk
        buffer = data.decode()
        acknowledged.update(
            line.split()[1]
            for line in buffer.splitlines()
            if line.startswith("ack ") and len(line.split()) == 2
        )
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            names = {r[0] for r in conn.execute("SELECT name FROM projects")}
        missing = acknowledged - names
        assert not missing, f"round {round_}: acknowledged writes lost: {sorted(missing)[:5]}"
    assert len(acknowledged) > 20, "the writers barely wrote; the test proves nothing"
    assert _verify(db)
