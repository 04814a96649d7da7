"""Which time an entry gets: its file name's or its body's (docs/memory.md, "Time").

A name's time is taken as UTC only when the name says so (``Z``, ``UTC``) and its writer
is not known to put local time before the ``Z`` (CODITECT's ``session_export.py`` does).
Otherwise a zoned timestamp in the body (a session export's ``**Timestamp:**``, an export's
``metadata.timestamp``, a JSONL dump's ``first_seen``) wins. The name's clock time, read
as local time, should then be the body's UTC time in some time zone (an offset between
UTC−12 and UTC+14 in steps of 15 minutes, to within :data:`TOLERANCE`); when it is not,
the note starts with :data:`TIME_DISAGREES` and the entry is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coditect_tui.core.memory.names import NOTE_Z_LOCAL, NameInfo

#: How a note that flags a disagreement between name and body starts.
TIME_DISAGREES = "name and body disagree"
#: How far the name's local time may be from the body's UTC time plus a whole zone offset.
TOLERANCE = timedelta(seconds=90)
#: Zone offsets are whole multiples of this.
ZONE_STEP = timedelta(minutes=15)
_WEST = timedelta(hours=-12)
_EAST = timedelta(hours=14)

_STAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2})[-:](?P<m>\d{2})[-:](?P<s>\d{2})"
    r"(?:\.(?P<f>\d{1,6})\d*)?\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})"
)


def parse_zoned(text: str | None) -> datetime | None:
    """A timestamp that states its zone, from a body field.

    Args:
        text: e.g. ``2025-11-22T04:15:36Z``, ``2025-11-22T04-15-36Z`` (CODITECT's
            checkpoint form) or ``2025-11-18T07:32:13.004704+00:00``; surrounding text and
            backticks are allowed.

    Returns:
        The moment in UTC, or None when the text holds no zoned timestamp or an
        impossible date.
    """
    if not text:
        return None
    match = _STAMP.search(text[:200])
    if match is None:
        return None
    zone = match["zone"]
    if zone in ("Z", "UTC"):
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        y, mo, d = (int(part) for part in match["date"].split("-"))
        micro = int((match["f"] or "0").ljust(6, "0"))
        moment = datetime(y, mo, d, int(match["h"]), int(match["m"]), int(match["s"]), micro)
        return (moment - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class EntryTime:
    """The time an entry is given.

    Attributes:
        timestamp: UTC when known to be; otherwise the name's clock time labelled UTC.
        note: what is uncertain or was decided (None when the name is plain UTC).
        disagrees: name and body cannot both be right (the note says so).
    """

    timestamp: datetime | None
    note: str | None
    disagrees: bool = False


def disagrees(note: str | None) -> bool:
    """Whether an entry's ``timestamp_note`` flags a disagreement of name and body.

    Args:
        note: ``MemoryEntry.timestamp_note``.

    Returns:
        True when it starts with :data:`TIME_DISAGREES`.
    """
    return note is not None and note.startswith(TIME_DISAGREES)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _zone_of(local: datetime, utc: datetime) -> timedelta | None:
    delta = local - utc
    steps = round(delta / ZONE_STEP)
    offset = steps * ZONE_STEP
    if abs(delta - offset) > TOLERANCE or not _WEST <= offset <= _EAST:
        return None
    return offset


def resolve_time(info: NameInfo, body: datetime | None, label: str) -> EntryTime:
    """The time of an entry from its parsed name and the zoned time in its body.

    Args:
        info: the parsed file name (its note says when a ``Z`` is local time).
        body: the body's own zoned timestamp in UTC, or None.
        label: what that body timestamp is called in the file (for the note).

    Returns:
        The name's time when the name says UTC (or there is no body time); otherwise
        the body's, with a note naming the name's zone, or flagging that no zone makes
        the two agree.
    """
    trusted = info.says_utc and info.note != NOTE_Z_LOCAL and info.timestamp is not None
    if trusted or body is None:
        return EntryTime(info.timestamp, info.note)
    used = f"the time is the body's {label}, {_utc(body)}"
    if info.timestamp is None:
        return EntryTime(body, f"the name holds no usable time; {used}")
    raw = info.raw or ""
    if info.precision == "day":
        if abs((info.timestamp.date() - body.date()).days) <= 1:
            return EntryTime(body, f"the name's {raw} is a local date; {used}")
    else:
        zone = _zone_of(info.timestamp.replace(tzinfo=None), body.replace(tzinfo=None))
        if zone is not None:
            return EntryTime(body, f"the name's {raw} is local time ({_offset(zone)}); {used}")
    note = (
        f"{TIME_DISAGREES}: the name's {raw} read as local time is not the body's "
        f"{label} {_utc(body)} in any time zone; the body's time is used"
    )
    return EntryTime(body, note, disagrees=True)
