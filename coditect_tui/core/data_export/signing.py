"""Signing a tenant export: the audit checkpoint and a detached signature of SHA256SUMS.

Both use the audit signing key of :mod:`coditect_tui.core.checkpoints` (Ed25519, kept
outside the database); verification uses the local key, never one carried in the export.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coditect_tui.core.checkpoints import key_id

SIGNATURE_FORMAT = "coditect-export-signature/1"


def sign_sums(sums: bytes, key: Ed25519PrivateKey) -> bytes:
    """The detached signature file of the SHA256SUMS bytes ``sums``."""
    body = {
        "format": SIGNATURE_FORMAT,
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(key.sign(sums)).decode(),
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def check_sums_signature(
    sums: bytes, signature_file: bytes, public: Ed25519PublicKey
) -> str | None:
    """Why the signature file does not certify ``sums`` with ``public`` (None: it does)."""
    try:
        data: Any = orjson.loads(signature_file)
        if data.get("format") != SIGNATURE_FORMAT:
            return f"not a signature ({SIGNATURE_FORMAT} expected)"
        raw = base64.b64decode(data["signature"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
        return f"malformed signature ({type(exc).__name__})"
    try:
        public.verify(raw, sums)
    except InvalidSignature:
        return (
            f"signature does not verify with the signing key (key {key_id(public)}): "
            "forged or altered"
        )
    return None
