"""Many processes writing one SQLite file: nothing lost, never "database is locked"."""

from __future__ import annotations

import asyncio
import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.store.helpers import make_store, open_store
from tests.store.writer import ACK_BEFORE_COMMIT

PROCESSES = 8
WRITES = 250


def _writer(
    db: Path, principal: str, count: int, *, ack_before_commit: bool = False, stderr: Any = None
) -> subprocess.Popen[str]:
    extra = [ACK_BEFORE_COMMIT] if ack_before_commit else []
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", str(db), principal, str(count), *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr is None else stderr,
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


#: how long a writer may take to start (imports, opening the store) before its first ack
FIRST_ACK_TIMEOUT = 120.0
FIRST_ACK = re.compile(rb"^ack \S+\n", re.MULTILINE)


def _write_until_killed(
    db: Path, principal: str, rng: random.Random, logs: Path, *, ack_before_commit: bool = False
) -> set[str]:
    """Run a writer until a random 0.05-0.8 s after its first acknowledged write (the clock
    starts there, not at spawn, so a slow start under load cannot eat the writing time),
    SIGKILL it and return every name it acknowledged."""
    with (logs / f"{principal}.stderr").open("w") as err:
        proc = _writer(db, principal, 100_000, ack_before_commit=ack_before_commit, stderr=err)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    kill_at: float | None = None
    try:
        give_up = time.monotonic() + FIRST_ACK_TIMEOUT
        while (left := (kill_at or give_up) - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break  # the writer ended on its own: reported below
            data += chunk
            if kill_at is None and FIRST_ACK.search(data):
                kill_at = time.monotonic() + 0.05 + rng.random() * 0.75
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    while chunk := os.read(fd, 65536):
        data += chunk
    proc.stdout.close()
    output = data.decode()
    detail = f"{principal}: exit {proc.returncode}, stdout {output[-500:]!r}, stderr in {err.name}"
    assert kill_at is not None, f"no acknowledged write in {FIRST_ACK_TIMEOUT:.0f} s: {detail}"
    assert proc.returncode == -signal.SIGKILL, f"the writer did not run until killed: {detail}"
    assert "\nerror " not in "\n" + output, detail
    return {
        line.split()[1]
        for line in output.splitlines()
        if line.startswith("ack ") and len(line.split()) == 2
    }


def _lost(db: Path, acknowledged: set[str]) -> set[str]:
    """The acknowledged names missing from ``db`` (whose integrity is checked first)."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {r[0] for r in conn.execute("SELECT name FROM projects")}
    return acknowledged - names


@pytest.mark.slow
def test_kill_9_never_corrupts_or_loses_acknowledged_writes(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    make_store(db, 0)
    rng = random.Random(20261126)
    acknowledged: set[str] = set()
    for round_ in range(20):
        acknowledged |= _write_until_killed(db, f"c{round_}", rng, tmp_path)
        missing = _lost(db, acknowledged)
        assert not missing, f"round {round_}: acknowledged writes lost: {sorted(missing)[:5]}"
    assert len(acknowledged) > 20, "the writers barely wrote; the test proves nothing"
    assert _verify(db)


@pytest.mark.slow
def test_kill_9_check_catches_a_writer_that_acknowledges_too_early(tmp_path: Path) -> None:
    """The check above has teeth: a writer that acknowledges before it commits is caught."""
    db = tmp_path / "crash.db"
    make_store(db, 0)
    rng = random.Random(20261127)
    acknowledged: set[str] = set()
    for round_ in range(10):
        acknowledged |= _write_until_killed(
            db, f"liar{round_}", rng, tmp_path, ack_before_commit=True
        )
        if _lost(db, acknowledged):
            return
    pytest.fail("10 kills of a writer that acknowledges before committing lost nothing")
