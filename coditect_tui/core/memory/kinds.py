"""Which kind of MEMORY-CONTEXT file a file is, from its place, name and first lines.

Rules, first match wins (``folder`` is the file's immediate parent folder):

==================  =============================================================
kind                rule
==================  =============================================================
other               binary content (NUL bytes)
audit-log           ``.json`` in ``audit-logs/``, or named ``<ISO>Z-checkpoint-audit-…``
setup-log           ``SESSION-YYYYMMDD-HHMMSS.json``
export-json         ``.json`` in ``exports/`` or shaped like one (metadata + conversation)
note                ``.md`` in ``notes/`` (written by this application)
checkpoint          ``.md`` starting ``# CODITECT Checkpoint``, or ISO-named in
                    ``checkpoints/``
session             ``.md`` starting ``# Session Export``, or ISO-named in ``sessions/``
session-template    ``.md`` starting ``# Session:``, or date-named in ``sessions/``
summary             ``SESSION-SUMMARY-<date>.md``, ``<date>-…SUMMARY….md`` or a
                    ``# Session … Summary`` heading
export-placeholder  text with ``# CODITECT Conversation Export`` and ``Status: PENDING``
transcript          text that looks like a Claude Code conversation (its banner, ``⏺``
                    / ``⎿`` markers), ``<date>-EXPORT-CONTEXT-….txt``, or an ISO-named
                    ``.txt``
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
_EXPORT_CONTEXT = re.compile(r"^\d{4}-\d{2}-\d{2}-EXPORT-CONTEXT-", re.IGNORECASE)
_SUMMARY_HEADING = re.compile(r"^#\s+Session\b.*\bSummary\b", re.IGNORECASE | re.MULTILINE)
_TEXT_SUFFIXES = (".txt", ".log", "")
_TRANSCRIPT_MARKERS = ("⏺", "⎿")


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
        True for the Claude Code banner or at least two ``⏺``/``⎿`` marker lines.
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
    iso_named = name.pattern in ("iso", "iso-compact")
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
    if suffix == ".md":
        if folder == "notes":
            return "note"
        if heading.startswith("CODITECT Checkpoint") or (folder == "checkpoints" and iso_named):
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
        if looks_like_transcript(head) or _EXPORT_CONTEXT.match(filename):
            return "transcript"
        if suffix == ".txt" and iso_named and head.strip():
            return "transcript"
    return "other"
