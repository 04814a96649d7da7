"""Which paths the index records as gitlinks (mode 160000): the only real submodules.

``.gitmodules`` can name a folder that was committed as ordinary files; git then has no
submodule there and ``git submodule update --init`` does nothing. The index is read from
the file (formats 2, 3 and 4; no git process, nothing a repo could use to run code).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from coditect_tui.core.git import layout

GITLINK_MODE = 0o160000
#: Largest index read (a bigger one is not parsed: every listed entry counts as a gitlink).
MAX_INDEX_BYTES = 64 * 1024 * 1024

_cache: dict[tuple[str, int, int], frozenset[str] | None] = {}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset varint (index v4 path compression): (value, next position)."""
    byte = data[pos]
    pos += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos


def _hash_size(git_dir: Path) -> int:
    """20 (sha1) or 32 (``extensions.objectFormat = sha256``)."""
    from coditect_tui.core.git import gitconfig

    try:
        for entry in gitconfig.read_config(layout.common_dir_of(git_dir) / "config"):
            if (entry.section, entry.key) == ("extensions", "objectformat"):
                return 32 if (entry.value or "").lower() == "sha256" else 20
    except (OSError, gitconfig.ConfigSyntaxError):
        pass
    return 20


def parse_gitlinks(data: bytes, hash_size: int = 20) -> frozenset[str] | None:
    """The gitlink paths of an index file's content.

    Args:
        data: the whole index file.
        hash_size: 20 for sha1 repos, 32 for sha256.

    Returns:
        The paths recorded with mode 160000, or None when the answer is not in this file
        (unknown version, truncated data, a split index or a sparse index).
    """
    if len(data) < 12 or data[:4] != b"DIRC":
        return None
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4):
        return None
    pos = 12
    previous = b""
    found: set[str] = set()
    fixed = 40 + hash_size + 2
    try:
        for _ in range(count):
            start = pos
            mode = struct.unpack(">I", data[pos + 24 : pos + 28])[0]
            flags = struct.unpack(">H", data[pos + 40 + hash_size : pos + fixed])[0]
            pos += fixed
            if version >= 3 and flags & 0x4000:
                pos += 2
            if version == 4:
                strip, pos = _varint(data, pos)
                end = data.index(b"\x00", pos)
                name = previous[: len(previous) - strip] + data[pos:end]
                pos = end + 1
            else:
                end = data.index(b"\x00", pos)
                name = data[pos:end]
                pos = start + ((end - start) // 8 + 1) * 8
            previous = name
            if pos > len(data):
                return None
            if mode & 0o170000 == 0o040000:  # a sparse-directory entry: not every path is here
                return None
            if mode & 0o170000 == GITLINK_MODE:
                found.add(name.decode("utf-8", errors="surrogateescape"))
        while pos + 8 <= len(data) - hash_size:
            signature = data[pos : pos + 4]
            size = struct.unpack(">I", data[pos + 4 : pos + 8])[0]
            if signature in (b"link", b"sdir"):
                return None
            pos += 8 + size
    except (IndexError, ValueError, struct.error):
        return None
    return frozenset(found)


def gitlinks_of(git_dir: Path) -> frozenset[str] | None:
    """The gitlink paths of a repo's index (cached while the file is unchanged).

    Args:
        git_dir: the repo's git directory (a worktree's own index is used).

    Returns:
        The paths, or None when the index is missing, too big or not readable here.
    """
    path = os.path.join(git_dir, "index")
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_mtime_ns, st.st_size)
    if key in _cache:
        return _cache[key]
    result: frozenset[str] | None = None
    if st.st_size <= MAX_INDEX_BYTES:
        data = layout.read_small(path, limit=st.st_size + 1)
        if data is not None and len(data) == st.st_size:
            result = parse_gitlinks(data, _hash_size(git_dir))
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = result
    return result
