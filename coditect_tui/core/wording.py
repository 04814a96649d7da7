"""Words built from counts and git facts, the same everywhere a user reads them.

``plural(1, "entry")`` is "1 entry", ``plural(2, "entry")`` "2 entries": every count shown
with a noun goes through it (no ``f"{n} entries"`` that reads "1 entries"). ``head_label``
names what HEAD is on as ``git status`` does ("HEAD detached at 1a2b3c4").
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

#: Nouns whose plural is not the noun plus "s" or "es".
_IRREGULAR = {"entry": "entries", "was": "were", "is": "are", "has": "have", "this": "these"}


def plural_of(noun: str) -> str:
    """The plural of an English noun of the app's vocabulary.

    Args:
        noun: the singular ("entry", "commit", "match").

    Returns:
        The plural ("entries", "commits", "matches").
    """
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return noun[:-1] + "ies"
    return noun + "s"


def plural(count: int, noun: str, plural_form: str | None = None, *, grouped: bool = False) -> str:
    """``count`` and the noun in the number it needs ("1 entry", "0 entries", "3 hits").

    Args:
        count: how many.
        noun: the singular.
        plural_form: the plural when :func:`plural_of` does not know it.
        grouped: write the count with thousands separators ("1,234").

    Returns:
        The count, a space and the noun.
    """
    word = noun if count == 1 else (plural_form or plural_of(noun))
    return f"{count:,} {word}" if grouped else f"{count} {word}"


class _Head(Protocol):
    branch: str | None
    detached: bool
    head_oid: str | None
    unborn: bool


def head_label(status: _Head) -> str:
    """What HEAD is on, in ``git status`` words.

    Args:
        status: a repo's status (``branch``, ``detached``, ``head_oid``, ``unborn``).

    Returns:
        The branch name (untrusted: pass it through ``safe_text``), "HEAD detached at
        <short sha>", or "no branch".
    """
    if status.detached:
        sha = (status.head_oid or "")[:7]
        return f"HEAD detached at {sha}" if sha else "HEAD detached"
    return status.branch or "no branch"


def byte_size(count: int) -> str:
    """``count`` bytes for people: "812 B", "4.2 KiB", "1.5 MiB", "2.0 GiB"."""
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def time_left(expires_at: datetime, now: datetime) -> str:
    """What remains of a grant, in its two largest units: ``3d 4h``, ``4h 10m``, ``10m``,
    ``<1m``; ``expired`` once it has ended."""
    seconds = int((expires_at - now).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else "<1m"
