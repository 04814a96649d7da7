"""A reader for git's config file syntax (``.gitmodules``, ``.git/config``), in Python.

Reading these files without running git matters twice: ``.gitmodules`` is read for every
master project during discovery (no extra process per repo), and a repo's own config is
scanned for the filter/diff drivers it defines, so the runner can neutralise them before
git could run them (see :mod:`coditect_tui.core.git.runner`).

The grammar follows git's ``config.c``: ``[section]``, ``[section "subsection"]`` (case
kept, ``\\"`` and ``\\\\`` escapes), the legacy ``[section.subsection]`` (lower-cased),
``name = value`` or a bare ``name`` (boolean true), ``#``/``;`` comments, double quotes,
the escapes ``\\n \\t \\b \\\\ \\"``, a trailing backslash continuing the value, and a
variable on the same line as its section header.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Largest config file we read (git's own limit is much larger; ours only guards memory).
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class ConfigSyntaxError(ValueError):
    """The text is not valid git config syntax (git itself would refuse it too)."""


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One variable of a config file.

    Attributes:
        section: lower-cased section name (``submodule``).
        subsection: the subsection exactly as written (``"submodules/cloud/x"``), or None.
        key: lower-cased variable name (``path``).
        value: the unquoted value, or None for a bare boolean ``key``.
        line: 1-based line of the variable.
    """

    section: str
    subsection: str | None
    key: str
    value: str | None
    line: int


def _is_key_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "-")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.section: str | None = None
        self.subsection: str | None = None

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        if ch == "\n":
            self.line += 1
        return ch

    def error(self, message: str) -> ConfigSyntaxError:
        return ConfigSyntaxError(f"line {self.line}: {message}")

    def skip_comment(self) -> None:
        while self.peek() not in ("", "\n"):
            self.take()

    def parse(self) -> Iterator[ConfigEntry]:
        if self.text.startswith("\ufeff"):
            self.pos = 1
        while True:
            ch = self.peek()
            if ch == "":
                return
            if ch in " \t\r\n":
                self.take()
            elif ch in "#;":
                self.skip_comment()
            elif ch == "[":
                self.take()
                self.parse_header()
            elif _is_key_char(ch):
                if self.section is None:
                    raise self.error("variable outside any section")
                yield self.parse_variable()
            else:
                raise self.error(f"unexpected character {ch!r}")

    def parse_header(self) -> None:
        name: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise self.error("unterminated section header")
            if ch == "]":
                self.section, self.subsection = "".join(name).lower(), None
                if not self.section:
                    raise self.error("empty section name")
                if "." in self.section:  # legacy [section.subsection]
                    base, _, sub = self.section.partition(".")
                    self.section, self.subsection = base, sub
                return
            if ch in " \t":
                self.section = "".join(name).lower()
                self.parse_subsection()
                return
            if not (_is_key_char(ch) or ch == "."):
                raise self.error(f"bad character {ch!r} in section name")
            name.append(ch)

    def parse_subsection(self) -> None:
        while self.peek() in " \t":
            self.take()
        if self.take() != '"':
            raise self.error("expected a quoted subsection")
        sub = []
        while True:
            ch = self.take()
            if ch in ("", "\n"):
                raise self.error("unterminated subsection")
            if ch == '"':
                break
            if ch == "\\":
                ch = self.take()
                if ch in ("", "\n"):
                    raise self.error("unterminated subsection")
            sub.append(ch)
        if self.take() != "]":
            raise self.error("expected ']' after the subsection")
        self.subsection = "".join(sub)

    def parse_variable(self) -> ConfigEntry:
        line = self.line
        key = []
        while _is_key_char(self.peek()):
            key.append(self.take())
        if not key[0].isalpha():
            raise self.error("variable names start with a letter")
        while self.peek() in " \t":
            self.take()
        value: str | None = None
        ch = self.peek()
        if ch == "=":
            self.take()
            value = self.parse_value()
        elif ch in ("", "\n", "\r", "#", ";"):
            if ch in "#;" and ch:
                self.skip_comment()
        else:
            raise self.error(f"bad character {ch!r} after variable name")
        assert self.section is not None
        return ConfigEntry(self.section, self.subsection, "".join(key).lower(), value, line)

    def parse_value(self) -> str:
        out: list[str] = []
        quoted = False
        pending_space = 0
        started = False
        while True:
            ch = self.peek()
            if ch == "":
                if quoted:
                    raise self.error("unterminated quote")
                break
            if ch == "\n" or (ch == "\r" and self.text[self.pos + 1 : self.pos + 2] == "\n"):
                if quoted:
                    raise self.error("unterminated quote")
                break
            self.take()
            if not quoted and ch in "#;":
                self.skip_comment()
                break
            if not quoted and ch in " \t":
                if started:
                    pending_space += 1
                continue
            if pending_space:
                out.append(" " * pending_space)
                pending_space = 0
            if ch == "\\":
                nxt = self.take()
                if nxt == "\n":
                    continue
                if nxt == "\r" and self.peek() == "\n":
                    self.take()
                    continue
                mapped = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}.get(nxt)
                if mapped is None:
                    raise self.error("bad escape in value")
                out.append(mapped)
                started = True
                continue
            if ch == '"':
                quoted = not quoted
                started = True
                continue
            out.append(ch)
            started = True
        return "".join(out)


