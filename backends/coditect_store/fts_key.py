"""The key of an entry's row in SQLite's full-text index: its static rank, then its rowid."""

from __future__ import annotations

from datetime import UTC, datetime

#: An entry's FTS5 rowid puts the index in static-rank order, best first: its kind's
#: tier (a higher prior, a higher tier), then the newest day of its time (undated last),
#: then the entry's own rowid in the low bits (the join reads it back). FTS5 walks a
#: match in rowid order for free, so the best matches by static rank come first without
#: scoring every match. Ascending, FTS5's own order: SQLite 3.40's FTS5 returns wrong
#: rows for some NOT and phrase queries read ``ORDER BY rowid DESC``.
#: Frozen: a row's key is recomputed to find it again, so changing a tier needs a
#: migration that re-keys the index (as 0010 does).
KIND_TIER: dict[str, int] = {
    "checkpoint": 9,
    "summary": 9,
    "note": 8,
    "session": 7,
    "session-template": 6,
    "other": 5,
    "transcript": 4,
    "export-json": 3,
    "jsonl-dump": 2,
    "audit-log": 2,
    "setup-log": 2,
    "export-placeholder": 1,
}
_DEFAULT_TIER = 6  # a kind not listed: prior 1.0, as session-template
_TOP_TIER = 15
_ROWID_BITS = 40
_DAY_BITS = 18
_LAST_DAY = (1 << _DAY_BITS) - 1
ROWID_MASK = (1 << _ROWID_BITS) - 1
#: The key shifted right by this is its kind's rank (``rank_of``).
RANK_SHIFT = _ROWID_BITS + _DAY_BITS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rank_of(kind: str) -> int:
    """The rank in the high bits of the key of an entry of ``kind`` (lower is better)."""
    return _TOP_TIER - KIND_TIER.get(kind, _DEFAULT_TIER)


def fts_rowid(kind: str, timestamp: datetime | None, rowid: int) -> int:
    """The FTS5 rowid of an entry (SQLite): its static rank in the high bits, the better
    the smaller (see ``KIND_TIER``).

    Args:
        kind: the entry's kind.
        timestamp: its time (None: undated, last in its tier).
        rowid: its ``memory_entries`` rowid.

    Raises:
        ValueError: ``rowid`` does not fit in the key.
    """
    if rowid > ROWID_MASK:
        raise ValueError(f"memory entry rowid {rowid} is beyond the index's key")
    age = _LAST_DAY  # undated: after every dated entry of its tier
    if timestamp is not None:
        age = _LAST_DAY - min(max((timestamp - _EPOCH).days + 1, 1), _LAST_DAY)
    return (rank_of(kind) << RANK_SHIFT) | (age << _ROWID_BITS) | rowid
