"""Untrusted text (branch names, commit subjects, file names, API strings) made displayable.

``safe_text`` is the one function every pane and command uses before showing such text:

* C0 controls, DEL and C1 controls are shown in caret form (``ESC`` -> ``^[``, ``DEL`` ->
  ``^?``, ``0x9b`` -> ``M-^[``, as ``cat -v`` does), so no escape sequence reaches the
  terminal (no OSC 52 clipboard writes, no title changes, no screen clears);
* bidirectional overrides and isolates (the "Trojan Source" characters) are shown as
  ``<U+202E>``, so text cannot visually reorder itself;
* bytes of a file name that are not UTF-8 (Python keeps them as lone surrogates,
  ``surrogateescape``) are shown as ``\\xNN``, other lone surrogates as ``<U+D800>``: such
  text could not even be written to a UTF-8 terminal or file;
* nothing is interpreted as markup: the result is plain text, and the UI renders it with
  ``rich.text.Text(...)``, never as Rich/Textual markup. Where a string must be embedded in
  markup, use ``safe_markup``.
"""

from __future__ import annotations

import os
from typing import TypedDict, Unpack

_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _caret(code: int) -> str:
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return "M-^" + chr(code - 0x80 + 0x40)  # C1: 0x80..0x9f


def _build_table(keep_newlines: bool) -> dict[int, str]:
    table = {code: _caret(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
    table.update({code: f"<U+{code:04X}>" for code in (*_BIDI, *range(0xD800, 0xE000))})
    table.update({code: f"\\x{code - 0xDC00:02x}" for code in range(0xDC80, 0xDD00)})
    if keep_newlines:
        del table[0x0A]
        table[0x09] = "    "
    return table


_LINE = _build_table(keep_newlines=False)
_BLOCK = _build_table(keep_newlines=True)


def safe_text(value: object, *, keep_newlines: bool = False, max_length: int | None = None) -> str:
    """Plain, terminal-safe text for an untrusted value.

    Args:
        value: anything; ``bytes`` are decoded as UTF-8 with replacement characters.
        keep_newlines: keep ``\\n`` (and expand tabs) for multi-line views; otherwise every
            control character, newlines included, is shown in caret form.
        max_length: cut longer results and end them with ``…``.

    Returns:
        Text containing no control character (except ``\\n`` when kept).
    """
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    else:
        text = "" if value is None else str(value)
    text = text.translate(_BLOCK if keep_newlines else _LINE)
    if max_length is not None and len(text) > max_length:
        text = text[: max(0, max_length - 1)] + "…"
    return text


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
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
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
