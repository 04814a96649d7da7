"""The last commit of a repo, read from its object database in-process.

``git status --porcelain=v2 --branch`` already names the HEAD commit (``# branch.oid``);
reading that one object from the repo's object database gives its subject, author and
time without a second git process per repo. The reader understands loose objects, pack
index v2 with both delta kinds, and alternates, reads with bounded sizes and delta
depth, and never runs anything. When it cannot read an object (a SHA-256 repo, a
promisor object that is not local, anything unusual) it says so and the caller falls
back to ``git log -1``. (gitdb, GitPython's pure-Python database, does the same job but
costs about three times as much per repo: a status run reads hundreds of repos.)
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

#: Commits larger than this are left to ``git log`` (guards memory against odd objects).
MAX_COMMIT_BYTES = 1024 * 1024

_IDENT = re.compile(rb"^(?P<name>.*?) ?<(?P<email>[^<>]*)> (?P<ts>-?\d+) (?P<tz>[+-]\d{4})$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """The facts about a commit shown in status views.

    Attributes:
        sha: full hex object name.
        short_sha: the first 7 hex digits.
        subject: the first paragraph of the message, on one line (untrusted text).
        author: author name (untrusted text).
        author_email: author e-mail (untrusted text).
        time: committer time, aware UTC.
    """

    sha: str
    short_sha: str
    subject: str
    author: str
    author_email: str
    time: datetime

    def to_dict(self) -> dict[str, str]:
        """JSON-ready fields (time as ISO 8601 UTC)."""
        return {
            "sha": self.sha,
            "short_sha": self.short_sha,
            "subject": self.subject,
            "author": self.author,
            "author_email": self.author_email,
            "time": self.time.isoformat().replace("+00:00", "Z"),
        }


def _decode(raw: bytes, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
        return raw.decode(encoding, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _parse_time(ts: bytes, tz: bytes) -> datetime:
    seconds = int(ts)
    sign = -1 if tz[:1] == b"-" else 1
    offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
    try:
        moment = datetime.fromtimestamp(seconds, timezone(offset))
    except (OverflowError, OSError, ValueError):
        moment = datetime.fromtimestamp(0, UTC)
    return moment.astimezone(UTC)


def subject_of(message: str) -> str:
    """Git's ``%s``: the message's first paragraph, its lines joined with spaces.

    Args:
        message: a full commit message.

    Returns:
        The subject (possibly empty).
    """
    lines = message.lstrip("\n").split("\n")
    para: list[str] = []
    for line in lines:
        if not line.strip():
            break
        para.append(line.strip())
    return " ".join(para)


def parse_commit(sha: str, raw: bytes) -> CommitInfo:
    """Parse a raw commit object.

    Args:
        sha: its hex name.
        raw: the object's content (headers, blank line, message).

    Returns:
        The commit's facts.

    Raises:
        ValueError: not a well-formed commit.
    """
    head, sep, body = raw.partition(b"\n\n")
    if not sep and not head.startswith(b"tree "):
        raise ValueError("not a commit object")
    author = committer = None
    encoding = "utf-8"
    for line in head.split(b"\n"):
        if line.startswith(b"author "):
            author = _IDENT.match(line[7:])
        elif line.startswith(b"committer "):
            committer = _IDENT.match(line[10:])
        elif line.startswith(b"encoding "):
            encoding = line[9:].decode("ascii", errors="replace").strip() or "utf-8"
    if author is None or committer is None:
        raise ValueError("commit without a well-formed author or committer")
    message = _decode(body, encoding)
    return CommitInfo(
        sha=sha,
        short_sha=sha[:7],
        subject=subject_of(message),
        author=_decode(author.group("name"), encoding),
        author_email=_decode(author.group("email"), encoding),
        time=_parse_time(committer.group("ts"), committer.group("tz")),
    )


class _ObjectError(Exception):
    """An object could not be read here (the caller falls back to git)."""


_LOOSE_HEADER = re.compile(rb"^(commit|tree|blob|tag) (\d+)$")
_TYPES = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}
_MAX_DELTA_DEPTH = 64
_MAX_ALTERNATES_DEPTH = 5


def _inflate(data_at: Callable[[int, int], bytes], start: int, size: int) -> bytes:
    """Inflate a zlib stream found at ``start``, expecting ``size`` bytes out."""
    decomp = zlib.decompressobj()
    out = bytearray()
    pos = start
    while not decomp.eof:
        chunk = data_at(pos, 65536)
        if not chunk:
            raise _ObjectError("truncated pack data")
        pos += len(chunk)
        out += decomp.decompress(chunk, size + 1 - len(out))
        if len(out) > size:
            raise _ObjectError("object larger than announced")
        if decomp.unconsumed_tail and len(out) >= size:
            break
    if len(out) != size:
        raise _ObjectError("object size mismatch")
    return bytes(out)


def _varint_le(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise _ObjectError("truncated delta header")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """Apply a git pack delta to its base object.

    Args:
        base: the base object's content.
        delta: the delta data (source size, target size, copy/insert instructions).

    Returns:
        The target object's content.

    Raises:
        ValueError: a malformed delta.
    """
    try:
        src_size, pos = _varint_le(delta, 0)
        dst_size, pos = _varint_le(delta, pos)
    except _ObjectError as exc:
        raise ValueError(str(exc)) from None
    if src_size != len(base) or dst_size > MAX_COMMIT_BYTES:
        raise ValueError("delta does not fit its base")
    out = bytearray()
    end = len(delta)
    while pos < end:
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = size = 0
            for bit in range(4):
                if op & (1 << bit):
                    offset |= delta[pos] << (8 * bit)
                    pos += 1
            for bit in range(3):
                if op & (1 << (4 + bit)):
                    size |= delta[pos] << (8 * bit)
                    pos += 1
            size = size or 0x10000
            if offset + size > len(base):
                raise ValueError("delta copies past its base")
            out += base[offset : offset + size]
        elif op:
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ValueError("reserved delta opcode")
    if len(out) != dst_size:
        raise ValueError("delta result has the wrong size")
    return bytes(out)


class _Pack:
    """One pack (index v2 + pack file), read with ``pread``/``mmap``."""

    def __init__(self, idx_path: str) -> None:
        with open(idx_path, "rb") as handle:
            self.idx = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self.idx[:8] != b"\xfftOc\x00\x00\x00\x02":
            self.close()
            raise _ObjectError("not a version 2 pack index")
        self.count = struct.unpack_from(">I", self.idx, 8 + 255 * 4)[0]
        self.pack_fd = os.open(idx_path[:-4] + ".pack", os.O_RDONLY)

    def close(self) -> None:
        self.idx.close()
        if hasattr(self, "pack_fd"):
            os.close(self.pack_fd)

    def offset_of(self, binsha: bytes) -> int | None:
        first = binsha[0]
        lo = struct.unpack_from(">I", self.idx, 8 + (first - 1) * 4)[0] if first else 0
        hi = struct.unpack_from(">I", self.idx, 8 + first * 4)[0]
        base = 8 + 256 * 4
        while lo < hi:
            mid = (lo + hi) // 2
            probe = self.idx[base + mid * 20 : base + mid * 20 + 20]
            if probe < binsha:
                lo = mid + 1
            elif probe > binsha:
                hi = mid
            else:
                offsets = base + self.count * 24
                value = struct.unpack_from(">I", self.idx, offsets + mid * 4)[0]
                if value & 0x80000000:
                    large = offsets + self.count * 4 + (value & 0x7FFFFFFF) * 8
                    value = struct.unpack_from(">Q", self.idx, large)[0]
                return value
        return None

    def read_at(self, pos: int, length: int) -> bytes:
        return os.pread(self.pack_fd, length, pos)

    def object_at(self, offset: int, store: _Store, depth: int = 0) -> tuple[bytes, bytes]:
        if depth > _MAX_DELTA_DEPTH:
            raise _ObjectError("delta chain too deep")
        head = self.read_at(offset, 32)
        if not head:
            raise _ObjectError("offset past the end of the pack")
        byte = head[0]
        kind = (byte >> 4) & 7
        size = byte & 15
        shift = 4
        pos = 1
        while byte & 0x80:
            byte = head[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
        if size > MAX_COMMIT_BYTES * 4:
            raise _ObjectError("object too large to read here")
        if kind in _TYPES:
            return _TYPES[kind], _inflate(self.read_at, offset + pos, size)
        if kind == 6:  # OFS_DELTA
            byte = head[pos]
            pos += 1
            rel = byte & 0x7F
            while byte & 0x80:
                byte = head[pos]
                pos += 1
                rel = ((rel + 1) << 7) | (byte & 0x7F)
            base_type, base = self.object_at(offset - rel, store, depth + 1)
        elif kind == 7:  # REF_DELTA
            base_sha = head[pos : pos + 20]
            pos += 20
            found = store.read(base_sha, depth + 1)
            if found is None:
                raise _ObjectError("delta base not found")
            base_type, base = found
        else:
            raise _ObjectError(f"unknown pack object type {kind}")
        try:
            return base_type, apply_delta(base, _inflate(self.read_at, offset + pos, size))
        except ValueError as exc:
            raise _ObjectError(str(exc)) from None


class _Store:
    """The object directories of one repo (its own, then its alternates)."""

    def __init__(self, objects_dir: str) -> None:
        self.dirs: list[str] = []
        self._add(objects_dir, 0)
        self.packs: list[_Pack] | None = None

    def _add(self, directory: str, depth: int) -> None:
        if depth > _MAX_ALTERNATES_DEPTH or directory in self.dirs:
            return
        self.dirs.append(directory)
        try:
            with open(os.path.join(directory, "info", "alternates"), "rb") as handle:
                lines = handle.read(65536).decode("utf-8", errors="replace").splitlines()
        except OSError:
            return
        for line in lines:
            line = line.strip()
            if line and not line.startswith(("#", '"')):
                target = line if os.path.isabs(line) else os.path.join(directory, line)
                self._add(os.path.normpath(target), depth + 1)

    def close(self) -> None:
        for pack in self.packs or []:
            pack.close()

    def _loose(self, hexsha: str) -> tuple[bytes, bytes] | None:
        for directory in self.dirs:
            try:
                with open(os.path.join(directory, hexsha[:2], hexsha[2:]), "rb") as handle:
                    raw = handle.read(MAX_COMMIT_BYTES * 2)
            except OSError:
                continue
            decomp = zlib.decompressobj()
            data = decomp.decompress(raw, MAX_COMMIT_BYTES + 64)
            header, sep, body = data.partition(b"\0")
            match = _LOOSE_HEADER.match(header)
            if not sep or not match or int(match.group(2)) != len(body):
                raise _ObjectError("malformed or oversized loose object")
            return match.group(1), body
        return None

    def _load_packs(self) -> list[_Pack]:
        if self.packs is None:
            self.packs = []
            for directory in self.dirs:
                pack_dir = os.path.join(directory, "pack")
                try:
                    names = sorted(os.listdir(pack_dir))
                except OSError:
                    continue
                for name in names:
                    if name.endswith(".idx") and name[:-4] + ".pack" in names:
                        try:
                            self.packs.append(_Pack(os.path.join(pack_dir, name)))
                        except (OSError, ValueError, _ObjectError):
                            continue
        return self.packs

    def read(self, binsha: bytes, depth: int = 0) -> tuple[bytes, bytes] | None:
        found = self._loose(binsha.hex())
        if found is not None:
            return found
        for pack in self._load_packs():
            offset = pack.offset_of(binsha)
            if offset is not None:
                return pack.object_at(offset, self, depth)
        return None


def read_object(objects_dir: Path | str, sha: str) -> tuple[bytes, bytes] | None:
    """Read an object (type, content) from an object directory, in-process.

    Loose objects, pack index v2, both delta kinds and alternates are understood;
    anything else yields None (so the caller asks git).

    Args:
        objects_dir: ``<common git dir>/objects``.
        sha: a 40-hex object name.

    Returns:
        (type, content), or None when it cannot be read here.
    """
    if not _HEX40.match(sha):
        return None
    store = _Store(os.fspath(objects_dir))
    try:
        return store.read(bytes.fromhex(sha))
    except (_ObjectError, OSError, ValueError, IndexError, struct.error, zlib.error):
        return None
    finally:
        store.close()


def read_commit(common_dir: Path, sha: str) -> CommitInfo | None:
    """Read commit ``sha`` from the object database under ``common_dir``.

    Args:
        common_dir: the repo's common git directory.
        sha: a 40-hex commit name (from ``# branch.oid``).

    Returns:
        The commit's facts, or None when it cannot be read in-process (the caller then
        asks ``git log``).
    """
    found = read_object(os.path.join(common_dir, "objects"), sha)
    if found is None or found[0] != b"commit" or len(found[1]) > MAX_COMMIT_BYTES:
        return None
    try:
        return parse_commit(sha, found[1])
    except ValueError:
        return None


def log_format() -> str:
    """The ``git log --format`` that :func:`parse_log_line` reads."""
    return "%H%x00%an%x00%ae%x00%ct%x00%B"


def parse_log_line(text: str) -> CommitInfo | None:
    """Parse the output of ``git log -1 --format=<log_format()>``.

    Args:
        text: git's output.

    Returns:
        The commit's facts, or None for empty output.
    """
    parts = text.split("\x00", 4)
    if len(parts) < 5 or not parts[0]:
        return None
    sha, name, email, ts, body = parts
    try:
        moment = datetime.fromtimestamp(int(ts), UTC)
    except ValueError:
        moment = datetime.fromtimestamp(0, UTC)
    return CommitInfo(
        sha=sha,
        short_sha=sha[:7],
        subject=subject_of(body),
        author=name,
        author_email=email,
        time=moment,
    )
