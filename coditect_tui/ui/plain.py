"""Untrusted text for Textual widgets that would read a ``str`` as markup.

Textual parses a string as markup in a command palette hit, its help text and
``Matcher.highlight``; repo names, paths and tenant titles must never be (a name such as
``[@click=app.quit]x`` would run an action). These helpers build ``Content`` from plain
text instead; Content passes through Textual's markup reading unchanged.
"""

from __future__ import annotations

from textual.content import Content
from textual.fuzzy import Matcher

from coditect_tui.core.safe_text import safe_text


def highlight_plain(matcher: Matcher, text: str) -> Content:
    """``matcher.highlight(text)`` without reading ``text`` as markup.

    Args:
        matcher: the palette's or switcher's fuzzy matcher.
        text: the candidate, already neutralised (``safe_text``).

    Returns:
        ``text`` as plain Content, the matched letters styled.
    """
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def plain(text: str) -> Content:
    """``text`` neutralised, as Content that is never read as markup.

    For a palette hit's help, typed ``str`` but passed through ``Content.from_markup``,
    which returns a Content unchanged. (``textual.markup.escape`` is not enough: it
    leaves ``[_]`` and backslashes before ``[`` to be read as markup.)

    Args:
        text: untrusted text.

    Returns:
        Plain Content showing ``text`` literally.
    """
    return Content(safe_text(text))
