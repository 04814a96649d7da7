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
import os
import re
import stat
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

#: Commits larger than this are left to ``git log`` (guards memory against odd objects).
MAX_COMMIT_BYTES = 1024 * 1024

_IDENT = re.compile(rb"^(?P<name>.*?) ?<(?P<email>[^<>]*)> (?P<ts>-?\d+) (?P<tz>[+-]\d{4})$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


class ObjectError(ValueError):
    """An object, or the object database around it, is malformed, hostile or too costly.

    The only exception the readers of this module raise (a ``ValueError``, so callers
    that already catch that keep working). Its message is one line.
    """


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
    # the encoding header is untrusted: an unknown name, a bytes-to-bytes codec or a codec
    # that refuses errors="replace" (idna) all fall back to UTF-8
    try:
        codecs.lookup(encoding)
        return raw.decode(encoding, errors="replace")
    except (LookupError, ValueError, TypeError):
        return raw.decode("utf-8", errors="replace")


def _parse_time(ts: bytes) -> datetime:
    # the zone (any value, even an impossible one) only shifts the wall time; the instant
    # is the timestamp, as git's %ct
    try:
        return datetime.fromtimestamp(int(ts), UTC)  # int: ValueError past the digit limit
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(0, UTC)


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
        ObjectError: not a well-formed commit.
    """
    head, sep, body = raw.partition(b"\n\n")
    if not sep and not head.startswith(b"tree "):
        raise ObjectError("not a commit object")
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
        raise ObjectError("commit without a well-formed author or committer")
    message = _decode(body, encoding)
    return CommitInfo(
        sha=sha,
        short_sha=sha[:7],
        subject=subject_of(message),
        author=_decode(author.group("name"), encoding),
        author_email=_decode(author.group("email"), encoding),
        time=_parse_time(committer.group("ts")),
    )


_LOOSE_HEADER = re.compile(rb"^(commit|tree|blob|tag) (\d+)$")
_TYPES = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}
_MAX_DELTA_DEPTH = 64
_MAX_ALTERNATES_DEPTH = 5
#: Object directories (own plus alternates) and packs one read looks at; more: left to git.
_MAX_OBJECT_DIRS = 16
_MAX_PACKS = 64
#: Largest pack entry inflated (a delta or the base of a commit's delta chain).
_MAX_ENTRY_BYTES = 4 * MAX_COMMIT_BYTES
#: Bytes one read may inflate and produce through deltas, the whole chain together: keeps
#: a hostile chain (64 levels of 4 MiB deltas) to a bounded amount of work.
_READ_BUDGET = 8 * MAX_COMMIT_BYTES
#: Delta instructions one read may run, the whole chain together (each costs a Python
#: loop step; a real commit delta has a handful).
_READ_DELTA_OPS = 1 << 15
_PACK_HEADER = 12
_PACK_TRAILER = 20
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def _label(path: str) -> str:
    """The last two parts of an untrusted path, printable on one line."""
    name = "/".join(path.split(os.sep)[-2:])
    return name if name.isascii() and name.isprintable() else ascii(name)


def _open_regular(path: str) -> int:
    """Open ``path`` for reading, refusing anything but a regular file.

    Checked with ``stat`` before the open and ``fstat`` after it; ``O_NONBLOCK`` keeps a
    FIFO swapped in between from blocking the open.

    Raises:
        FileNotFoundError, NotADirectoryError: nothing there (callers treat it as absent).
        ObjectError: not a regular file, or not readable.
    """
    try:
        # stat first: opening some devices has effects of its own (a watchdog, a tape)
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ObjectError(f"{_label(path)} is not a regular file")
        fd = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise
    except OSError as exc:
        raise ObjectError(f"cannot open {_label(path)}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ObjectError(f"{_label(path)} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_file(path: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of a regular file; None when it does not exist."""
    try:
        fd = _open_regular(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        return os.read(fd, limit)
    except OSError as exc:
        raise ObjectError(f"cannot read {_label(path)}: {exc.strerror}") from None
    finally:
        os.close(fd)


class _Budget:
    """What one read may still inflate or build (see ``_READ_BUDGET``)."""

    def __init__(self, total: int, ops: int) -> None:
        self.left = total
        self.ops = ops

    def spend(self, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise ObjectError("object too costly to read here")


def _inflate(data_at: Callable[[int, int], bytes], start: int, size: int) -> bytes:
    """Inflate the zlib stream at ``start``, which must produce exactly ``size`` bytes.

    Output is capped at ``size + 1`` bytes and input at what a stream of that size can
    need (stored blocks included), so a bomb or an endless stream costs no more than an
    honest object would.
    """
    decomp = zlib.decompressobj()
    out = bytearray()
    pos = start
    limit = start + size + size // 8 + 4096
    try:
        while not decomp.eof:
            if pos >= limit:
                raise ObjectError("compressed data longer than its object can need")
            chunk = data_at(pos, min(65536, limit - pos))
            if not chunk:
                raise ObjectError("truncated object data")
            pos += len(chunk)
            # max_length is at least 1 here (0 would mean "unlimited")
            out += decomp.decompress(chunk, size + 1 - len(out))
            if len(out) > size:
                raise ObjectError("object larger than announced")
    except zlib.error as exc:
        raise ObjectError(f"corrupt compressed data ({exc})") from None
    if len(out) != size:
        raise ObjectError("object smaller than announced")
    return bytes(out)


def _varint_le(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ObjectError("malformed delta header")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def apply_delta(
    base: bytes,
    delta: bytes,
    *,
    max_size: int = MAX_COMMIT_BYTES,
    max_ops: int = _READ_DELTA_OPS,
) -> bytes:
    """Apply a git pack delta to its base object.

    Args:
        base: the base object's content.
        delta: the delta data (source size, target size, copy/insert instructions).
        max_size: largest target accepted.
        max_ops: most instructions run.

    Returns:
        The target object's content.

    Raises:
        ObjectError: a malformed delta, a target larger than ``max_size`` (checked from
            the header and while building, so no delta builds more than it declares), or
            more than ``max_ops`` instructions.
    """
    return _apply_delta(base, delta, max_size, max_ops)[0]


def _apply_delta(base: bytes, delta: bytes, max_size: int, max_ops: int) -> tuple[bytes, int]:
    """:func:`apply_delta`, also returning the number of instructions run."""
    src_size, pos = _varint_le(delta, 0)
    dst_size, pos = _varint_le(delta, pos)
    if src_size != len(base):
        raise ObjectError("delta does not fit its base")
    if dst_size > max_size:
        raise ObjectError("delta target too large to read here")
    out = bytearray()
    end = len(delta)
    ops = 0
    while pos < end:
        ops += 1
        if ops > max_ops:
            raise ObjectError("delta has too many instructions to run here")
        op = delta[pos]
        pos += 1
        if op & 0x80:
            need = bin(op & 0x7F).count("1")
            if pos + need > end:
                raise ObjectError("truncated delta copy instruction")
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
                raise ObjectError("delta copies past its base")
            out += base[offset : offset + size]
        elif op:
            if pos + op > end:
                raise ObjectError("truncated delta insert instruction")
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ObjectError("reserved delta opcode")
        if len(out) > dst_size:
            raise ObjectError("delta builds more than it declares")
    if len(out) != dst_size:
        raise ObjectError("delta result has the wrong size")
    return bytes(out), ops


class _Pack:
    """One pack (index v2 + pack file), read with ``pread`` only.

    No ``mmap``: a file truncated under a mapping raises SIGBUS, which would end the
    whole process; ``pread`` past the end just returns less.
    """

    def __init__(self, idx_path: str) -> None:
        self.name = _label(idx_path[:-4] + ".pack")
        self.idx_fd = _open_regular(idx_path)
        self.pack_fd = -1
        try:
            self.idx_size = os.fstat(self.idx_fd).st_size
            head = os.pread(self.idx_fd, 8 + 256 * 4, 0)
            if head[:8] != b"\xfftOc\x00\x00\x00\x02" or len(head) < 8 + 256 * 4:
                raise ObjectError(f"{self.name}: not a version 2 pack index")
            self.fanout = struct.unpack_from(">256I", head, 8)
            self.count = self.fanout[255]
            # names, CRCs and offsets must fit in the file (large offsets come after)
            if 8 + 256 * 4 + self.count * 28 + 40 > self.idx_size:
                raise ObjectError(f"{self.name}: pack index shorter than its object count")
            self.pack_fd = _open_regular(idx_path[:-4] + ".pack")
            self.pack_size = os.fstat(self.pack_fd).st_size
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for fd in (self.idx_fd, self.pack_fd):
            if fd >= 0:
                os.close(fd)
        self.idx_fd = self.pack_fd = -1

    def _idx(self, pos: int, length: int) -> bytes:
        data = os.pread(self.idx_fd, length, pos)
        if len(data) != length:
            raise ObjectError(f"{self.name}: truncated pack index")
        return data

    def offset_of(self, binsha: bytes) -> int | None:
        first = binsha[0]
        lo = self.fanout[first - 1] if first else 0
        hi = min(self.fanout[first], self.count)
        names = 8 + 256 * 4
        while lo < hi:
            mid = (lo + hi) // 2
            probe = self._idx(names + mid * 20, 20)
            if probe < binsha:
                lo = mid + 1
            elif probe > binsha:
                hi = mid
            else:
                offsets = names + self.count * 24
                value: int = struct.unpack(">I", self._idx(offsets + mid * 4, 4))[0]
                if value & 0x80000000:
                    large = offsets + self.count * 4 + (value & 0x7FFFFFFF) * 8
                    value = struct.unpack(">Q", self._idx(large, 8))[0]
                return value
        return None

    def read_at(self, pos: int, length: int) -> bytes:
        return os.pread(self.pack_fd, length, pos)

    def object_at(
        self, offset: int, store: _Store, budget: _Budget, depth: int = 0
    ) -> tuple[bytes, bytes]:
        if depth > _MAX_DELTA_DEPTH:
            raise ObjectError(f"{self.name}: delta chain too deep (or a cycle)")
        if not _PACK_HEADER <= offset < self.pack_size - _PACK_TRAILER:
            raise ObjectError(f"{self.name}: object offset outside the pack")
        head = self.read_at(offset, 32)
        byte = head[0]
        kind = (byte >> 4) & 7
        size = byte & 15
        shift = 4
        pos = 1
        while byte & 0x80:
            if pos >= 11:
                raise ObjectError(f"{self.name}: malformed object header")
            byte = head[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
        if size > _MAX_ENTRY_BYTES:
            raise ObjectError(f"{self.name}: object too large to read here")
        if kind in _TYPES:
            budget.spend(size)
            return _TYPES[kind], _inflate(self.read_at, offset + pos, size)
        if kind == 6:  # OFS_DELTA: the base lies strictly before, in this pack
            if pos >= len(head):
                raise ObjectError(f"{self.name}: malformed delta header")
            byte = head[pos]
            pos += 1
            rel = byte & 0x7F
            while byte & 0x80:
                if pos >= min(len(head), 20):
                    raise ObjectError(f"{self.name}: malformed delta offset")
                byte = head[pos]
                pos += 1
                rel = ((rel + 1) << 7) | (byte & 0x7F)
            if not 0 < rel <= offset - _PACK_HEADER:
                raise ObjectError(f"{self.name}: delta base offset out of bounds")
            base_type, base = self.object_at(offset - rel, store, budget, depth + 1)
        elif kind == 7:  # REF_DELTA
            base_sha = head[pos : pos + 20]
            pos += 20
            if len(base_sha) != 20:
                raise ObjectError(f"{self.name}: truncated delta base name")
            found = store.read(base_sha, budget, depth + 1)
            if found is None:
                raise ObjectError(f"{self.name}: delta base not found")
            base_type, base = found
        else:
            raise ObjectError(f"{self.name}: unknown object type {kind}")
        budget.spend(size)
        delta = _inflate(self.read_at, offset + pos, size)
        budget.spend(min(_varint_le(delta, _varint_le(delta, 0)[1])[0], MAX_COMMIT_BYTES))
        target, ops = _apply_delta(base, delta, MAX_COMMIT_BYTES, budget.ops)
        budget.ops -= ops
        return base_type, target


class _Store:
    """The object directories of one repo (its own, then its alternates)."""

    def __init__(self, objects_dir: str) -> None:
        self.dirs: list[str] = []
        self._add(objects_dir, 0)
        self.packs: list[_Pack] | None = None

    def _add(self, directory: str, depth: int) -> None:
        if depth > _MAX_ALTERNATES_DEPTH or directory in self.dirs:
            return
        if len(self.dirs) >= _MAX_OBJECT_DIRS:
            raise ObjectError(f"more than {_MAX_OBJECT_DIRS} alternate object directories")
        self.dirs.append(directory)
        raw = _read_file(os.path.join(directory, "info", "alternates"), 65536)
        for line in (raw or b"").decode("utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", '"')):
                target = line if os.path.isabs(line) else os.path.join(directory, line)
                self._add(os.path.normpath(target), depth + 1)

    def close(self) -> None:
        for pack in self.packs or []:
            pack.close()

    def _loose(self, hexsha: str) -> tuple[bytes, bytes] | None:
        for directory in self.dirs:
            raw = _read_file(os.path.join(directory, hexsha[:2], hexsha[2:]), MAX_COMMIT_BYTES * 2)
            if raw is None:
                continue
            try:
                data = zlib.decompressobj().decompress(raw, MAX_COMMIT_BYTES + 64)
            except zlib.error as exc:
                raise ObjectError(f"corrupt loose object {hexsha[:7]} ({exc})") from None
            header, sep, body = data.partition(b"\0")
            match = _LOOSE_HEADER.match(header[:32])
            if not sep or not match or int(match.group(2)) != len(body):
                raise ObjectError(f"malformed or oversized loose object {hexsha[:7]}")
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
                present = set(names)
                for name in names:
                    if name.endswith(".idx") and name[:-4] + ".pack" in present:
                        if len(self.packs) >= _MAX_PACKS:
                            raise ObjectError(f"more than {_MAX_PACKS} packs")
                        try:
                            self.packs.append(_Pack(os.path.join(pack_dir, name)))
                        except (FileNotFoundError, NotADirectoryError):
                            continue  # removed since the listing (a gc)
        return self.packs

    def read(self, binsha: bytes, budget: _Budget, depth: int = 0) -> tuple[bytes, bytes] | None:
        found = self._loose(binsha.hex())
        if found is not None:
            return found
        for pack in self._load_packs():
            offset = pack.offset_of(binsha)
            if offset is not None:
                return pack.object_at(offset, self, budget, depth)
        return None


def read_object(objects_dir: Path | str, sha: str) -> tuple[bytes, bytes] | None:
    """Read an object (type, content) from an object directory, in-process.

    Loose objects, pack index v2, both delta kinds and alternates are understood. Work
    and memory are bounded (sizes, delta depth, object directories, packs, a budget per
    read); only regular files are opened. Runs nothing and writes nothing.

    Args:
        objects_dir: ``<common git dir>/objects``.
        sha: a 40-hex object name.

    Returns:
        (type, content), or None when the object is not there.

    Raises:
        ObjectError: a malformed or hostile database or object, an object too large to
            read here, or an I/O error (one line; the only exception raised).
    """
    if not _HEX40.match(sha):
        raise ObjectError("not a 40-hex object name")
    store: _Store | None = None
    try:
        store = _Store(os.fspath(objects_dir))
        return store.read(bytes.fromhex(sha), _Budget(_READ_BUDGET, _READ_DELTA_OPS))
    except ObjectError:
        raise
    except (OSError, IndexError, struct.error, OverflowError, MemoryError, RecursionError) as exc:
        raise ObjectError(f"cannot read object {sha[:7]}: {type(exc).__name__}") from None
    finally:
        if store is not None:
            store.close()


def read_commit(common_dir: Path, sha: str) -> CommitInfo | None:
    """Read commit ``sha`` from the object database under ``common_dir``.

    Args:
        common_dir: the repo's common git directory.
        sha: a 40-hex commit name (from ``# branch.oid``).

    Returns:
        The commit's facts, or None when it cannot be read in-process (absent, not a
        commit, malformed or hostile: the caller then asks ``git log``, bounded by its
        timeout).
    """
    try:
        found = read_object(os.path.join(common_dir, "objects"), sha)
        if found is None or found[0] != b"commit" or len(found[1]) > MAX_COMMIT_BYTES:
            return None
        return parse_commit(sha, found[1])
    except ObjectError:
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
