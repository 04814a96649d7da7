"""After its first paint the app takes its start-up heap out of the collector's full
passes (gc.freeze), which otherwise walk it while the event loop waits: the longest
stalls of a cold memory index (docs/benchmarks.md, "Memory search")."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

from coditect_tui.ui import startup
from coditect_tui.ui.app import CoditectApp
from tests.ui.conftest import settle


async def test_the_start_up_heap_is_frozen_once_the_app_has_painted(
    make_app: Callable[..., CoditectApp],
) -> None:
    gc.unfreeze()
    startup._freeze_start_heap.cache_clear()
    app = make_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert app.session is not None
            await asyncio.wait_for(app.session.opened.wait(), 60)
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
    assert frozen > 10_000  # Textual, the store, the models
