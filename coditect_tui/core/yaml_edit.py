"""Line edits of a YAML file the user wrote, keeping its comments and layout.

The positions come from ``yamlio.load_yaml`` (the line of every key and item); callers
decide what to change and check that the edited text loads as intended, falling back to
writing the file whole when it does not (``groups_file``, ``joining``).
"""

from __future__ import annotations

import re

from coditect_tui.core.yamlio import Loc, LocatedYaml

#: a line holding nothing but a comment, or nothing
COMMENT_OR_BLANK = re.compile(r"^[ \t]*(?:#.*)?$")


class LineEditor:
    """Line edits of one file, applied bottom-up so earlier line numbers stay valid."""

    def __init__(self, text: str, doc: LocatedYaml) -> None:
        self.lines = text.splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            self.lines[-1] += "\n"
        self.doc = doc
        self.edits: list[tuple[int, int, list[str]]] = []  # [start, end) 0-based, new lines

    def line(self, loc: Loc) -> int:
        """0-based index of ``loc``'s line."""
        return self.doc.lines[loc] - 1

    def span_end(self, loc: Loc) -> int:
        """0-based end (exclusive) of ``loc``'s lines: up to the next key or item that is
        not inside it, without the blank and comment lines just before that one."""
        start = self.doc.lines[loc]
        after = [
            line
            for other, line in self.doc.lines.items()
            if line > start and other[: len(loc)] != loc
        ]
        end = min(after) - 1 if after else len(self.lines)
        while end > start and COMMENT_OR_BLANK.match(self.lines[end - 1]):
            end -= 1
        return end

    def replace(self, start: int, end: int, new: list[str]) -> None:
        """Replace lines ``[start, end)`` (0-based) with ``new`` (an insertion when
        ``start == end``); edits apply to the original line numbers."""
        self.edits.append((start, end, new))

    def text(self) -> str:
        """The file with every edit applied."""
        out = list(self.lines)
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            out[start:end] = new
        return "".join(out)
