"""Hand-built object databases for the object reader's tests: packs, deltas, loose objects.

Everything is written byte by byte (the formats of git's ``gitformat-pack``), so a test can
build exactly the malformed or hostile database it needs; the well-formed ones are checked
against git itself in the tests.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

#: A small, well-formed commit (the empty tree, fixed identity and time).
COMMIT = (
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    b"author A U Thor <a@example.com> 1700000000 +0100\n"
    b"committer C O Mitter <c@example.com> 1700000100 -0230\n"
    b"\n"
    b"hello world\n\nbody\n"
)
OBJ_COMMIT, OBJ_BLOB, OBJ_OFS_DELTA, OBJ_REF_DELTA = 1, 3, 6, 7


def object_sha(kind: bytes, body: bytes) -> bytes:
    """The binary name git gives an object of this type and content."""
    return hashlib.sha1(kind + b" %d\0" % len(body) + body).digest()


def varint(value: int) -> bytes:
    """A delta header size (little-endian base-128)."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def entry_header(kind: int, size: int) -> bytes:
    """A pack entry's type-and-size header."""
    byte, size = (kind << 4) | (size & 15), size >> 4
    out = bytearray()
    while size:
        out.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    out.append(byte)
    return bytes(out)


def ofs_distance(rel: int) -> bytes:
    """An OFS_DELTA base distance (git's offset encoding)."""
    out = [rel & 0x7F]
    rel >>= 7
    while rel:
        rel -= 1
        out.insert(0, 0x80 | (rel & 0x7F))
        rel >>= 7
    return bytes(out)


def whole(kind: int, body: bytes) -> bytes:
    """A non-delta pack entry."""
    return entry_header(kind, len(body)) + zlib.compress(body)


def copy_all_delta(base: bytes, target: bytes) -> bytes:
    """A delta that copies ``base`` whole, then inserts the rest of ``target``."""
    assert target.startswith(base) and 0 < len(base) < 0x10000
    out = bytearray(varint(len(base)) + varint(len(target)))
    out += bytes([0x80 | 0x10 | 0x20, len(base) & 0xFF, len(base) >> 8])
    rest = target[len(base) :]
    for start in range(0, len(rest), 127):
        chunk = rest[start : start + 127]
        out += bytes([len(chunk)]) + chunk
    return bytes(out)


def write_pack(objects: Path, entries: list[tuple[bytes, bytes]]) -> tuple[Path, Path]:
    """Write a pack and its version 2 index.

    Args:
        objects: an ``objects`` directory.
        entries: (binary name, raw entry bytes) in pack order; offsets are computed, so
            an OFS_DELTA entry's distance must be given by the caller.

    Returns:
        (idx path, pack path).
    """
    data = bytearray(b"PACK" + struct.pack(">II", 2, len(entries)))
    rows = []
    for sha, raw in entries:
        rows.append((sha, len(data), zlib.crc32(raw)))
        data += raw
    trailer = hashlib.sha1(data).digest()
    data += trailer
    rows.sort()
    idx = bytearray(b"\xfftOc" + struct.pack(">I", 2))
    for first in range(256):
        idx += struct.pack(">I", sum(1 for sha, _, _ in rows if sha[0] <= first))
    for sha, _, _ in rows:
        idx += sha
    for _, _, crc in rows:
        idx += struct.pack(">I", crc)
    for _, offset, _ in rows:
        idx += struct.pack(">I", offset)
    idx += trailer
    idx += hashlib.sha1(idx).digest()
    pack_dir = objects / "pack"
    pack_dir.mkdir(parents=True, exist_ok=True)
    name = f"pack-{trailer.hex()}"
    (pack_dir / f"{name}.pack").write_bytes(data)
    (pack_dir / f"{name}.idx").write_bytes(idx)
    return pack_dir / f"{name}.idx", pack_dir / f"{name}.pack"


def loose_path(objects: Path, sha: bytes) -> Path:
    """Where a loose object of this name lives (its directory created)."""
    path = objects / sha.hex()[:2] / sha.hex()[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_loose(objects: Path, kind: bytes, body: bytes, *, declared: int | None = None) -> bytes:
    """Write a loose object (``declared`` overrides the size in its header)."""
    sha = object_sha(kind, body)
    size = len(body) if declared is None else declared
    loose_path(objects, sha).write_bytes(zlib.compress(kind + b" %d\0" % size + body))
    return sha


def commit_body(message: bytes, parent: bytes | None = None) -> bytes:
    """A commit like :data:`COMMIT` with another message (and optionally a parent)."""
    head, _, _ = COMMIT.partition(b"\n\n")
    if parent is not None:
        tree, rest = head.split(b"\n", 1)
        head = tree + b"\nparent " + parent.hex().encode() + b"\n" + rest
    return head + b"\n\n" + message


def ref_delta(base_sha: bytes, delta: bytes) -> bytes:
    """A REF_DELTA pack entry on the object named ``base_sha``."""
    return entry_header(OBJ_REF_DELTA, len(delta)) + base_sha + zlib.compress(delta)


def write_delta_on_blob(objects: Path, base: bytes, sha: bytes, delta: bytes) -> None:
    """A pack of a blob ``base`` and, named ``sha``, a REF_DELTA ``delta`` on it."""
    base_sha = object_sha(b"blob", base)
    write_pack(objects, [(base_sha, whole(OBJ_BLOB, base)), (sha, ref_delta(base_sha, delta))])
