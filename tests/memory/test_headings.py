"""The headings field of the index: what counts as a Markdown heading, and its cap."""

from __future__ import annotations

from coditect_tui.core.memory.ranking import MAX_HEADINGS_CHARS, headings


def test_atx_headings_of_every_level_and_nothing_else() -> None:
    body = (
        "# First line\n"
        "text # not a heading\n"
        "## Closed ##\n"
        "   ### Three spaces\n"
        "    #### Four spaces is code\n"
        "#no-space\n"
        "#\n"
        "###### Six\t\n"
        "####### Seven\n"
        "#\tTabbed\n"
        "## Last"
    )
    assert headings(body).split("\n") == [
        "First line",
        "Closed",
        "Three spaces",
        "Six",
        "Tabbed",
        "Last",
    ]
    assert headings("") == "" and headings("no headings\nat all") == ""


def test_headings_stop_at_the_cap() -> None:
    line = "h" * 99  # 100 characters with its newline
    text = headings("\n".join(f"# {line}" for _ in range(100)))
    assert text.count("\n") + 1 == MAX_HEADINGS_CHARS // 100
    assert len(text) < MAX_HEADINGS_CHARS
