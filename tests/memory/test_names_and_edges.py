"""File names (timestamps, awkward characters, older formats) and awkward file contents."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coditect_tui.core.memory.names import (
    NOTE_DATE_ONLY,
    NOTE_INVALID,
    NOTE_NO_ZONE,
    NOTE_Z_LOCAL,
    description_title,
    parse_name,
)
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.roots import path_key
from coditect_tui.core.memory.textio import decode_text


@pytest.mark.parametrize(
    ("name", "raw", "moment", "note", "description"),
    [
        (
            "2025-11-22T04-15-36Z-Phase-0.5-Hooks.md",
            "2025-11-22T04-15-36Z",
            datetime(2025, 11, 22, 4, 15, 36, tzinfo=UTC),
            None,
            "Phase-0.5-Hooks",
        ),
        (
            "2025-11-22T04:15:36Z-colons.md",
            "2025-11-22T04:15:36Z",
            datetime(2025, 11, 22, 4, 15, 36, tzinfo=UTC),
            None,
            "colons",
        ),
        (
            "2025-11-16T1523-RESTORE-CONTEXT.txt",
            "2025-11-16T1523",
            datetime(2025, 11, 16, 15, 23, tzinfo=UTC),
            NOTE_NO_ZONE,
            "RESTORE-CONTEXT",
        ),
        (
            "SESSION-20251115-145715.json",
            "20251115-145715",
            datetime(2025, 11, 15, 14, 57, 15, tzinfo=UTC),
            NOTE_NO_ZONE,
            "",
        ),
        (
            "2025-11-10-EXPORT-CONTEXT-CODITECT-AGENT-RESEARCH.txt",
            "2025-11-10",
            datetime(2025, 11, 10, tzinfo=UTC),
            NOTE_DATE_ONLY,
            "EXPORT-CONTEXT-CODITECT-AGENT-RESEARCH",
        ),
        (
            "MEMORY-CONTEXT-exports--2025-11-17T09-24-45Z-Migration:-Done.txt",
            "2025-11-17T09-24-45Z",
            datetime(2025, 11, 17, 9, 24, 45, tzinfo=UTC),
            None,
            "Migration:-Done",
        ),
        (
            "2025-02-30T10-00-00Z-not-a-day.md",
            "2025-02-30T10-00-00Z",
            None,
            NOTE_INVALID,
            "not-a-day",
        ),
        ("README.md", None, None, None, "README"),
    ],
)
def test_parse_name(
    name: str, raw: str | None, moment: datetime | None, note: str | None, description: str
) -> None:
    info = parse_name(name)
    assert (info.raw, info.timestamp, info.note, info.description) == (
        raw,
        moment,
        note,
        description,
    )


def test_z_local_flag_and_dates_inside_names() -> None:
    assert parse_name("2025-11-21T23-15-36Z-x.md", z_is_local=True).note == NOTE_Z_LOCAL
    inside = parse_name("SESSION-SUMMARY-2025-11-15.md")
    assert inside.raw == "2025-11-15" and inside.timestamp == datetime(2025, 11, 15, tzinfo=UTC)
    assert inside.note is not None and "inside the name" in inside.note
    assert inside.description == "SESSION-SUMMARY"
    backup = parse_name("export-dedup-status.txt.backup-20251123-165423")
    assert backup.raw == "20251123-165423" and backup.precision == "second"


@pytest.mark.parametrize(
    ("description", "title"),
    [
        (
            "Phase-2-&-3-Hooks-Implementation-Complete---11-production-ready-hooks,-7000+-lines",
            "Phase 2 & 3 Hooks Implementation Complete - 11 production ready hooks, 7000+ lines",
        ),
        (
            "Sprint-+1-Day-2-COMPLETE:-Privacy-(35-35)-100%",
            "Sprint +1 Day 2 COMPLETE: Privacy (35 35) 100%",
        ),
        ("", ""),
    ],
)
def test_description_title(description: str, title: str) -> None:
    assert description_title(description) == title


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name",
    [
        "2025-11-16T20-18-10Z-Sprint-+1-Day-6-Complete---All-Tests-Passing-(35-35).md",
        "2025-11-16T16-44-00Z-Day-2-COMPLETE:-Privacy-&-Leaks,-100%-verified.md",
    ],
)
def test_awkward_names_are_read(tmp_path: Path, name: str) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(root / "checkpoints" / name, b"# CODITECT Checkpoint: awkward\n\nbody\n")
    parsed = read_memory_file(path, root)
    assert parsed.kind == "checkpoint" and parsed.title == "awkward"
    assert parsed.key == str(path) and parsed.timestamp is not None


def test_non_utf8_bytes_are_replaced_and_said(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(root / "2025-11-20T07-01-01Z-latin1.txt", "café naïve\n".encode("latin-1"))
    parsed = read_memory_file(path, root)
    assert parsed.kind == "transcript"
    assert "caf\ufffd" in parsed.body
    assert parsed.notes == ["not valid UTF-8: 2 undecodable byte sequences shown as U+FFFD"]


def test_non_utf8_file_name_gets_a_valid_key(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    root.mkdir()
    raw_name = os.fsencode(str(root)) + b"/notes-\xff\xfe.md"
    with open(raw_name, "wb") as handle:
        handle.write(b"# A note\n")
    path = Path(os.fsdecode(raw_name))
    parsed = read_memory_file(path, root)
    assert parsed.key.endswith("notes-\\xff\\xfe.md")
    parsed.key.encode("utf-8")  # storable
    assert path_key(path) == parsed.key and parsed.title == "A note"


def test_empty_binary_utf16_and_unknown_files(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    empty = read_memory_file(write(root / "sessions" / "2025-11-22-empty.md", b""), root)
    assert (empty.kind, empty.body, empty.size) == ("session-template", "", 0)
    assert empty.sha256 == hashlib.sha256(b"").hexdigest()
    binary = read_memory_file(write(root / "dashboard" / "logo.png", b"\x89PNG\x00\x00\x01"), root)
    assert (binary.kind, binary.body, binary.title) == ("other", "", "logo.png")
    assert binary.notes == ["binary file: only its name is indexed"]
    utf16 = read_memory_file(write(root / "notes.txt", "⏺ héllo\n⎿ ok\n".encode("utf-16")), root)
    assert "⏺ héllo" in utf16.body and utf16.notes == ["UTF-16 text"]
    unknown = read_memory_file(write(root / "dedup-and-sync.sh", b"#!/bin/sh\necho hi\n"), root)
    assert (unknown.kind, unknown.title) == ("other", "dedup-and-sync.sh")


def test_huge_file_is_capped_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    data = ("⏺ line of a long conversation é\n" * 4000).encode("utf-8")
    path = write(root / "2025-11-22T04-15-36Z-long.txt", data)
    parsed = read_memory_file(path, root, cap=10_001)  # cuts inside a 2-byte character
    assert parsed.truncated and parsed.size == len(data)
    assert parsed.sha256 == hashlib.sha256(data).hexdigest()  # the whole file is hashed
    assert "\ufffd" not in parsed.body
    assert parsed.body.endswith(
        f"[coditect: only the first 10,001 of {len(data):,} bytes of this file are indexed]\n"
    )
    assert len(parsed.body.encode("utf-8")) < 10_200
    assert parsed.notes == [
        f"only the first 10,001 of {len(data):,} bytes of this file are indexed"
    ]


def test_malformed_json_keeps_its_kind(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(
        root / "exports" / "2025-11-16T09-50-22Z-broken-export.json", b'{"metadata": {"timestamp": '
    )
    parsed = read_memory_file(path, root)
    assert (parsed.kind, parsed.title, parsed.document) == ("export-json", "broken export", None)
    assert parsed.notes[0].startswith("invalid JSON")
    odd = write(
        root / "audit-logs" / "2025-11-22T07-04-21Z-checkpoint-audit-odd.json",
        b'{"operations": [1, {"operation": "push"}], "sprint_description": 5}',
    )
    audit = read_memory_file(odd, root)
    assert audit.kind == "audit-log" and audit.title == "5"
    assert audit.notes == ["audit log: 1 operation is not an object"]


def test_older_formats(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    old_export = write(
        root / "exports-archive" / "2025-11-16-EXPORT-CONTEXT-AZ1.AI-CODITECT-QUICKSTART.txt",
        b"\nSome exported conversation without markers\n",
    )
    parsed = read_memory_file(old_export, root)
    assert (parsed.kind, parsed.title, parsed.timestamp_raw) == (
        "transcript",
        "AZ1.AI CODITECT QUICKSTART",
        "2025-11-16",
    )
    summary = write(
        root / "submodule-archives" / "ops" / "SESSION-SUMMARY-2025-11-15.md",
        b"# Session Summary - November 15, 2025\n\nDone.\n",
    )
    parsed = read_memory_file(summary, root)
    assert (parsed.kind, parsed.title, parsed.timestamp) == (
        "summary",
        "Session Summary - November 15, 2025",
        datetime(2025, 11, 15, tzinfo=UTC),
    )
    dated = write(
        root / "2025-11-22-SESSION-CONTINUATION-SUMMARY.md",
        b"# Session Continuation Summary - November 22, 2025\n",
    )
    assert read_memory_file(dated, root).kind == "summary"


def test_decode_text_cut_inside_a_character() -> None:
    data = "é".encode() * 3
    assert decode_text(data[:5], truncated=True).text == "éé"
    assert decode_text(data[:5], truncated=False).text == "éé\ufffd"
