"""Which kind of MEMORY-CONTEXT file a file is, from its place, name and first lines.

Rules, first match wins (``folder`` is the file's immediate parent folder):

==================  =============================================================
kind                rule
==================  =============================================================
other               binary content (NUL bytes)
audit-log           ``.json`` in ``audit-logs/``, or named ``<ISO>Z-checkpoint-audit-…``
setup-log           ``SESSION-YYYYMMDD-HHMMSS.json``
export-json         ``.json`` in ``exports/`` or shaped like one (metadata + conversation)
jsonl-dump          ``.jsonl`` (one JSON object a line: CODITECT's message stores)
note                ``.md`` in ``notes/`` (written by this application)
checkpoint          ``.md`` starting ``# CODITECT Checkpoint``, or dated (ISO or
                    ``YYYY-MM-DD-…``) in ``checkpoints/``
session             ``.md`` starting ``# Session Export``, or ISO-named in ``sessions/``
session-template    ``.md`` starting ``# Session:``, or date-named in ``sessions/``
summary             ``SESSION-SUMMARY-<date>.md``, ``<date>-…SUMMARY….md`` or a
                    ``# Session … Summary`` heading
export-placeholder  text with ``# CODITECT Conversation Export`` and ``Status: PENDING``
transcript          text that looks like a Claude Code conversation (its banner, ``⏺``
                    / ``●`` / ``⎿`` markers); a ``.txt`` session export: named
                    the word ``EXPORT`` in a dated name (``<date>-EXPORT-….txt``), or
                    ISO-named, or
                    in ``sessions/`` or ``exports/``
other               anything else
==================  =============================================================
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from coditect_tui.core.memory.names import NameInfo
from coditect_tui.core.models import MemoryKind

_SETUP = re.compile(r"^SESSION-\d{8}-\d{6}\.json$", re.IGNORECASE)
_SUMMARY_OLD = re.compile(r"^SESSION-SUMMARY-\d{4}-?\d{2}-?\d{2}", re.IGNORECASE)
_SUMMARY_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-.*SUMMARY", re.IGNORECASE)
#: A ``.txt`` session export's name: the word EXPORT (in capitals, as CODITECT writes it)
#: in its description (``2025-09-03-EXPORT-….txt``, ``2025-11-10-EXPORT-CONTEXT-….txt``,
#: ``20250928T035716-2025-09-27-EXPORT-direct.txt``), or ``export-context-`` in any case.
_EXPORT_WORD = re.compile(r"(?:^|-)EXPORT(?:-|$)")
#: Dated name patterns (see ``names.parse_name``).
_ISO_NAMED = ("iso", "iso-compact", "iso-basic")
_DATED = (*_ISO_NAMED, "compact", "date")
_TXT_EXPORT_FOLDERS = ("sessions", "exports")
_SUMMARY_HEADING = re.compile(r"^#\s+Session\b.*\bSummary\b", re.IGNORECASE | re.MULTILINE)
_TEXT_SUFFIXES = (".txt", ".log", "")
#: Line starts of Claude Code's transcripts: tool and answer bullets (``●`` before
#: v2.0.10 or so, ``⏺`` after), tool output.
_TRANSCRIPT_MARKERS = ("⏺", "●", "⎿")


def first_heading(text: str) -> str | None:
    """The first level-1 Markdown heading's text.

    Args:
        text: Markdown.

    Returns:
        The text after ``# `` of the first such line within the first 40, or None.
    """
    for line in text.splitlines()[:40]:
        if line.startswith("# "):
            return line[2:].strip()
    return None


def looks_like_transcript(text: str) -> bool:
    """Whether text reads like a Claude Code conversation export.

    Args:
        text: the start of a file.

    Returns:
        True for the Claude Code banner or at least two ``⏺``/``●``/``⎿`` marker lines.
    """
    head = text[:20_000]
    if "Claude Code v" in head[:2000]:
        return True
    marked = sum(1 for line in head.splitlines() if line.lstrip().startswith(_TRANSCRIPT_MARKERS))
    return marked >= 2


def classify(rel: PurePosixPath, name: NameInfo, head: str, *, binary: bool = False) -> MemoryKind:
    """The kind of a file.

    Args:
        rel: the path relative to its MEMORY-CONTEXT folder.
        name: the parsed file name.
        head: the start of its text ("" when binary or empty).
        binary: the content is not text.

    Returns:
        One of the memory kinds; "other" when nothing matches.
    """
    if binary:
        return "other"
    filename = rel.name
    suffix = rel.suffix.lower()
    folder = rel.parent.name.lower()
    heading = (first_heading(head) or "") if suffix == ".md" else ""
    iso_named = name.pattern in _ISO_NAMED
    dated = name.pattern in _DATED
    if suffix == ".json":
        if folder == "audit-logs" or (
            iso_named and name.description.startswith("checkpoint-audit-")
        ):
            return "audit-log"
        if _SETUP.match(filename):
            return "setup-log"
        start = head[:4000]
        if folder == "exports" or (
            '"metadata"' in start and ('"conversation"' in start or '"file_changes"' in head)
        ):
            return "export-json"
        return "other"
    if suffix == ".jsonl":
        return "jsonl-dump"
    if suffix == ".md":
        if folder == "notes":
            return "note"
        if heading.startswith("CODITECT Checkpoint") or (folder == "checkpoints" and dated):
            return "checkpoint"
        if heading.startswith("Session Export") or (folder == "sessions" and iso_named):
            return "session"
        if heading.startswith("Session:") or (folder == "sessions" and name.pattern == "date"):
            return "session-template"
        if (
            _SUMMARY_OLD.match(filename)
            or _SUMMARY_DATED.match(filename)
            or _SUMMARY_HEADING.search(head[:2000])
        ):
            return "summary"
        return "other"
    if suffix in _TEXT_SUFFIXES:
        start = head[:2000]
        if "# CODITECT Conversation Export" in start and "PENDING" in start:
            return "export-placeholder"
        if looks_like_transcript(head):
            return "transcript"
        if dated and (
            _EXPORT_WORD.search(name.description)
            or name.description.lower().startswith("export-context-")
        ):
            return "transcript"
        if suffix == ".txt" and head.strip() and (iso_named or folder in _TXT_EXPORT_FOLDERS):
            return "transcript"
    return "other"
