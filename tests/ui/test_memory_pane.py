"""Pilot and snapshot tests of the Memory pane on the real MEMORY-CONTEXT samples."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input, Markdown, OptionList, Static, TextArea

from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.panes.memory import MemoryPane
from tests.conftest import MEMORY_SAMPLES
from tests.ui.conftest import screen_lines, settle

AppFactory = Callable[..., CoditectApp]
SAMPLES = MEMORY_SAMPLES


@pytest.fixture
def with_memory(workspace: Path) -> Path:
    """The samples as the master project's MEMORY-CONTEXT (writable copies), and the
    tenant's only memory (the demo's own session export is removed)."""
    shutil.rmtree(workspace / "service-billing" / "MEMORY-CONTEXT")
    target = workspace / "platform-master" / "MEMORY-CONTEXT"
    shutil.copytree(SAMPLES, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


async def _indexed(app: CoditectApp, pilot: object, count: int) -> MemoryPane:
    await settle(app, pilot)
    pane = app.query_one(MemoryPane)
    for _ in range(200):
        if len(pane.entries) >= count:
            return pane
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError(f"memory not indexed: {len(pane.entries)} entries")


def _options(app: CoditectApp) -> list[str]:
    options = app.query_one("#memory-list", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_list_search_filter_and_previews(make_app: AppFactory, with_memory: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _indexed(app, pilot, 9)
        assert len(pane.entries) == 9
        assert not app.query_one("#memory-empty", Static).display
        await pilot.press("slash")
        await pilot.press(*"hooks")
        await asyncio.wait_for(pane.answered(), 60)
        await settle(app, pilot)
        lines = _options(app)
        assert len(lines) == 4 and all("«Hooks»" in line or "«hooks»" in line for line in lines)
        await pilot.press("enter")  # opens the best hit
        await settle(app, pilot)
        assert pane.previewing is not None and pane.query(Markdown)
        await pilot.press("escape")
        assert pane.previewing is None
        # kind filter: transcripts only, preview keeps the ⏺/⎿ markers as plain text
        await pilot.press("slash", *["backspace"] * 5, "escape")
        await settle(app, pilot)
        while pane.kind_index != 5:
            await pilot.press("k")
        await settle(app, pilot)
        assert [e.kind for e in pane.entries] == ["transcript"]
        await pilot.press("enter")
        await settle(app, pilot)
        area = pane.query_one(TextArea)
        assert "⎿" in area.text and area.read_only
        await pilot.press("escape")
        while pane.kind_index != 4:
            await pilot.press("k")
        await settle(app, pilot)
        assert [e.kind for e in pane.entries] == ["export-json"]
        await pilot.press("enter")
        await settle(app, pilot)
        shown = " ".join(str(s.render()) for s in pane.query("#memory-preview Static"))
        assert "Objectives" in shown and "Repository" in shown


async def test_bad_query_says_why(make_app: AppFactory, with_memory: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _indexed(app, pilot, 9)
        await pilot.press("slash", *'"unbalanced')
        await asyncio.wait_for(pane.answered(), 60)
        await settle(app, pilot)
        status = str(pane.query_one("#memory-filters", Static).render())
        assert status.startswith("! ") and "quote" in status
        assert app.is_running


async def test_note_is_written_audited_and_indexed(
    make_app: AppFactory, with_memory: Path, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _indexed(app, pilot, 9)
        app.jump_to(str(workspace / "platform-master"))
        await settle(app, pilot)
        app.action_show_tab("memory")
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"release plan", "enter")
        await pilot.pause()
        await pilot.press(*"ship on friday", "enter")
        await settle(app, pilot)
        notes = list((with_memory / "notes").glob("*release-plan*.md"))
        assert len(notes) == 1 and "ship on friday" in notes[0].read_text()
        assert app.session.backend is not None
        events = (await app.session.backend.query_audit(limit=20)).items
        assert any(e.action == "memory.write" for e in events)
        for _ in range(100):
            if len(pane.entries) == 10:
                break
            await pilot.pause(0.05)
        assert any(e.kind == "note" for e in pane.entries)


def test_memory_search_snapshot(
    snap_compare: Callable[..., bool], make_app: AppFactory, with_memory: Path
) -> None:
    app = make_app()

    async def run_before(pilot: object) -> None:
        pane = await _indexed(app, pilot, 9)
        await pilot.press("slash", *"submodule")  # type: ignore[attr-defined]
        await asyncio.wait_for(pane.answered(), 60)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_every_sample_previews_and_project_scope(
    make_app: AppFactory, with_memory: Path, workspace: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await _indexed(app, pilot, 9)
        # the list's kind column: a kind too long for it is cut with an ellipsis (a cut
        # without one read as another kind: "session-te"), the others whole
        app.action_show_tab("memory")
        await settle(app, pilot)
        listed = "\n".join(screen_lines(app))
        assert "session-te…" in listed and "export-pla…" in listed, listed
        assert "export-json " in listed and "transcript " in listed, listed
        assert "session-te " not in listed and "export-pla " not in listed, listed
        kinds = set()
        for entry in list(pane.entries):
            pane.open_preview(entry)
            await settle(app, pilot)
            assert pane.previewing is entry and pane.has_class("previewing")
            shown = pane.query("#memory-preview > *")
            assert len(shown) >= 2, entry.kind  # the header and the body view
            kinds.add(entry.kind)
            await pilot.press("escape")
        assert {
            "checkpoint",
            "session",
            "session-template",
            "export-json",
            "export-placeholder",
            "transcript",
            "audit-log",
            "setup-log",
        } <= kinds
        # scope to the selected repo's project: the samples live in platform-master
        app.jump_to(str(workspace / "service-billing"))
        await settle(app, pilot)
        app.action_show_tab("memory")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert pane.project is not None and pane.entries == []
        await pilot.press("a")
        await settle(app, pilot)
        app.jump_to(str(workspace / "platform-master"))
        await settle(app, pilot)
        app.action_show_tab("memory")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert pane.project is not None and len(pane.entries) == 9


async def test_an_empty_index_says_what_fills_it(make_app: AppFactory, workspace: Path) -> None:
    shutil.rmtree(workspace / "service-billing" / "MEMORY-CONTEXT")  # the demo's only one
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_show_tab("memory")
        await settle(app, pilot)
        pane = app.query_one(MemoryPane)
        hint = app.query_one("#memory-empty", Static)
        assert pane.entries == [] and hint.display
        assert "No memory entries yet" in str(hint.render())
        await pilot.press("k")  # a kind filter
        await settle(app, pilot)
        assert "these filters" in str(hint.render())
        await pilot.press("slash", *"nothing")
        await asyncio.wait_for(pane.answered(), 60)
        await settle(app, pilot)
        assert "Nothing matches" in str(hint.render())


async def _search(app: CoditectApp, pilot: object, words: str) -> list[Text]:
    await pilot.press("slash", *words)  # type: ignore[attr-defined]
    await asyncio.wait_for(app.query_one(MemoryPane).answered(), 60)
    await settle(app, pilot)
    options = app.query_one("#memory-list", OptionList)
    prompts = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
    assert prompts and all(isinstance(p, Text) for p in prompts)
    return prompts  # type: ignore[return-value]


async def test_snippets_are_one_plain_line_with_styled_matches(
    make_app: AppFactory, with_memory: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _indexed(app, pilot, 9)
        for words in ("hooks", "checkpoint", "repository"):
            prompts = await _search(app, pilot, words)
            for prompt in prompts:
                entry, snippet = prompt.plain.split("\n")  # exactly two lines
                assert "^J" not in snippet and "\\n" not in snippet, snippet
                for syntax in ("**", "`", "## ", "- [", "](", "\t", "  -", "  #"):
                    assert syntax not in snippet, (syntax, snippet)
                start = len(entry) + 1
                matched = [
                    prompt.plain[max(span.start, start) : span.end]
                    for span in prompt.spans
                    if span.end > start and "reverse" in str(span.style)
                ]
                # words match by stem ("repository" finds "Repositories")
                assert matched and all(words[:-2] in m.lower() for m in matched), snippet
            app.query_one("#memory-search", Input).value = ""


async def test_preview_keeps_each_metadata_field_on_its_own_line(
    make_app: AppFactory, with_memory: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        pane = await _indexed(app, pilot, 9)
        app.action_show_tab("memory")
        export = next(e for e in pane.entries if e.kind == "session" and "T23-15-36Z" in e.path)
        pane.open_preview(export)
        await settle(app, pilot)
        await pilot.pause(0.2)
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert "Timestamp:" in text and "Checkpoint:" in text and "Repository:" in text
        for line in lines:
            fields = sum(f in line for f in ("Timestamp:", "Checkpoint:", "Repository:"))
            assert fields <= 1, line


async def test_plain_list_says_the_exact_total(make_app: AppFactory, workspace: Path) -> None:
    """More entries than one page (200): the count line names the exact total, not "200+"."""
    from tests.support.memory_corpus import generate_corpus
    from tests.ui.conftest import opened

    shutil.rmtree(workspace / "service-billing" / "MEMORY-CONTEXT")
    generate_corpus(workspace / "platform-master" / "MEMORY-CONTEXT", 230, avg_bytes=200)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(app, pilot)
        app.action_show_tab("memory")
        pane = app.query_one(MemoryPane)
        pane.reload()
        await settle(app, pilot)
        assert len(pane.entries) == 200 and pane.next_cursor is not None
        counts = str(app.query_one("#memory-filters", Static).render())
        assert counts.startswith("200 of 230 entries · all kinds")
        await pilot.press("k")  # one kind: the total follows the filter
        await settle(app, pilot)
        kind = pane.current_filter().kinds
        assert kind is not None and pane.backend is not None
        total = (await pane.backend.count_memory_entries(pane.current_filter())).total
        shown = str(app.query_one("#memory-filters", Static).render())
        assert 0 < total < 200 and shown.startswith(f"{total} entries · {kind[0]}")