_SIMPLE_HEADER = re.compile(r'[ \t]*\[([A-Za-z0-9.-]+)(?:[ \t]+"([^"\\\n]*)")?\][ \t]*\r?')
_SIMPLE_VAR = re.compile(r'[ \t]*([A-Za-z][A-Za-z0-9-]*)[ \t]*(?:=[ \t]*([^"\\#;\n]*?))?[ \t]*\r?')
_SIMPLE_BLANK = re.compile(r"[ \t]*(?:[#;][^\n]*)?\r?")


def _parse_simple(text: str) -> list[ConfigEntry] | None:
    """Line-by-line parse of the common subset (no quotes, escapes or continuations).

    Returns None as soon as a line needs the full parser.
    """
    out: list[ConfigEntry] = []
    section: str | None = None
    subsection: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if _SIMPLE_BLANK.fullmatch(line):
            continue
        match = _SIMPLE_HEADER.fullmatch(line)
        if match:
            section, subsection = match.group(1).lower(), match.group(2)
            if subsection is None and "." in section:
                section, _, subsection = section.partition(".")
            if not section:
                return None
            continue
        match = _SIMPLE_VAR.fullmatch(line)
        if match is None or section is None:
            return None
        value = match.group(2)
        if value is None and "=" in line:
            value = ""
        out.append(
            ConfigEntry(
                section,
                subsection,
                match.group(1).lower(),
                None if value is None else value.replace("\t", " "),
                number,
            )
        )
    return out


def parse_config(text: str) -> list[ConfigEntry]:
    """Every variable of a config text, in file order.

    Args:
        text: the file's content.

    Returns:
        The entries; a section without variables yields nothing.

    Raises:
        ConfigSyntaxError: the text is not valid config syntax.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    simple = _parse_simple(text)
    if simple is not None:
        return simple
    return list(_Parser(text).parse())


def read_config_text(path: Path) -> str | None:
    """A config file's text.

    Args:
        path: the file.

    Returns:
        The text, or None when the file does not exist.

    Raises:
        ConfigSyntaxError: a file larger than ``MAX_CONFIG_BYTES``.
        OSError: the file exists but cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        chunks = []
        size = 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigSyntaxError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
    return data.decode("utf-8", errors="surrogateescape")


def read_config(path: Path) -> list[ConfigEntry]:
    """Parse a config file.

    Args:
        path: the file.

    Returns:
        Its entries (empty when the file does not exist).

    Raises:
        ConfigSyntaxError: invalid syntax, or a file larger than ``MAX_CONFIG_BYTES``.
        OSError: the file exists but cannot be read.
    """
    text = read_config_text(path)
    return [] if text is None else parse_config(text)
