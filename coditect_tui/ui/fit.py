"""Fitting one line of text into a width without losing what matters on it.

A tree label keeps its status glyphs and gives up the end of the name; a path keeps both
ends (the folder it starts in and the file name) and gives up its middle.
"""

from __future__ import annotations

from rich.text import Text

ELLIPSIS = "…"


def fit_keeping_end(text: Text, keep: int, width: int) -> Text:
    """``text`` in at most ``width`` cells: the part before its last ``keep`` characters is
    cut with an ellipsis; those last characters (status glyphs) are kept whole.

    Args:
        text: one line.
        keep: how many characters at its end must stay.
        width: the cells available (nothing is cut when it is too small to help).

    Returns:
        ``text`` itself when it fits, else a shortened copy.
    """
    if text.cell_len <= width or keep >= len(text):
        return text
    head, tail = text[: len(text) - keep], text[len(text) - keep :]
    room = width - tail.cell_len
    if room < 2:
        return text  # not even one character and the ellipsis: scrolling shows more
    head.truncate(room, overflow="ellipsis")
    return Text.assemble(head, tail)


def middle_ellipsis(value: str, width: int) -> str:
    """``value`` in at most ``width`` characters, its middle replaced by an ellipsis.

    Args:
        value: a one-line string (a path).
        width: the characters available (at least 3 are used).

    Returns:
        ``value`` when it fits, else its start, ``…`` and its end. The end keeps the
        file name whole when it leaves a few characters of the start (a file name
        matters more than the folders above it).
    """
    if len(value) <= width:
        return value
    room = max(width, 3) - 1
    name = len(value) - (value.rfind("/") + 1)
    tail = name if name + 4 <= room else (room + 1) // 2
    tail = max(tail, (room + 1) // 2)
    return f"{value[: room - tail]}{ELLIPSIS}{value[len(value) - tail :]}"
