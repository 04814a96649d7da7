"""Ed25519-signed audit checkpoints, kept outside the database.

Anyone who can write the database file can re-hash the whole chain; a checkpoint signed
with a key the database does not hold certifies that the chain had ``hash`` at ``seq``.
The signing key lives in the XDG config dir (mode 0600); verification uses that key (or
an explicitly given public key), never a key carried inside the checkpoint file.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coditect_tui import __version__
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.models import AuditHead, format_ts, utcnow
from coditect_tui.core.paths import config_dir, write_private_file

FORMAT = "coditect-audit-checkpoint/1"
_MAX_CHECKPOINT_BYTES = 64 * 1024


def default_key_path() -> Path:
    """``<XDG config>/coditect/audit-signing.key``."""
    return config_dir() / "audit-signing.key"


def load_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The signing key; never creates one (see :func:`create_key`).

    Args:
        path: the key file (default: :func:`default_key_path`).

    Returns:
        The private key.

    Raises:
        ConfigError: no key file, the key file is accessible by others, or it is not an
            Ed25519 key.
    """
    path = path or default_key_path()
    if not path.exists():
        raise ConfigError(
            "no audit signing key here; a checkpoint can only be checked "
            "with the key that signed it",
            path=str(path),
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"signing key is accessible by others (mode {stat.S_IMODE(mode):o}); chmod 600 it",
            path=str(path),
        )
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise ConfigError("not a PEM private key", path=str(path)) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigError("not an Ed25519 key", path=str(path))
    return loaded


def create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """Generate a signing key and write it (0600) where none exists; never replaces one.

    Args:
        path: the key file (default: :func:`default_key_path`).

    Returns:
        The new private key.

    Raises:
        ConfigError: a key file already exists there (older checkpoints need it).
    """
    path = path or default_key_path()
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    write_private_file(tmp, pem)
    try:
        os.link(tmp, path)  # unlike a rename, fails when a key appeared meanwhile
    except FileExistsError:
        raise ConfigError(
            "a signing key already exists; it is never replaced (checkpoints it signed "
            "verify only with it)",
            path=str(path),
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return key


def signed_checkpoints(folders: Iterable[Path]) -> dict[Path, str]:
    """The checkpoint files in ``folders`` (not recursive) and the key id each names.

    Files that are not checkpoints (or not readable) are skipped: this is a count for a
    warning, not a verification.

    Args:
        folders: where to look.

    Returns:
        Checkpoint path -> the ``key_id`` in its payload ("" when absent).
    """
    found: dict[Path, str] = {}
    for folder in dict.fromkeys(folders):
        try:
            candidates = sorted(folder.glob("*.json"))
        except OSError:
            continue
        for candidate in candidates:
            try:
                if candidate.stat().st_size > _MAX_CHECKPOINT_BYTES:
                    continue
                payload = orjson.loads(candidate.read_bytes())["payload"]
                if payload["format"] == FORMAT:
                    found[candidate] = str(payload.get("key_id", ""))
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return found


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (hex of its first 8 raw bytes)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw[:8].hex()


class ForgedCheckpoint(ConfigError):
    """The checkpoint's signature does not verify: it was forged or altered."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint."""

    tenant: str
    seq: int
    hash: str
    created_at: str
    key_id: str


def sign_checkpoint(head: AuditHead, key: Ed25519PrivateKey) -> bytes:
    """The checkpoint file's bytes for ``head``."""
    payload = {
        "format": FORMAT,
        "tenant": head.tenant,
        "seq": head.seq,
        "hash": head.hash,
        "created_at": format_ts(utcnow()),
        "app_version": __version__,
        "key_id": key_id(key.public_key()),
    }
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    signature = base64.b64encode(key.sign(body)).decode()
    return (
        orjson.dumps(
            {"payload": payload, "signature": signature},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
        )
        + b"\n"
    )


def write_checkpoint(head: AuditHead, path: Path, key: Ed25519PrivateKey) -> None:
    """Write the signed checkpoint of ``head`` to ``path`` (atomically)."""
    write_private_file(path, sign_checkpoint(head, key))


def read_checkpoint(path: Path, public: Ed25519PublicKey, *, tenant: str) -> Checkpoint:
    """Read and check a checkpoint file.

    Raises:
        ConfigError: unreadable, malformed, for another tenant, or the signature does not
            verify with ``public`` (the file was forged or altered).
    """
    shown = str(path)
    try:
        data: Any = orjson.loads(path.read_bytes())
        payload, signature = data["payload"], base64.b64decode(data["signature"], validate=True)
        if payload.get("format") != FORMAT:
            raise ConfigError(f"not a checkpoint ({FORMAT} expected)", path=shown)
        body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        seq, digest = int(payload["seq"]), str(payload["hash"])
    except FileNotFoundError:
        raise ConfigError("file not found", path=shown) from None
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"malformed checkpoint ({type(exc).__name__})", path=shown) from None
    try:
        public.verify(signature, body)
    except InvalidSignature:
        raise ForgedCheckpoint(
            "checkpoint signature does not verify with the signing key "
            f"(key {key_id(public)}): forged or altered",
            path=shown,
        ) from None
    if payload["tenant"] != tenant:
        raise ConfigError(
            f"checkpoint is for tenant {payload['tenant']!r}, not {tenant!r}", path=shown
        )
    return Checkpoint(
        tenant=payload["tenant"],
        seq=seq,
        hash=digest,
        created_at=str(payload.get("created_at", "")),
        key_id=str(payload.get("key_id", "")),
    )
