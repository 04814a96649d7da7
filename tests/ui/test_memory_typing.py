"""Typing fast into the Memory pane's search box while searches run: no key is lost or
reordered, and the list shows the answer to what the box holds (issue 16 item 5)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList, Static

from coditect_tui.core.memory.search import search_result
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.memory import PAGE, MemoryPane
from tests.support.memory_corpus import generate_corpus
from tests.ui.conftest import opened, settle

AppFactory = Callable[..., CoditectApp]
#: Files of the generated corpus: enough that a search takes measurable time (a prefix
#: of one or two letters matches most of them), few enough to index in seconds.
CORPUS_FILES = 1500
#: Between two keys: input pacing, as a fast typist or a paste-like burst.
KEY_GAP = 0.005

#: 30 keys each: a word typed, deleted and another typed (the issue's trials), then on.
TYPINGS = [
    [*"hooks", *["backspace"] * 5, *"dedup", "space", *"pipeline", "space", *"schem"],
    [
        *"ch",
        "backspace",
        *"heckpoint",
        "space",
        *"tr",
        *["backspace"] * 2,
        *"memory",
        "space",
        *"syx",
        "backspace",
        *"nc",
    ],
]


@pytest.fixture
def big_memory(workspace: Path) -> Path:
    """A generated MEMORY-CONTEXT of every kind as the tenant's only memory."""
    shutil.rmtree(workspace / "service-billing" / "MEMORY-CONTEXT")
    target = workspace / "platform-master" / "MEMORY-CONTEXT"
    generate_corpus(target, CORPUS_FILES, seed=9, avg_bytes=1200)
    return target


async def _indexed(app: CoditectApp, pilot: object) -> None:
    """``opened``, with room for indexing the corpus on a loaded machine first."""
    await settle(app, pilot)
    assert app.session is not None
    await asyncio.wait_for(app.session.opened.wait(), 120)
    await asyncio.wait_for(app.session.memory_ready.wait(), 300)
    await opened(app, pilot)


def _typed(keys: list[str]) -> str:
    text = ""
    for key in keys:
        if key == "backspace":
            text = text[:-1]
        else:
            text += " " if key == "space" else key
    return text


@pytest.mark.parametrize("pause", [MemoryPane.SEARCH_PAUSE, 0.001], ids=["product", "per-key"])
async def test_fast_typing_keeps_every_key_and_shows_the_final_answer(
    make_app: AppFactory, big_memory: Path, pause: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the product's pause, and with almost none (a search starts on every key, and
    the next key cancels it while it runs; Textual's timers cannot be 0)."""
    monkeypatch.setattr(MemoryPane, "SEARCH_PAUSE", pause)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _indexed(app, pilot)  # the corpus is indexed
        app.action_show_tab("memory")
        pane = app.query_one(MemoryPane)
        box = app.query_one("#memory-search", Input)
        await asyncio.wait_for(pane.answered(), 60)
        assert len(pane.entries) == PAGE  # the listing's first page of the corpus
        backend = app.session.backend
        assert backend is not None
        searches: list[str] = []
        search_memory_result = backend.search_memory_result

        async def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            searches.append(query)
            return await search_memory_result(query, *args, **kwargs)

        monkeypatch.setattr(backend, "search_memory_result", counted)
        for keys in TYPINGS:
            assert len(keys) == 30
            await pilot.press("escape", "slash")  # from the results into the box
            assert box.has_focus
            for key in keys:
                await pilot.press(key)
                await asyncio.sleep(KEY_GAP)
            final = _typed(keys)
            assert box.value == final  # every key, in order
            await asyncio.wait_for(pane.answered(), 60)
            assert box.value == final and pane.shown_for == final.strip()
            expected = await search_result(
                backend, final.strip(), pane.current_filter(), limit=PAGE
            )
            assert expected.hits, final  # the corpus answers both
            shown = app.query_one("#memory-list", OptionList)
            ids = [shown.get_option_at_index(i).id for i in range(shown.option_count)]
            assert ids == [h.entry.id for h in expected.hits]
            assert pane.hit_total == (expected.total, expected.total_exact)
            if pause < KEY_GAP:  # searches ran (and were cancelled) while the keys came
                assert len(searches) >= 10, searches
            searches.clear()
            box.value = ""  # back to the listing for the next typing
            await asyncio.wait_for(pane.answered(), 60)
            assert pane.shown_for == "" and len(pane.entries) == PAGE


async def test_indexing_reports_progress_to_the_session_and_the_pane(
    make_app: AppFactory, big_memory: Path, tmp_path: Path
) -> None:
    """A cold index says how far it is (one event a batch, the last one complete, then
    MemoryChanged), and the Memory pane shows it on its status line meanwhile."""
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.tenant.events import MemoryChanged, MemoryIndexing
    from coditect_tui.core.tenant.session import TenantSession

    make_app()  # writes the config of tenant 'acme' (the workspace with the corpus)
    settings = load_settings(tmp_path / "config.yaml").settings
    session = TenantSession(settings.profile("acme"))
    events: list[object] = []
    session.subscribe(events.append)
    try:
        await session.open()
        await asyncio.wait_for(session.memory_ready.wait(), 120)
    finally:
        await session.close()
    progress = [e for e in events if isinstance(e, MemoryIndexing)]
    assert len(progress) >= 2 and progress[-1] == MemoryIndexing(CORPUS_FILES, CORPUS_FILES)
    assert all(e.total == CORPUS_FILES for e in progress)
    assert [e.done for e in progress] == sorted({e.done for e in progress})
    assert any(isinstance(e, MemoryChanged) for e in events[events.index(progress[-1]) :])

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _indexed(app, pilot)  # indexed already: only stats, no progress left over
        app.action_show_tab("memory")
        pane = app.query_one(MemoryPane)
        await asyncio.wait_for(pane.answered(), 60)
        status = app.query_one("#memory-filters", Static)
        assert "indexing" not in str(status.render())
        pane.session_event(MemoryIndexing(640, 10_000))
        assert " entries · indexing 640 of 10,000 files · " in str(status.render())
        pane.session_event(MemoryIndexing(10_000, 10_000))
        assert "indexing" not in str(status.render())
