"""The one neutralising rule (core/safe_text.py): every forbidden character is escaped, the
same way in human lines, CSV cells and JSON, and the escaping is unambiguous."""

from __future__ import annotations

import json

from coditect_tui.core.safe_text import safe_json, safe_text
from tests.support.hostile_text import FORBIDDEN, HOSTILE, raw_controls


def _decode_line(line: str) -> str:
    """A ``safe_text`` line read back with the JSON string rules (the documented inverse)."""
    return str(json.loads('"' + line.replace('"', '\\"') + '"'))


def test_every_forbidden_character_is_escaped_in_both_forms() -> None:
    every = "".join(sorted(FORBIDDEN)) + "\n" + HOSTILE
    line = safe_text(every)
    as_json = safe_json({"k": every, "list": [every]}, indent=True)
    assert raw_controls(line) == [] and "\n" not in line
    assert raw_controls(as_json) == []
    assert "\\u009b" in line and "\\u202e" in line and "\\u001b" in line and "\\u2028" in line


def test_the_forms_agree_and_read_back_unchanged() -> None:
    value = HOSTILE + ' "quoted" C:\\path'
    line = safe_text(value)
    compact = safe_json(value)
    assert _decode_line(line) == value
    assert json.loads(compact) == value
    # a JSON string's text between its quotes is the safe_text form (quotes aside)
    assert compact[1:-1].replace('\\"', '"') == line


def test_a_literal_escape_is_not_mistaken_for_an_escaped_control() -> None:
    assert safe_text("\x1b") != safe_text("\\u001b")
    assert safe_text("\\u001b") == "\\\\u001b" and safe_text("\x1b") == "\\u001b"
    assert _decode_line(safe_text("\\u001b")) == "\\u001b"


def test_cutting_never_splits_an_escape() -> None:
    shown = safe_text("ab\x1bcd", max_length=5)
    assert shown == "ab…" and _decode_line(shown[:-1]) == "ab"
    assert safe_text("ab\x1bcd", max_length=9) == "ab\\u001b…"


def test_block_text_keeps_newlines_only() -> None:
    shown = safe_text("one\n\x1b[2Jtwo\tthree", keep_newlines=True)
    assert shown == "one\n\\u001b[2Jtwo    three"
    assert raw_controls(shown) == []


def test_the_surrogate_table_is_built_only_when_a_lone_surrogate_is_met() -> None:
    """Every start imports this module: the 2,048-entry table of lone surrogates waits
    until text holds one (an undecodable file name), then escapes as before, in every
    form and when cut."""
    from coditect_tui.core import safe_text as module

    module._surrogates.cache_clear()
    shown = [
        safe_text("plain é \x1b"),
        safe_text("a\tb", keep_newlines=True),
        safe_json({"k": "é"}),
        module.fs_text("é.txt"),
    ]
    assert module._surrogates.cache_info().currsize == 0
    assert shown == ["plain é \\u001b", "a    b", '{"k":"é"}', "é.txt"]
    name = "bad\udcfe\ud800"
    shown = [
        safe_text(name),
        safe_text(name, keep_newlines=True),
        safe_text(name + "xyz", max_length=10),
        safe_json([name]),
        module.fs_text(name),
    ]
    assert module._surrogates.cache_info().currsize == 1
    assert shown == [
        "bad\\xfe\\ud800",
        "bad\\xfe\\ud800",
        "bad\\xfe…",
        '["bad\\\\xfe\\\\ud800"]',
        "bad\\xfe\\ud800",
    ]
