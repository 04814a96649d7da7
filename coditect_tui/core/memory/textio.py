"""Reading MEMORY-CONTEXT files as bytes and text, whatever they hold.

A file is read once: the whole of it is hashed (sha256, for change detection), but only
its first ``cap`` bytes are kept for parsing and the full-text index, so a huge file costs
a streaming hash, not its size in memory. Text is UTF-8 (a BOM is honoured, UTF-16 with a
BOM too); bytes that are not valid UTF-8 become U+FFFD and the result says so. A file with
NUL bytes in its first block is binary: nothing of it is indexed but its name.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from coditect_tui.core.wording import plural

#: Default number of bytes of one file that are parsed and indexed.
DEFAULT_INDEX_CAP = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class RawFile:
    """A file's bytes (its head, at most ``cap``) and identity.

    Attributes:
        data: the first ``cap`` bytes.
        size: the whole file's size in bytes.
        mtime: modification time (seconds since the epoch) of the file that was read.
        sha256: hex digest of the whole file.
        truncated: ``data`` is only the head of the file.
    """

    data: bytes
    size: int
    mtime: float
    sha256: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from a file's bytes.

    Attributes:
        text: the text ("" for a binary file).
        binary: the bytes are not text (NUL bytes).
        note: what was not clean about the decoding, or None.
    """

    text: str
    binary: bool
    note: str | None


def read_raw(path: Path, cap: int = DEFAULT_INDEX_CAP) -> RawFile:
    """Read a file: its first ``cap`` bytes, its size, mtime and whole-file sha256.

    Size and mtime come from the open handle, so they describe the bytes that were read
    even if the file is replaced meanwhile.

    Args:
        path: the file.
        cap: how many bytes to keep (at least 1).

    Returns:
        The raw file.

    Raises:
        OSError: the file cannot be opened or read.
    """
    digest = hashlib.sha256()
    head = bytearray()
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            if len(head) < cap:
                head += chunk[: cap - len(head)]
    return RawFile(
        bytes(head),
        stat.st_size,
        stat.st_mtime,
        digest.hexdigest(),
        truncated=len(head) < stat.st_size,
    )


def decode_text(data: bytes, *, truncated: bool = False) -> DecodedText:
    """Decode a file's bytes for parsing and indexing.

    Args:
        data: the bytes (possibly only the head of the file).
        truncated: ``data`` was cut, so a multi-byte character may be cut at the end.

    Returns:
        The text, whether the bytes are binary, and a note on replaced bytes.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if truncated and len(data) % 2:
            data = data[:-1]
        return DecodedText(data.decode("utf-16", errors="replace"), False, "UTF-16 text")
    if b"\x00" in data[:_SNIFF]:
        return DecodedText("", True, "binary file: only its name is indexed")
    data = data.removeprefix(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        text = decoder.decode(data, final=not truncated)
        return DecodedText(text, False, None)
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data, final=not truncated)
    bad = text.count("\ufffd")
    return DecodedText(
        text, False, f"not valid UTF-8: {plural(bad, 'undecodable byte sequence')} shown as U+FFFD"
    )
