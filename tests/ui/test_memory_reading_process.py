"""The app indexes a large MEMORY-CONTEXT with the reading process (issue 16 item 9):
Textual captures sys.stderr with a stream whose fileno() is -1, which multiprocessing
passed on to the processes it starts ("bad value(s) in fds_to_keep": the app said
"Memory index stopped" and indexed nothing). The process starts, reads, ends with the
run, and leaves no thread or descriptor behind when the app quits."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.core.memory import indexer as indexer_module
from coditect_tui.core.tenant import events as ev
from coditect_tui.ui.app import CoditectApp
from tests.support.memory_corpus import generate_corpus
from tests.ui.conftest import settle

AppFactory = Callable[..., CoditectApp]
FILES = 60


def _descriptors() -> set[str]:
    """The process's open pipes, sockets and shared-memory files (what starting and
    talking to a process opens: multiprocessing's pipes, queues and locks), each with
    what it points at. (The memory watcher's epoll and eventfd descriptors are counted
    by tests/ui/test_tenant_session.py.)"""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(("pipe:", "socket:", "/dev/shm")):
                found.add(f"{fd}:{target}")
    return found


def _threads() -> set[str]:
    """Threads, leaving out two bounded pools no app owns, whose idle threads are reused
    or expire (as tests/ui/test_tenant_session.py counts them): the loop's default
    executor (asyncio.to_thread) and AnyIO's worker threads (watchfiles)."""
    pools = ("asyncio_", "AnyIO worker thread")
    return {f"{t.name}:{t.ident}" for t in threading.enumerate() if not t.name.startswith(pools)}


async def test_the_app_indexes_a_large_run_in_its_reading_process(
    make_app: AppFactory, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.rmtree(workspace / "service-billing" / "MEMORY-CONTEXT")
    target = workspace / "platform-master" / "MEMORY-CONTEXT"
    shutil.rmtree(target, ignore_errors=True)
    generate_corpus(target, FILES, seed=4, avg_bytes=400)
    monkeypatch.setattr(indexer_module, "PROCESS_FILES", FILES)  # this run is "large"
    monkeypatch.setattr(indexer_module, "BATCH", 10)
    reads: list[int] = []
    real_start = indexer_module._start_reader

    def start(pool: Any) -> Any:
        started = real_start(pool)
        assert started is not None
        started.result(60)  # the process is up before the first batch: it reads them all
        reads.append(len(multiprocessing.active_children()))
        return started

    monkeypatch.setattr(indexer_module, "_start_reader", start)

    async def cold_run() -> None:
        notices: list[str] = []
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert app.session is not None
            app.session.subscribe(
                lambda e: notices.append(e.message) if isinstance(e, ev.Notice) else None
            )
            await asyncio.wait_for(app.session.opened.wait(), 120)
            await asyncio.wait_for(app.session.memory_ready.wait(), 120)
            assert app.session.backend is not None
            listed = await app.session.backend.count_memory_entries()
            assert listed.total >= FILES, notices
            assert not [n for n in notices if "Memory index" in n], notices
            assert not multiprocessing.active_children()  # the process ended with the run
        for old in tmp_path.glob("store.db*"):
            old.unlink()  # the next start indexes cold again

    await cold_run()
    # multiprocessing's helper process (and its pipe) is started once and reused: count
    # from the second run on
    threads, fds = _threads(), _descriptors()
    await cold_run()
    assert reads == [1, 1]  # one reading process in each run, up while it ran
    assert _threads() <= threads
    assert _descriptors() <= fds
