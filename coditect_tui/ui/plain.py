"""Untrusted text for Textual widgets that would read a ``str`` as markup.

Textual parses a string as markup in a command palette hit, its help text and
``Matcher.highlight``; repo names, paths and tenant titles must never be (a name such as
``[@click=app.quit]x`` would run an action). These helpers build ``Content`` from plain
text instead.
"""

from __future__ import annotations

from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape

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


def escaped(text: str) -> str:
    """``text`` neutralised and escaped, for a ``str`` that Textual reads as markup.

    Args:
        text: untrusted text.

    Returns:
        Markup that shows ``text`` literally.
    """
    return escape(safe_text(text))
