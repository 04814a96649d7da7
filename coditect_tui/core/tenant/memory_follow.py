"""Keep a tenant's memory index live: index its MEMORY-CONTEXT folders, re-index what
changes, and pick up a MEMORY-CONTEXT folder created while the app runs.

New folders are noticed directly below a workspace root or a project folder (where the
CODITECT scripts create them); each such place is watched without recursion, so the cost
is one watch per place, not one per folder of every repo.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.git.watch import end_watches
from coditect_tui.core.tenant.events import MemoryIndexing, Notice

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.tenant.session import TenantSession


def _places(session: TenantSession) -> list[Path]:
    """Workspace roots and project folders: where a new MEMORY-CONTEXT folder may appear."""
    places = list(session.profile.roots())
    if session.view is not None:
        places += [Path(p.path) for p in session.view.projects]
    return [p for p in dict.fromkeys(places) if p.is_dir()]


async def _new_folder(places: list[Path], stop: asyncio.Event, ready: asyncio.Event) -> bool:
    """Wait until a MEMORY-CONTEXT folder appears directly in one of ``places``.

    Returns:
        True when one appeared, False when ``stop`` was set first.
    """
    from watchfiles import Change, awatch

    from coditect_tui.core.git.watch import WatchGate
    from coditect_tui.core.memory.roots import MEMORY_DIR

    if not places:
        ready.set()
        await stop.wait()
        return False

    def wanted(change: Change, path: str) -> bool:
        return change == Change.added and Path(path).name == MEMORY_DIR

    gate = WatchGate(ready.set, stop)
    async for _changes in awatch(
        *(str(p) for p in places),
        watch_filter=wanted,
        debounce=200,
        step=50,
        stop_event=gate,
        recursive=False,
    ):
        return True
    return False


async def follow_memory(
    session: TenantSession,
    backend: Backend,
    changed: Callable[[], None],
    ready: asyncio.Event,
) -> None:
    """Index, then keep indexing, until cancelled. Errors end it with a Notice.

    Args:
        session: the owning session (its roots, projects and notices).
        backend: where entries are written.
        changed: called whenever the index changed.
        ready: set once the folders and the places new ones appear are watched.
    """
    from coditect_tui.core.memory.indexer import MemoryIndexer
    from coditect_tui.core.memory.roots import discover_roots

    try:
        while True:
            places = _places(session)
            paths = list(session.profile.roots()) + places
            named = session.profile.memory_folder_paths()
            restart = asyncio.Event()
            index_ready = asyncio.Event()
            watch_task: asyncio.Task[None] | None = None
            if await asyncio.to_thread(discover_roots, paths, designated=named):
                indexer = await MemoryIndexer.for_paths(backend, paths, designated=named)
                report = await indexer.index(
                    progress=lambda done, total: session.emit(MemoryIndexing(done, total))
                )
                if report.changed:
                    changed()

                async def consume(
                    indexer: MemoryIndexer = indexer,
                    stop: asyncio.Event = restart,
                    watching: asyncio.Event = index_ready,
                ) -> None:
                    async for _report in indexer.watch(stop_event=stop, ready=watching):
                        changed()

                watch_task = asyncio.create_task(consume())
            else:
                index_ready.set()
            folder_ready = asyncio.Event()
            waiter = asyncio.create_task(_new_folder(places, restart, folder_ready))
            try:
                await index_ready.wait()
                await folder_ready.wait()
                ready.set()
                appeared = await waiter
            finally:
                restart.set()  # the stop event of both watches: they end by themselves
                await end_watches([t for t in (waiter, watch_task) if t is not None])
            if not appeared:
                return
            ready.clear()
    except asyncio.CancelledError:
        raise
    except CoditectError as exc:
        session.emit(Notice(f"Memory index: {exc}", "warning"))
    except Exception as exc:  # indexing must never take the app down
        session.emit(Notice(f"Memory index stopped: {exc}", "warning"))
    finally:
        ready.set()
