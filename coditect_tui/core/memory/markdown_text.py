"""Memory text shaped for the two places the app shows it.

* :func:`snippet_runs`: a search snippet as one line of plain words: newlines and runs of
  spaces collapsed, Markdown syntax (headings, emphasis, code marks, list markers, links,
  rules, quotes) reduced to its text, the match markers kept as (text, is_match) runs.
* :func:`keep_metadata_lines`: a document for the Markdown preview in which consecutive
  ``**Label:** value`` lines stay one per line (Markdown joins them into one paragraph).

Both return text that is still untrusted: callers neutralise it with ``safe_text``.
"""

from __future__ import annotations

import re

from coditect_tui.core.memory.search import MATCH_END, MATCH_START, snippet_segments

_M = f"{MATCH_START}{MATCH_END}"
# Line-level syntax, removed before the newlines go.
_HEADING = re.compile(rf"^[ \t{_M}]*#{{1,6}}[ \t]+", re.MULTILINE)
_QUOTE = re.compile(rf"^[ \t{_M}]*(>[ \t]?)+", re.MULTILINE)
_LIST = re.compile(rf"^[ \t{_M}]*(?:[-*+]|\d{{1,3}}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t]*\|?([ \t]*:?-{3,}:?[ \t]*\|?)+[ \t]*$", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
# Inline syntax.
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_REF_LINK = re.compile(r"!?\[([^\]\n]*)\]\[[^\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_STRONG = re.compile(r"(\*\*|__)")
_EMPHASIS = re.compile(rf"(?<![\w*])[*_](?=[^\s*_]|[{_M}])|(?<=[^\s*_])[*_](?![\w*])")
_CODE = re.compile(r"`+")
_SPACE = re.compile(r"\s+")


def plain_snippet(snippet: str) -> str:
    """A snippet (match markers kept) as one line of words without Markdown syntax.

    Args:
        snippet: ``SearchHit.snippet``: text with ``MATCH_START``/``MATCH_END`` markers.

    Returns:
        The same markers around the same words, on one line.
    """
    text = _RULE.sub(" ", snippet)
    text = _TABLE_RULE.sub(" ", text)
    text = _TABLE_ROW.sub(lambda m: " · ".join(c.strip() for c in m.group(1).split("|")), text)
    text = _HEADING.sub(lambda m: _markers(m.group(0)), text)
    text = _QUOTE.sub(lambda m: _markers(m.group(0)), text)
    text = _LIST.sub(lambda m: _markers(m.group(0)), text)
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _STRONG.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _CODE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def _markers(removed: str) -> str:
    """The match markers inside removed syntax (a match may begin before a ``#``)."""
    return "".join(char for char in removed if char in _M)


def snippet_runs(snippet: str) -> list[tuple[str, bool]]:
    """A snippet as (text, is_match) runs of one plain line (see :func:`plain_snippet`).

    Args:
        snippet: ``SearchHit.snippet``.

    Returns:
        The runs in order, none of them empty.
    """
    return [(text, matched) for text, matched in snippet_segments(plain_snippet(snippet)) if text]


_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_METADATA = re.compile(r"^[ \t]*\*\*[^*\n]{1,60}(?::\*\*|\*\*:)")


def keep_metadata_lines(markdown: str) -> str:
    """``markdown`` with a hard line break after each ``**Label:** value`` line that another
    line follows in the same paragraph, so a preview shows one field per line.

    Code blocks and list items are left alone (a list keeps its items apart already).

    Args:
        markdown: the document.

    Returns:
        The document, changed only at the end of such lines.
    """
    lines = markdown.split("\n")
    fenced = False
    for index, line in enumerate(lines[:-1]):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        following = lines[index + 1]
        if _METADATA.match(line) and following.strip() and not _FENCE.match(following):
            lines[index] = line.rstrip() + "\\"
    return "\n".join(lines)
