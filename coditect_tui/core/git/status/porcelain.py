"""Parsing ``git status --porcelain=v2 --branch -z --show-stash`` output."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Changed paths kept per repo for detail views (counts are always complete).
MAX_LISTED_FILES = 500
STATUS_ARGS: tuple[str, ...] = (
    "status",
    "--porcelain=v2",
    "--branch",
    "-z",
    "--show-stash",
    "--untracked-files=normal",
)


@dataclass(slots=True)
class FileEntry:
    """One changed path of ``git status``.

    Attributes:
        code: ``XY`` for tracked entries, ``??`` untracked, ``UU``-style for conflicts.
        path: the path relative to the working tree (untrusted text).
        orig_path: the source of a rename or copy.
        submodule: the ``<sub>`` field (``N...`` or ``S<c><m><u>``).
    """

    code: str
    path: str
    orig_path: str | None = None
    submodule: str = "N..."


@dataclass(slots=True)
class Porcelain:
    """Everything parsed out of one porcelain v2 ``-z`` output."""

    oid: str | None = None
    head: str | None = None
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    has_ab: bool = False
    stash: int = 0
    staged: int = 0
    modified: int = 0
    untracked: int = 0
    conflicted: int = 0
    changed: int = 0
    files: list[FileEntry] = field(default_factory=list)
    gitlinks: dict[str, FileEntry] = field(default_factory=dict)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def parse_porcelain_v2(data: bytes) -> Porcelain:
    """Parse ``git status --porcelain=v2 --branch -z [--show-stash]`` output.

    Args:
        data: git's stdout.

    Returns:
        The parsed state; unknown record types are ignored (forward compatible).

    Raises:
        ValueError: a record is truncated.
    """
    out = Porcelain()
    tokens = data.split(b"\0")
    i = 0
    count = len(tokens)
    while i < count:
        tok = tokens[i]
        i += 1
        if len(tok) < 2:
            continue
        kind = tok[:2]
        if kind == b"# ":
            key, _, value = tok[2:].partition(b" ")
            if key == b"branch.oid":
                out.oid = None if value == b"(initial)" else _text(value)
            elif key == b"branch.head":
                out.head = _text(value)
            elif key == b"branch.upstream":
                out.upstream = _text(value)
            elif key == b"branch.ab":
                ahead, _, behind = value.partition(b" ")
                out.ahead, out.behind = int(ahead), -int(behind)
                out.has_ab = True
            elif key == b"stash":
                out.stash = int(value)
            continue
        if kind in (b"1 ", b"2 ", b"u "):
            fields = {b"1 ": 8, b"2 ": 9, b"u ": 10}[kind]
            parts = tok.split(b" ", fields)
            if len(parts) != fields + 1:
                raise ValueError(f"truncated status record {tok[:40]!r}")
            xy = _text(parts[1])
            entry = FileEntry(xy, _text(parts[fields]), submodule=_text(parts[2]))
            out.changed += 1
            if kind == b"u ":
                out.conflicted += 1
            else:
                if xy[0] != ".":
                    out.staged += 1
                if xy[1] != ".":
                    out.modified += 1
            if kind == b"2 ":
                if i >= count:
                    raise ValueError("rename record without its source path")
                entry.orig_path = _text(tokens[i])
                i += 1
            if entry.submodule.startswith("S"):
                out.gitlinks[entry.path] = entry
        elif kind == b"? ":
            out.untracked += 1
            entry = FileEntry("??", _text(tok[2:]))
        else:
            continue  # "! " ignored entries and anything newer
        if len(out.files) < MAX_LISTED_FILES:
            out.files.append(entry)
    return out
