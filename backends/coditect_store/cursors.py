"""Opaque keyset-pagination cursors: a list tagged with the list it belongs to."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from coditect_tui.core.errors import InvalidInput

MAX_LIMIT = 1000


def encode(kind: str, values: list[Any]) -> str:
    """A cursor for the list ``kind`` continuing after ``values`` (the last row's sort key)."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, *values])).decode().rstrip("=")


def decode(kind: str, cursor: str | None, arity: int) -> list[Any] | None:
    """The sort key inside ``cursor``, or None for the first page.

    Raises:
        InvalidInput: not a cursor of this list.
    """
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidInput("invalid cursor") from None
    if not isinstance(data, list) or len(data) != arity + 1 or data[0] != kind:
        raise InvalidInput(f"invalid cursor for {kind}")
    return data[1:]


def clamp(limit: int) -> int:
    """``limit`` kept within 1..MAX_LIMIT."""
    return max(1, min(int(limit), MAX_LIMIT))
