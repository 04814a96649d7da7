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


def fit_columns(widths: list[int], priorities: list[int], width: int, gap: int = 1) -> list[int]:
    """Which columns of a table fit in ``width`` cells, dropping the highest priority
    number first (priority 0 is never dropped).

    Args:
        widths: each column's width, in display order.
        priorities: each column's priority (a higher number goes first).
        width: the cells available.
        gap: cells between two columns.

    Returns:
        The indices of the columns kept, in display order.
    """
    kept = list(range(len(widths)))
    by_drop = sorted(kept, key=lambda i: -priorities[i])

    def used(columns: list[int]) -> int:
        return sum(widths[i] for i in columns) + gap * max(0, len(columns) - 1)

    for index in by_drop:
        if used(kept) <= width or priorities[index] == 0:
            break
        kept.remove(index)
    return kept
