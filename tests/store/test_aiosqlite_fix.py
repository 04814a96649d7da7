"""The shutdown hang of aiosqlite 0.22.1 under SQLAlchemy's terminate path
(coditect_store/aiosqlite_fix.py): a graceful close queued behind a busy worker, then a
forced stop. Unguarded, the close waits for ever on a stop queued after the worker thread
ended, and ``asyncio.run`` never returns.

The tests assert the behaviour, not the guard: with a release that fixes it upstream they
pass without it, and with one that still hangs and is not in ``AFFECTED`` they fail."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiosqlite
import pytest

from coditect_store import aiosqlite_fix

pytestmark = pytest.mark.skipif(
    not hasattr(aiosqlite.Connection, "stop"), reason="this aiosqlite has no Connection.stop()"
)


async def _close_after_forced_stop(tmp_path: Path, *, cancel: bool) -> None:
    aiosqlite_fix.install()
    conn = await aiosqlite.connect(tmp_path / "x.db")
    busy = asyncio.ensure_future(conn._execute(time.sleep, 0.3))  # the worker is busy
    await asyncio.sleep(0)
    closing = asyncio.create_task(conn.close())  # queued behind the busy call
    await asyncio.sleep(0.05)
    conn.stop()  # SQLAlchemy's _terminate_force_close
    if cancel:
        closing.cancel()  # asyncio.run's shutdown cancelling what is left
    done, _ = await asyncio.wait([closing], timeout=5)
    if not done:
        closing.cancel()  # unstick it so the test fails instead of hanging
        closing.cancel()
    await busy
    assert done, "close() still waits on a stop that no worker will run"
    assert closing.cancelled() if cancel else closing.exception() is None
    conn._thread.join(timeout=5)
    assert not conn._thread.is_alive()


async def test_a_cancelled_close_after_a_forced_stop_finishes(tmp_path: Path) -> None:
    await _close_after_forced_stop(tmp_path, cancel=True)


async def test_a_close_that_ends_after_a_forced_stop_finishes(tmp_path: Path) -> None:
    await _close_after_forced_stop(tmp_path, cancel=False)


async def test_a_normal_close_still_ends_the_worker(tmp_path: Path) -> None:
    aiosqlite_fix.install()
    aiosqlite_fix.install()  # idempotent
    conn = await aiosqlite.connect(tmp_path / "x.db")
    await conn.execute("create table t (x)")
    await conn.close()
    conn._thread.join(timeout=5)
    assert not conn._thread.is_alive()
    if aiosqlite_fix.applies():  # a second stop queues nothing: the first one's future
        second = conn.stop()
        assert second is None or second.done()


async def test_a_task_cancelled_mid_statement_in_a_write_leaves_no_lock(tmp_path: Path) -> None:
    """A worker cancelled while a SELECT of its write transaction is still pending: the
    connection is closed by SQLAlchemy's terminate path, and the next writer must get the
    write lock at once (unguarded, the closed connection lives on as a zombie holding it,
    and every other writer fails with "database is locked" after the busy timeout)."""
    import sqlite3
    import threading

    from sqlalchemy import event, text

    from coditect_store.engine import make_sqlite_engine

    path = tmp_path / "lock.db"
    engine = make_sqlite_engine(path, read_only=False)
    entered, release = threading.Event(), threading.Event()

    def hold(value: int) -> int:
        entered.set()
        release.wait()
        return value

    @event.listens_for(engine.sync_engine, "connect")
    def _with_hold(dbapi_connection: object, _record: object) -> None:
        async def install(conn: aiosqlite.Connection) -> None:
            await conn.create_function("hold", 1, hold)

        dbapi_connection.run_async(install)  # type: ignore[attr-defined]

    cursors: list[object] = []  # what a traceback kept by a failed worker would still hold

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _keep(_conn: object, cursor: object, *_args: object) -> None:
        cursors.append(cursor)

    async def write() -> None:
        async with engine.connect() as conn:
            await conn.execution_options(coditect_write=True)
            async with conn.begin():
                await conn.execute(text("SELECT hold(1) UNION ALL SELECT 2"))

    try:
        task = asyncio.create_task(write())
        await asyncio.to_thread(entered.wait)  # the SELECT runs on the worker thread
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if still held
            other.execute("ROLLBACK")
        finally:
            other.close()
    finally:
        release.set()
        await engine.dispose()
    assert cursors  # the statement did run through the engine


async def test_a_close_returns_after_its_worker_thread_has_ended(tmp_path: Path) -> None:
    """The worker resolves the close before it leaves its loop; a close that returned
    while the thread lived on showed as a leftover thread in a command's own count."""
    aiosqlite_fix.install()
    for attempt in range(50):
        conn = await aiosqlite.connect(tmp_path / f"{attempt}.db")
        await conn.execute("SELECT 1")
        await conn.close()
        assert not conn._thread.is_alive(), f"worker still running after close {attempt}"
