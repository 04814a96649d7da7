"""Memory text for snippets (one plain line) and previews (one metadata field per line)."""

from __future__ import annotations

from coditect_tui.core.memory.markdown_text import (
    keep_metadata_lines,
    plain_snippet,
    snippet_runs,
)
from coditect_tui.core.memory.search import MATCH_END as E
from coditect_tui.core.memory.search import MATCH_START as S


def test_markdown_syntax_is_reduced_to_its_words_on_one_line() -> None:
    snippet = (
        f"## Phase 2 {S}hooks{E}\n\n**Key** `code` and _em_ *em*\n"
        f"- item\n- [x] done\n1. first\n> quoted\n---\n"
        f"[the {S}link{E}](https://example.com/{S}x{E}) ![alt](i.png)\tend"
    )
    assert plain_snippet(snippet) == (
        f"Phase 2 {S}hooks{E} Key code and em em item done first quoted the {S}link{E} alt end"
    )


def test_words_that_only_look_like_syntax_are_kept() -> None:
    assert plain_snippet("snake_case_name 2*3 a * b C# x-y") == "snake_case_name 2*3 a * b C# x-y"


def test_runs_keep_the_matches_and_drop_empty_runs() -> None:
    assert snippet_runs(f"**{S}Tags{E}:**\n- {S}hooks{E}") == [
        ("Tags", True),
        (": ", False),
        ("hooks", True),
    ]
    assert snippet_runs(f"| a | {S}b{E} |\n|---|---|") == [("a · ", False), ("b", True)]


def test_metadata_lines_get_a_hard_break_outside_code() -> None:
    doc = (
        "# T\n\n**Timestamp:** 1\n**Checkpoint:** 2\n**Repository:** 3\n\n"
        "- **Tags:** a\n```\n**A:** x\n**B:** y\n```\n"
    )
    assert keep_metadata_lines(doc) == (
        "# T\n\n**Timestamp:** 1\\\n**Checkpoint:** 2\\\n**Repository:** 3\n\n"
        "- **Tags:** a\n```\n**A:** x\n**B:** y\n```\n"
    )
