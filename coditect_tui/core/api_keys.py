"""API key format: a type prefix and a checksum, so a leaked key is recognisable.

A key reads ``cdt_<kind>_<30 random base62><6 base62 CRC32 of the rest>``, for example
``cdt_usr_4fK…``. Secret scanners can match ``cdt_(usr|aud)_[0-9A-Za-z]{36}`` and check
the checksum without asking the server. Only ``sha256(key)`` is ever stored.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KINDS = ("usr", "aud")
_RANDOM_LEN = 30
_CHECK_LEN = 6


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECK_LEN)


def new_key(kind: str) -> str:
    """A fresh key of ``kind`` ("usr" or "aud" for auditor keys)."""
    if kind not in KINDS:
        raise ValueError(f"unknown key kind {kind!r}")
    body = f"cdt_{kind}_" + "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_LEN))
    return body + _checksum(body)


def is_well_formed(key: str) -> bool:
    """Whether ``key`` has the format and a correct checksum (cheap, no lookup)."""
    if not key.startswith("cdt_") or len(key) != 8 + _RANDOM_LEN + _CHECK_LEN:
        return False
    kind = key[4:7]
    if kind not in KINDS or key[7] != "_":
        return False
    body, check = key[:-_CHECK_LEN], key[-_CHECK_LEN:]
    if any(c not in ALPHABET for c in key[8:]):
        return False
    return secrets.compare_digest(_checksum(body), check)


def key_hash(key: str) -> str:
    """What is stored for a key: its sha256 as hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """The part of a key shown in listings (type prefix and 4 random characters)."""
    return key[:12]
