"""Operator tokens: short-lived credentials minted with the server's operator secret.

The platform operator who runs a tenant API (and so already holds the database owner's
credentials) can act as a principal of a tenant without creating an API key in it, e.g.
to bootstrap or to run automated checks. A token reads ``cdt_opr_<claims>.<mac>`` where
claims is base64url JSON ``{"t": tenant, "p": principal, "r": role, "exp": unix time}``
and mac its HMAC-SHA256 under the secret. The server accepts one only when it was started
with a secret (``$CODITECT_OPERATOR_SECRET_FILE``), the token has not expired, lives at
most :data:`MAX_TTL` seconds, and the principal is still a member of the tenant with a role
at least as broad as the token's. It is otherwise treated exactly like an API key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import orjson

PREFIX = "cdt_opr_"
#: Longest lifetime of an operator token (seconds).
MAX_TTL = 3600


class TokenError(ValueError):
    """The token is malformed, forged or expired (the message says which)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(
    secret: bytes,
    *,
    tenant: str,
    principal: str,
    role: str,
    ttl: float = 900,
    now: float | None = None,
) -> str:
    """A token for ``principal`` acting as ``role`` in ``tenant`` (by name) for ``ttl`` s.

    Raises:
        ValueError: ``ttl`` outside 1..MAX_TTL.
    """
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be within 1..{MAX_TTL} seconds")
    issued = time.time() if now is None else now
    claims = _b64(
        orjson.dumps({"t": tenant, "p": principal, "r": role, "exp": round(issued + ttl, 3)})
    )
    mac = _b64(hmac.new(secret, claims.encode(), hashlib.sha256).digest())
    return f"{PREFIX}{claims}.{mac}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> tuple[str, str, str, float]:
    """The (tenant, principal, role, expiry) a token carries.

    Raises:
        TokenError: malformed, bad signature, expired, or living longer than MAX_TTL.
    """
    if not token.startswith(PREFIX) or token.count(".") != 1:
        raise TokenError("malformed operator token")
    claims, mac = token[len(PREFIX) :].split(".")
    expected = _b64(hmac.new(secret, claims.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, mac):
        raise TokenError("operator token signature does not match")
    try:
        data = orjson.loads(_unb64(claims))
        tenant, principal, role, exp = data["t"], data["p"], data["r"], float(data["exp"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise TokenError("malformed operator token") from None
    if not all(isinstance(v, str) and v for v in (tenant, principal, role)):
        raise TokenError("malformed operator token")
    moment = time.time() if now is None else now
    if exp <= moment:
        raise TokenError("operator token expired")
    if exp - moment > MAX_TTL + 1:
        raise TokenError(f"operator token lives longer than {MAX_TTL} s")
    return tenant, principal, role, exp
