"""The formats that used to be "other", and which time an entry gets (name or body).

The files are written here in CODITECT's own shapes (the export-dedup message store,
Claude Code's ``/export`` text, create-checkpoint's date-named checkpoints); the real
samples are in tests/fixtures and covered by test_fixtures.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coditect_tui.core.memory.names import NOTE_DATE_ONLY, NOTE_NO_ZONE, NOTE_Z_LOCAL, parse_name
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.timing import (
    TIME_DISAGREES,
    disagrees,
    parse_zoned,
    resolve_time,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# -- formats ------------------------------------------------------------------------------

JSONL_LINES = [
    {
        "hash": "3eea4546",
        "message": {"index": 0, "role": "assistant", "type": "assistant", "content": "Compacted"},
        "first_seen": "2025-11-18T07:32:13.004704+00:00",
        "checkpoint": "2025-11-18T06-58-00Z-EXPORT-SESSION-TOON",
    },
    {
        "hash": "4c2ed0db",
        "message": {"index": 1, "role": "user", "content": "fix the export-dedup path bug"},
        "first_seen": "2025-11-18T07:32:13.006486+00:00",
        "checkpoint": "2025-11-18T06-58-00Z-EXPORT-SESSION-TOON",
    },
]


def test_jsonl_dump_is_its_own_kind_with_readable_text(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    lines = [json.dumps(record) for record in JSONL_LINES] + ["{not json"]
    path = write(
        root / "messages" / "by-checkpoint" / "2025-11-18-EXPORT-SESSION-TOON.jsonl",
        "\n".join(lines) + "\n",
    )
    parsed = read_memory_file(path, root)
    assert parsed.kind == "jsonl-dump"
    assert parsed.title == "SESSION TOON"
    assert "user: fix the export-dedup path bug" in parsed.body
    assert '"hash"' not in parsed.body  # readable text, not raw JSON
    assert "{not json" in parsed.body
    assert parsed.notes == ["JSONL: 1 line kept as written (not a JSON object)"]
    # first_seen is when export-dedup saw the message: a dated name keeps its own date
    assert parsed.timestamp == utc(2025, 11, 18) and parsed.timestamp_raw == "2025-11-18"
    assert parsed.timestamp_note == NOTE_DATE_ONLY


def test_undated_jsonl_store_takes_its_time_from_the_body(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(root / "dedup_state" / "unique_messages.jsonl", json.dumps(JSONL_LINES[1]))
    parsed = read_memory_file(path, root)
    assert parsed.kind == "jsonl-dump"
    assert parsed.timestamp == datetime(2025, 11, 18, 7, 32, 13, 6486, tzinfo=UTC)
    assert parsed.timestamp_raw is None
    assert parsed.timestamp_note is not None and "first_seen" in parsed.timestamp_note


def test_date_named_checkpoint_is_a_checkpoint_at_its_body_time(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(
        root / "checkpoints" / "2025-11-02-Privacy-manager-redaction.md",
        "# Privacy manager redaction\n\n**Timestamp:** 2025-11-03T02:10:00Z\n\nDone.\n",
    )
    parsed = read_memory_file(path, root)
    assert parsed.kind == "checkpoint"
    # the local date 2025-11-02 and 02:10 UTC the next day agree (UTC-something)
    assert parsed.timestamp == utc(2025, 11, 3, 2, 10)
    assert not disagrees(parsed.timestamp_note)
    far = write(
        root / "checkpoints" / "2025-11-02-Far-off.md",
        "# Far off\n\n**Timestamp:** 2025-11-09T02:10:00Z\n",
    )
    flagged = read_memory_file(far, root)
    assert flagged.kind == "checkpoint" and disagrees(flagged.timestamp_note)


@pytest.mark.parametrize(
    "rel",
    [
        "2025-09-03-EXPORT-DOCUMENT-DEV-3.txt",
        "exports-archive/2025-11-18T06-58-00Z-EXPORT-SESSION-TOON.txt",
        "sessions/2025-11-17-conversation.txt",
        "exports/2025-11-20-dedup-session.txt",
        "exports-archive/20250928T035716-2025-09-27-EXPORT-direct.txt",
        "exports-archive/MEMORY-CONTEXT-test-dataset-exports--2025-09-27-EXPORT-final-test.txt",
    ],
)
def test_txt_session_exports_are_transcripts(tmp_path: Path, rel: str) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    # Claude Code's /export text, without its banner (cut off above the first prompt)
    path = write(root / rel, "> what were we working on?\n\nWe fixed the dedup script.\n")
    assert read_memory_file(path, root).kind == "transcript"


def test_older_claude_code_bullets_make_a_transcript(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    text = "● Bash(git status)\n  ⎿  On branch main\n\n● All tasks are complete.\n"
    path = write(root / "notes-from-monday.txt", text)
    assert read_memory_file(path, root).kind == "transcript"
    plain = write(root / "2025-11-16-ED-email-GTM-ADVICE.txt", "Dear Ed,\nthanks.\n")
    assert read_memory_file(plain, root).kind == "other"


def test_export_title_drops_the_export_word(tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    path = write(root / "2025-09-03-EXPORT-DOCUMENT-DEV-3.txt", "> hello\n")
    assert read_memory_file(path, root).title == "DOCUMENT DEV 3"


# -- time ---------------------------------------------------------------------------------


def test_utc_spelled_in_the_name_is_recognised() -> None:
    info = parse_name("2025-11-16T1930UTC-Restore-context.txt")
    assert (info.raw, info.timestamp, info.zone, info.note, info.description) == (
        "2025-11-16T1930UTC",
        utc(2025, 11, 16, 19, 30),
        "UTC",
        None,
        "Restore-context",
    )
    assert parse_name("2025-11-16T19-30-00_UTC.md").says_utc
    assert parse_name("2025-11-16T1930Z-x.txt").says_utc
    # a Z that starts a word is no zone; the description keeps it
    zebra = parse_name("2025-11-16T19-30-00Zebra.md")
    assert not zebra.says_utc and zebra.description == "Zebra" and zebra.note == NOTE_NO_ZONE
    # session_export.py's local "Z"; an explicit UTC is believed even there
    assert parse_name("2025-11-16T19-30-00Z-x.md", z_is_local=True).note == NOTE_Z_LOCAL
    assert parse_name("2025-11-16T1930UTC-x.md", z_is_local=True).note is None


def placeholder(stamp: str) -> str:
    return f"# CODITECT Conversation Export\n# Timestamp: {stamp}\n# Status: PENDING\n"


@pytest.mark.parametrize(
    ("name", "body_stamp", "moment", "note"),
    [
        # the name says UTC: it wins over the body
        ("2025-11-16T1930UTC-Restore.txt", "2025-11-16T22-00-00Z", utc(2025, 11, 16, 19, 30), None),
        # no zone in the name: the body's UTC wins, the name read as local time at UTC-5
        (
            "2025-11-16T1523-RESTORE-CONTEXT.txt",
            "2025-11-16T20-23-00Z",
            utc(2025, 11, 16, 20, 23),
            "the name's 2025-11-16T1523 is local time (UTC−05:00)",
        ),
    ],
)
def test_name_or_body_time(
    tmp_path: Path, name: str, body_stamp: str, moment: datetime, note: str | None
) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    parsed = read_memory_file(write(root / name, placeholder(body_stamp)), root)
    assert parsed.timestamp == moment
    if note is None:
        assert parsed.timestamp_note is None
    else:
        assert (parsed.timestamp_note or "").startswith(note)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2025-11-22T04:15:36Z", utc(2025, 11, 22, 4, 15, 36)),
        ("**Timestamp:** 2025-11-22T04-15-36Z", utc(2025, 11, 22, 4, 15, 36)),
        ("2025-11-18T07:32:13.5+00:00", datetime(2025, 11, 18, 7, 32, 13, 500000, tzinfo=UTC)),
        ("2025-11-18T02:32:13-05:00", utc(2025, 11, 18, 7, 32, 13)),
        ("2025-11-18T12:02:13+0430", utc(2025, 11, 18, 7, 32, 13)),
        ("2025-11-21T23:15:36.274370", None),  # no zone: not a UTC time
        ("2025-02-30T10:00:00Z", None),
        (None, None),
    ],
)
def test_parse_zoned(text: str | None, moment: datetime | None) -> None:
    assert parse_zoned(text) == moment


def test_resolve_time_tolerates_seconds_but_not_odd_offsets() -> None:
    info = parse_name("2025-11-21T23-15-36Z-x.md", z_is_local=True)
    near = resolve_time(info, utc(2025, 11, 22, 4, 16, 40), "Timestamp")
    assert not near.disagrees and near.timestamp == utc(2025, 11, 22, 4, 16, 40)
    odd = resolve_time(info, utc(2025, 11, 22, 4, 22, 36), "Timestamp")
    assert odd.disagrees and odd.note is not None and odd.note.startswith(TIME_DISAGREES)
    too_far = resolve_time(info, utc(2025, 11, 22, 15, 15, 36), "Timestamp")  # UTC-16
    assert too_far.disagrees
    kathmandu = resolve_time(info, utc(2025, 11, 21, 17, 30, 36), "Timestamp")  # UTC+05:45
    assert not kathmandu.disagrees and "UTC+05:45" in (kathmandu.note or "")


# -- property tests of the name parser ----------------------------------------------------

moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
descriptions = st.text(alphabet=st.sampled_from("abcXYZ019-_.:&,+() %"), max_size=30)
zones = st.sampled_from(["Z", "UTC", "-UTC", "_UTC", ""])


@given(moment=moments, zone=zones, sep=st.sampled_from(["-", ":"]), desc=descriptions)
def test_iso_names_round_trip(moment: datetime, zone: str, sep: str, desc: str) -> None:
    stamp = moment.strftime(f"%Y-%m-%dT%H{sep}%M{sep}%S") + zone
    name = f"{stamp}-{desc}.md" if desc else f"{stamp}.md"
    info = parse_name(name)
    assert info.raw == stamp
    assert info.timestamp == moment.replace(tzinfo=UTC)
    assert info.says_utc == bool(zone)
    assert (info.note is None) == bool(zone)
    assert info.precision == "second" and info.pattern == "iso"
    assert info.description == desc.lstrip("-_. ")


@given(moment=moments, zone=zones, seconds=st.booleans(), desc=descriptions)
def test_compact_names_round_trip(moment: datetime, zone: str, seconds: bool, desc: str) -> None:
    clock = moment.strftime("%H%M%S" if seconds else "%H%M")
    stamp = f"{moment:%Y-%m-%d}T{clock}{zone}"
    info = parse_name(f"{stamp}-{desc}.txt")
    expected = moment if seconds else moment.replace(second=0)
    assert info.raw == stamp and info.timestamp == expected.replace(tzinfo=UTC)
    assert info.says_utc == bool(zone)
    assert info.precision == ("second" if seconds else "minute")


@given(moment=moments, zone=zones, desc=descriptions)
def test_iso_basic_names_round_trip(moment: datetime, zone: str, desc: str) -> None:
    stamp = f"{moment:%Y%m%dT%H%M%S}{zone}"
    info = parse_name(f"{stamp}-{desc}.txt")
    assert (info.raw, info.timestamp, info.pattern) == (
        stamp,
        moment.replace(tzinfo=UTC),
        "iso-basic",
    )
    assert info.says_utc == bool(zone)


@given(moment=moments, desc=descriptions)
def test_date_names_round_trip(moment: datetime, desc: str) -> None:
    info = parse_name(f"{moment:%Y-%m-%d}-{desc}.md")
    assert info.timestamp == datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    assert info.precision == "day" and not info.says_utc


@given(name=st.text(max_size=80))
def test_any_name_parses_without_raising(name: str) -> None:
    info = parse_name(name)
    assert info.timestamp is None or info.timestamp.tzinfo is UTC
    assert (info.raw is None) == (info.pattern == "none")
    assert info.zone is None or (info.raw is not None and info.raw.endswith(info.zone))


@given(moment=moments, offset_quarters=st.integers(min_value=-48, max_value=56))
def test_local_names_agree_with_their_utc_body(moment: datetime, offset_quarters: int) -> None:
    body = moment.replace(tzinfo=UTC)
    local = body + timedelta(minutes=15 * offset_quarters)
    info = parse_name(f"{local:%Y-%m-%dT%H-%M-%S}Z-x.md", z_is_local=True)
    when = resolve_time(info, body, "Timestamp")
    assert when.timestamp == body and not when.disagrees
