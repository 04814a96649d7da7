"""What decides the order of memory search results (docs/memory.md, "Ranking").

Both stores rank by a text score with field weights (a match in the title counts more
than one in a heading, which counts more than one in the body), multiplied by the prior
of the entry's kind (curated checkpoints and summaries above raw dumps and transcripts);
equal scores go newest first. SQLite scores with FTS5's BM25, PostgreSQL with
``ts_rank`` over the same stemmed tokens and the same field weights.
"""

from __future__ import annotations

import re
from typing import TypeVar

from coditect_tui.core.models import SearchHit

T = TypeVar("T", bound=SearchHit)

#: Tag prefix linking a checkpoint with its sessions, exports and transcripts (written by
#: the readers; defined here so the stores' search needs no reader).
CHECKPOINT_TAG = "checkpoint:"

#: BM25 weight of each FTS5 column (title, headings, body).
FIELD_WEIGHTS: tuple[float, float, float] = (8.0, 3.0, 1.0)
#: ``ts_rank`` weights on PostgreSQL, in its order D, C, B, A: body (D), headings (B),
#: title (A), in the same proportions as :data:`FIELD_WEIGHTS`.
PG_RANK_WEIGHTS: tuple[float, float, float, float] = (0.125, 0.125, 0.375, 1.0)

#: How much an entry's kind multiplies its text score (a kind not listed: 1.0).
KIND_PRIOR: dict[str, float] = {
    "checkpoint": 2.0,
    "summary": 2.0,
    "note": 1.8,
    "session": 1.5,
    "session-template": 1.0,
    "other": 0.8,
    "transcript": 0.6,
    "export-json": 0.5,
    "jsonl-dump": 0.4,
    "audit-log": 0.4,
    "setup-log": 0.4,
    "export-placeholder": 0.3,
}

#: Most characters of headings indexed per entry.
MAX_HEADINGS_CHARS = 4000
#: A heading line, matched from the newline before it (the body gets one in front): a
#: literal first character lets the regex engine skip to newlines instead of trying
#: ``^`` at every position.
_HEADING = re.compile(r"\n {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def headings(body: str) -> str:
    """The Markdown headings of a body, one a line (the index's ``headings`` field).

    Args:
        body: the entry's text.

    Returns:
        The text of each ATX heading (``# …`` to ``###### …``), joined by newlines, at
        most :data:`MAX_HEADINGS_CHARS` characters; "" when there is none.
    """
    found: list[str] = []
    size = 0
    for match in _HEADING.finditer("\n" + body):
        text = match.group(1)
        size += len(text) + 1
        if size > MAX_HEADINGS_CHARS:
            break
        found.append(text)
    return "\n".join(found)


def group_sessions(hits: list[T]) -> list[T]:
    """The hits with the files of one checkpoint next to each other.

    A checkpoint's session export, JSON export and transcript carry its
    ``checkpoint:<ISO>`` tag (:mod:`coditect_tui.core.memory.readers`). Each such group
    takes the place of its best-ranked member, followed by its other members in rank
    order; hits without the tag keep their places. Only the page given is reordered.

    Args:
        hits: best first.

    Returns:
        The same hits, grouped.
    """
    groups: dict[str, list[T]] = {}
    order: list[str | T] = []
    for hit in hits:
        tag = next((t for t in hit.entry.tags if t.startswith(CHECKPOINT_TAG)), None)
        if tag is None:
            order.append(hit)
        elif tag in groups:
            groups[tag].append(hit)
        else:
            groups[tag] = [hit]
            order.append(tag)
    grouped: list[T] = []
    for item in order:
        grouped += groups[item] if isinstance(item, str) else [item]
    return grouped
