"""Hostile text for output-safety tests, the check that no raw control reaches an output,
and a real-subprocess run of the ``coditect`` CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections.abc import Mapping
from pathlib import Path

#: A title change, a screen clear, a cursor home and a fake prompt (C0), a C1 CSI, DEL,
#: NEL, the bidi override and isolates, a line separator, and a literal escape's text.
HOSTILE = (
    "\x1b]0;pwned\x07\x1b[2J\x1b[H$ sudo rm -rf ~\r\n\x9b31m\x7f\x85"
    "\u202eevil\u2066x\u2069\u2028 \\u001b end"
)

#: Every character the neutralising rule forbids in an output: the Unicode "Cc" controls
#: (C0, DEL, C1; none lies above U+00FF) but newline, the bidi marks, overrides and
#: isolates, and the line and paragraph separators (spelled out here independently of the
#: code under test).
FORBIDDEN = frozenset(
    {chr(c) for c in range(0x100) if unicodedata.category(chr(c)) == "Cc"} - {"\n"}
) | frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def raw_controls(text: str) -> list[str]:
    """The forbidden characters in ``text`` (empty when it is safe to show)."""
    return sorted({ch for ch in text if ch in FORBIDDEN})


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m coditect_tui ARGS`` in a real subprocess (UTF-8, no colour)."""
    full_env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "coditect_tui", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
