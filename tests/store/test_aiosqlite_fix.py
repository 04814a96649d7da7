"""The shutdown hang of aiosqlite 0.22 under SQLAlchemy's terminate path
(coditect_store/aiosqlite_fix.py): a graceful close queued behind a busy worker, a forced
stop, then the closing task cancelled. Unguarded, the close waits for ever on a stop queued
after the worker thread ended, and ``asyncio.run`` never returns."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiosqlite

from coditect_store import aiosqlite_fix


async def test_a_cancelled_close_after_a_forced_stop_finishes(tmp_path: Path) -> None:
    aiosqlite_fix.install()
    conn = await aiosqlite.connect(tmp_path / "x.db")
    busy = asyncio.ensure_future(conn._execute(time.sleep, 0.3))  # the worker is busy
    await asyncio.sleep(0)
    closing = asyncio.create_task(conn.close())  # queued behind the busy call
    await asyncio.sleep(0.05)
    conn.stop()  # SQLAlchemy's _terminate_force_close
    closing.cancel()  # asyncio.run's shutdown cancelling what is left
    done, _ = await asyncio.wait([closing], timeout=5)
    if not done:
        closing.cancel()  # unstick it so the test fails instead of hanging
    await busy
    assert done, "close() still waits on a stop that no worker will run"
    assert closing.cancelled()
    conn._thread.join(timeout=5)
    assert not conn._thread.is_alive()


async def test_install_is_idempotent_and_stop_still_stops(tmp_path: Path) -> None:
    aiosqlite_fix.install()
    aiosqlite_fix.install()
    conn = await aiosqlite.connect(tmp_path / "x.db")
    await conn.execute("create table t (x)")
    await conn.close()
    conn._thread.join(timeout=5)
    assert not conn._thread.is_alive()
    assert conn.stop() is None  # a second stop queues nothing
