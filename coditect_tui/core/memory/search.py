"""Searching the memory index with the user query syntax, and reading its snippets.

The store passes its query straight to FTS5 today, so callers translate first with
:func:`search`; the translation is idempotent, so this keeps working unchanged once the
backends translate the query themselves.
"""

from __future__ import annotations

from coditect_tui.core.backend import Backend
from coditect_tui.core.memory.query import to_fts5
from coditect_tui.core.memory.snippet import MATCH_END, MATCH_START
from coditect_tui.core.models import MemoryFilter, MemorySearchResult, SearchHit
from coditect_tui.core.wording import plural_of

__all__ = ["MATCH_END", "MATCH_START", "count_text", "search", "search_result"]


async def search(
    backend: Backend, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
) -> list[SearchHit]:
    """Full-text search with the user query syntax (:mod:`coditect_tui.core.memory.query`).

    Args:
        backend: the open backend.
        query: what the user typed.
        filter: kinds, project and time window.
        limit: most hits (1..1000).

    Returns:
        Hits, best first, with highlighted snippets.

    Raises:
        InvalidInput: the query is malformed (the message says what to fix).
    """
    return await backend.search_memory(to_fts5(query), filter, limit=limit)


async def search_result(
    backend: Backend, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
) -> MemorySearchResult:
    """:func:`search` with the total number of hits (``Backend.search_memory_result``).

    Raises:
        InvalidInput: the query is malformed (the message says what to fix).
    """
    return await backend.search_memory_result(to_fts5(query), filter, limit=limit)


def count_text(shown: int, total: int, *, exact: bool = True, noun: str = "hit") -> str:
    """How many hits a search (or entries a list) has, as a person reads it.

    Args:
        shown: hits listed.
        total: hits in all (``MemorySearchResult.total``, ``MemoryCount.total``).
        exact: False when ``total`` is only a lower bound (counting was cut short).
        noun: what is counted, singular ("hit", "entry").

    Returns:
        ``"1 hit"``, ``"12 hits"``, ``"200 of 1,613 hits"``, or ``"200 of at least
        500 hits (counting stopped early)"``; with ``noun="entry"``, ``"200 of 1,613
        entries"``.
    """
    noun = noun if total == 1 and exact else plural_of(noun)
    amount = f"{total:,}" if exact else f"at least {total:,}"
    suffix = "" if exact else " (counting stopped early)"
    if shown < total or not exact:
        return f"{shown:,} of {amount} {noun}{suffix}"
    return f"{amount} {noun}"


def snippet_segments(snippet: str) -> list[tuple[str, bool]]:
    """Split a snippet into (text, is_match) runs, dropping the markers.

    Args:
        snippet: ``SearchHit.snippet``.

    Returns:
        The runs in order; adjacent runs alternate between plain and matched text.
    """
    segments: list[tuple[str, bool]] = []
    matched = False
    current: list[str] = []
    for char in snippet:
        if char in (MATCH_START, MATCH_END):
            if current:
                segments.append(("".join(current), matched))
                current = []
            matched = char == MATCH_START
        else:
            current.append(char)
    if current:
        segments.append(("".join(current), matched))
    return segments
