"""File-name parsing for MEMORY-CONTEXT files: timestamps and descriptions.

CODITECT names its files after the moment they were written and a description with spaces
turned into ``-``:

* ``2025-11-22T04-15-36Z-Phase-0.5-Hooks-....md`` (checkpoints, transcripts, exports,
  audit logs): ISO date-time, ``-`` instead of ``:`` and a ``Z``;
* ``2025-11-16T1523-RESTORE-CONTEXT.txt``, ``2025-11-16T1930UTC-….txt``: compact time of
  day, with or without a zone (``Z``, ``UTC``, ``-UTC``, ``_UTC``);
* ``20250928T035716-….txt``: ISO 8601 basic format, with or without a zone;
* ``2025-11-22-Phase-0.5-....md`` (session templates, older exports): a date only;
* ``SESSION-20251115-145715.json`` (set-up logs): compact local date-time, no zone;
* ``SESSION-SUMMARY-2025-11-15.md`` (older summaries): the date at the end.

The value is always kept exactly as written (``raw``); the datetime is the clock time as
written, labelled UTC, and ``utc`` says whether the name itself says UTC (``Z`` or
``UTC``). Anything uncertain is said in ``note`` rather than "corrected" by inventing a
time zone. In particular ``session_export.py`` names its files with
``datetime.now().strftime('%Y-%m-%dT%H-%M-%SZ')``: local time with a ``Z``. The reader
(not this module) decides when that applies, and passes ``z_is_local``; which time an
entry finally gets (the name's or its body's) is decided in
:mod:`coditect_tui.core.memory.timing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Precision = Literal["second", "minute", "day"]

#: Prefix of files copied out of a folder with their path flattened, dropped before parsing:
#: ``MEMORY-CONTEXT-<folder path with '-'>--`` (``MEMORY-CONTEXT-exports--``,
#: ``MEMORY-CONTEXT-test-dataset-exports--``).
_FLATTENED = re.compile(r"^MEMORY-CONTEXT-.*?--(?=\d{4})")

NOTE_Z_LOCAL = (
    "local time of the machine that wrote it, labelled 'Z' by CODITECT's "
    "session_export.py; shown as written, the real UTC offset is unknown"
)
NOTE_NO_ZONE = (
    "no time zone in the name (local time of the machine that wrote it); shown as written"
)
NOTE_DATE_ONLY = "date only: the name has no time of day"
NOTE_INSIDE = "date found inside the name, not at its start"
NOTE_INVALID = "the name looks dated but the date is not a real calendar date"

#: A zone the name states: ``Z`` or ``UTC`` (also ``-UTC``, ``_UTC``, any case), as a
#: word of its own (``…36Zebra`` states none).
_ZONE = r"(?:(?P<z>Z|[-_]?(?i:utc))(?![A-Za-z0-9]))?"
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2})[-:](?P<m>\d{2})[-:](?P<s>\d{2})"
    r"(?:\.\d+)?" + _ZONE
)
_ISO_COMPACT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})?" + _ZONE
)
#: ISO 8601 basic format: ``20250928T035716`` (with an optional zone).
_ISO_BASIC = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})T(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})" + _ZONE
)
_COMPACT = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})-(?P<h>\d{2})(?P<m>\d{2})"
    r"(?P<s>\d{2})"
)
_DATE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})")
_SEP = re.compile(r"^[-_. ]+")
_ANYWHERE = re.compile(r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{8}-\d{6})(?!\d)")


@dataclass(frozen=True, slots=True)
class NameInfo:
    """What a file name says about its file.

    Attributes:
        raw: the timestamp text exactly as it appears in the name, or None.
        timestamp: the clock time as written, labelled UTC (see ``note``), or None.
        note: what is uncertain about ``timestamp`` (None when the name is plain UTC).
        description: the rest of the stem (without timestamp and separators).
        precision: how precise the timestamp is.
        pattern: which naming scheme matched ("iso", "iso-compact", "iso-basic",
            "compact", "date", "inside" or "none").
        zone: the zone the name states, as written (``Z``, ``UTC``, ``-UTC``, ``_UTC``),
            or None when it states none.
    """

    raw: str | None
    timestamp: datetime | None
    note: str | None
    description: str
    precision: Precision | None
    pattern: str
    zone: str | None = None

    @property
    def says_utc(self) -> bool:
        """Whether the name states UTC (``Z`` or ``UTC``), whoever wrote it."""
        return self.zone is not None


def _moment(date: str, h: str = "0", m: str = "0", s: str | None = "0") -> datetime | None:
    try:
        y, mo, d = (int(part) for part in date.split("-"))
        return datetime(y, mo, d, int(h), int(m), int(s or 0), tzinfo=UTC)
    except ValueError:
        return None


def _strip_stem(name: str) -> str:
    stem = name
    for suffix in (".md", ".txt", ".json", ".jsonl", ".log"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return _FLATTENED.sub("", stem, count=1)


def parse_name(name: str, *, z_is_local: bool = False) -> NameInfo:
    """Parse the timestamp and description out of a MEMORY-CONTEXT file name.

    Args:
        name: the file name (not a path); any characters, ``: & , + ( ) %`` included.
        z_is_local: the writer of this kind of file put local time before the ``Z``
            (session exports); the note then says so.

    Returns:
        The parsed name; ``timestamp`` is None when the name holds no usable date.
    """
    stem = _strip_stem(name)
    for pattern, regex in (("iso", _ISO), ("iso-compact", _ISO_COMPACT), ("iso-basic", _ISO_BASIC)):
        match = regex.match(stem)
        if match:
            found = match.groupdict()
            day = found.get("date") or f"{found['y']}-{found['mo']}-{found['d']}"
            moment = _moment(day, match["h"], match["m"], match["s"])
            rest = _SEP.sub("", stem[match.end() :])
            zone = match["z"] or None
            if moment is None:
                return NameInfo(match.group(0), None, NOTE_INVALID, rest, None, pattern, zone)
            note = None
            if not zone:
                note = NOTE_NO_ZONE
            elif z_is_local and zone == "Z":
                note = NOTE_Z_LOCAL
            precision: Precision = "second" if match["s"] else "minute"
            return NameInfo(match.group(0), moment, note, rest, precision, pattern, zone)
    session = re.match(r"SESSION-(?=\d{8}-\d{6})", stem)
    compact = _COMPACT.match(stem, session.end() if session else 0)
    if compact:
        moment = _moment(
            f"{compact['y']}-{compact['mo']}-{compact['d']}",
            compact["h"],
            compact["m"],
            compact["s"],
        )
        rest = _SEP.sub("", stem[compact.end() :])
        return NameInfo(
            compact.group(0),
            moment,
            NOTE_NO_ZONE if moment else NOTE_INVALID,
            rest,
            "second" if moment else None,
            "compact",
        )
    date = _DATE.match(stem)
    if date:
        moment = _moment(date["date"])
        rest = _SEP.sub("", stem[date.end() :])
        return NameInfo(
            date.group(0),
            moment,
            NOTE_DATE_ONLY if moment else NOTE_INVALID,
            rest,
            "day" if moment else None,
            "date",
        )
    inside = _ANYWHERE.search(stem)
    if inside:
        text = inside.group(0)
        if "-" in text[:5]:
            moment = _moment(text)
            precision_inside: Precision = "day"
            note = NOTE_INSIDE + "; " + NOTE_DATE_ONLY
        else:
            parts = _COMPACT.match(text)
            assert parts is not None
            moment = _moment(
                f"{parts['y']}-{parts['mo']}-{parts['d']}", parts["h"], parts["m"], parts["s"]
            )
            precision_inside = "second"
            note = NOTE_INSIDE + "; " + NOTE_NO_ZONE
        rest = (stem[: inside.start()] + stem[inside.end() :]).strip("-_. ")
        if moment is None:
            return NameInfo(text, None, NOTE_INVALID, rest, None, "inside")
        return NameInfo(text, moment, note, rest, precision_inside, "inside")
    return NameInfo(None, None, None, stem, None, "none")


def description_title(description: str) -> str:
    """A readable title from a name's description part.

    CODITECT writes descriptions with every space turned into ``-``, so ``---`` was
    `` - `` and every other ``-`` was a space (hyphens inside words cannot be told apart).

    Args:
        description: e.g. ``Phase-2-&-3-Hooks-Implementation-Complete---11-hooks``.

    Returns:
        e.g. ``Phase 2 & 3 Hooks Implementation Complete - 11 hooks``; "" for "".
    """
    text = description.replace("---", "\x00")
    text = text.replace("-", " ").replace("_", " ").replace("\x00", " - ")
    return re.sub(r"\s+", " ", text).strip()
