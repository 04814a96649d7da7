"""Untrusted text (branch names, commit subjects, file names, memory files, server answers)
made safe for every output: one rule, two forms.

The rule: no C0 control, DEL, C1 control, bidirectional override/isolate/mark (the "Trojan
Source" characters U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) or line/paragraph
separator (U+2028, U+2029) reaches an output raw. Each is written as the escape a JSON
string uses for it: ``\\n``, ``\\t``, ``\\r``, ``\\b``, ``\\f``, else ``\\uXXXX`` (four
lowercase hex digits), so no escape sequence reaches a terminal (no OSC 52 clipboard writes,
no title changes, no screen clears) and text cannot visually reorder itself.

* :func:`safe_text` is the form for human lines and CSV cells. It also writes a backslash
  as ``\\\\``, so the form is unambiguous: a neutralised line reads back exactly like the
  inside of a JSON string (``json.loads('"' + line.replace('"', '\\\\"') + '"')``), and a
  literal ``\\u001b`` in the input shows as ``\\\\u001b``, never as an escaped ESC.
  Multi-line views (``keep_newlines``: memory bodies, commit messages) leave backslashes
  alone: a document's code samples and Windows paths read as written.
* Bytes of a file name that are not UTF-8 (Python keeps them as lone surrogates,
  ``surrogateescape``) are written ``\\xNN`` (``\\uXXXX`` for other lone surrogates):
  such text could not even be encoded for a UTF-8 terminal or file.
* :func:`safe_json` is the form for JSON and JSON Lines: the encoder already escapes
  backslashes, quotes and C0; the other characters of the rule get their ``\\uXXXX``
  escape. A JSON reader gets the original text back, and a string's text between its
  quotes is exactly its :func:`safe_text` form (quotes aside).

Nothing is interpreted as markup: the UI renders the result with ``rich.text.Text(...)``,
never as Rich/Textual markup. Where a string must be embedded in markup, use
``safe_markup``.
"""

from __future__ import annotations

import functools
import os
from typing import Any, TypedDict, Unpack

#: Every character the rule neutralises, beyond C0 (which JSON encoders escape anyway).
_NOT_C0 = (
    0x7F,
    *range(0x80, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x2028,
    0x2029,
)
_SHORT = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def _escape(code: int) -> str:
    return _SHORT.get(code) or f"\\u{code:04x}"


#: In JSON text: the characters the encoder leaves raw.
_IN_JSON = {code: _escape(code) for code in _NOT_C0}
#: In plain text: every character of the rule and the backslash (lone surrogates apart).
_LINE = {code: _escape(code) for code in (*range(0x20), *_NOT_C0)} | {0x5C: "\\\\"}
#: Multi-line views keep newlines and backslashes and show tabs as spaces.
_BLOCK = {code: shown for code, shown in _LINE.items() if code not in (0x0A, 0x5C)} | {0x09: "    "}


@functools.cache
def _surrogates() -> dict[int, str]:
    """Lone surrogates: undecodable file-name bytes (U+DC80..U+DCFF) as ``\\xNN``, others
    as their JSON escape. 2,048 entries, built when the first one is met (they are rare:
    every start would otherwise pay for them)."""
    return {code: _escape(code) for code in range(0xD800, 0xE000)} | {
        code: f"\\x{code - 0xDC00:02x}" for code in range(0xDC80, 0xDD00)
    }


@functools.cache
def _with_surrogates(keep_newlines: bool) -> dict[int, str]:
    return (_BLOCK if keep_newlines else _LINE) | _surrogates()


def _has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (it then cannot be encoded as UTF-8)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def safe_text(value: object, *, keep_newlines: bool = False, max_length: int | None = None) -> str:
    """Plain, terminal-safe text for an untrusted value (a human line or a CSV cell).

    Args:
        value: anything; ``bytes`` are decoded as UTF-8 with replacement characters.
        keep_newlines: keep ``\\n`` (and expand tabs to four spaces) for multi-line views;
            otherwise every control character, newlines included, is escaped.
        max_length: cut longer results and end them with ``…`` (never inside an escape).

    Returns:
        Text containing no control character (except ``\\n`` when kept), every character
        of the rule and every backslash escaped as in a JSON string.
    """
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    else:
        text = "" if value is None else str(value)
    if _has_surrogate(text):
        table = _with_surrogates(keep_newlines)
    else:
        table = _BLOCK if keep_newlines else _LINE
    shown = text.translate(table)
    if max_length is not None and len(shown) > max_length:
        shown = _cut(text, table, max(0, max_length - 1)) + "…"
    return shown


def _cut(text: str, table: dict[int, str], room: int) -> str:
    """The escaped form of the longest prefix of ``text`` that fits in ``room``."""
    parts: list[str] = []
    used = 0
    for char in text:
        piece = table.get(ord(char), char)
        if used + len(piece) > room:
            break
        parts.append(piece)
        used += len(piece)
    return "".join(parts)


def safe_json(value: Any, *, indent: bool = False, sort_keys: bool = False) -> str:
    """JSON text for untrusted data that is safe to print (the JSON form of the rule).

    Args:
        value: JSON-ready data (what ``orjson`` serialises).
        indent: indent by two spaces (else compact, one line: JSON Lines).
        sort_keys: sort object keys.

    Returns:
        The JSON, with every character of the rule escaped; it parses back to ``value``.
    """
    import orjson

    option = (orjson.OPT_INDENT_2 if indent else 0) | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        data = orjson.dumps(value, option=option)
    except TypeError:  # a lone surrogate (an undecodable file name) is no valid UTF-8
        data = orjson.dumps(_valid(value), option=option)
    return data.decode().translate(_IN_JSON)


def _valid(value: Any) -> Any:
    """``value`` with every string's lone surrogates in their escaped text form."""
    if isinstance(value, str):
        return value.translate(_surrogates())
    if isinstance(value, dict):
        return {_valid(k): _valid(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_valid(v) for v in value]
    return value


def fs_text(value: str | os.PathLike[str]) -> str:
    """A file name or path as valid UTF-8 text: bytes that are not UTF-8 become ``\\xNN``.

    For names that go into the store, JSON or a report; the file itself is still reached
    through the original ``str`` or ``Path``. A valid name comes back unchanged (and
    control characters are kept: :func:`safe_text` is for display).

    Args:
        value: a name or path as the OS gave it (undecodable bytes as lone surrogates).

    Returns:
        Text that encodes to UTF-8.
    """
    text = os.fspath(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.translate(_surrogates())
    return text


def is_utf8_name(value: str | os.PathLike[str]) -> bool:
    """Whether a name or path as the OS gave it is valid UTF-8 (no undecodable bytes)."""
    return fs_text(value) == os.fspath(value)


class SafeTextOptions(TypedDict, total=False):
    """The keyword options of :func:`safe_text`."""

    keep_newlines: bool
    max_length: int | None


def safe_markup(value: object, **options: Unpack[SafeTextOptions]) -> str:
    """``safe_text`` escaped for embedding inside Rich/Textual markup."""
    from rich.markup import escape

    return escape(safe_text(value, **options))
