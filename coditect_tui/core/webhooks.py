"""Webhooks: subscriptions, deliveries, the Standard Webhooks signature and the retry plan.

UI-free and backend-free: the models of the contract (``WebhooksApi``), the signing and
verification of a delivery (https://www.standardwebhooks.com: ``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``
with a ``whsec_<base64>`` secret), which events a subscription's filter matches, and when
a failed delivery is tried again (exponential backoff with jitter).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from coditect_tui.core import limits
from coditect_tui.core.models import Model

#: What a secret starts with (Standard Webhooks); the rest is base64 of 32 random bytes.
SECRET_PREFIX = "whsec_"
#: Longest subscription URL accepted.
URL_MAX = 2000
#: Most event patterns one subscription may hold.
PATTERNS_MAX = 50
#: A delivery is tried at most this many times (over 4 to 8 hours with :func:`retry_delay`).
MAX_ATTEMPTS = 15
#: A subscription is disabled after this many failed attempts in a row (any delivery).
DISABLE_AFTER = 20
#: The first retry waits about this long (seconds); each further one twice as long.
BASE_DELAY = 30.0
#: No wait is longer than this (seconds).
MAX_DELAY = 3600.0

DeliveryState = Literal["pending", "delivered", "failed"]


class WebhookSpec(Model):
    """What an admin gives to subscribe a URL to the tenant's events.

    Attributes:
        url: where deliveries are POSTed (http or https; no credentials in it).
        events: shell-style patterns of audit event names (``projects.*``, ``*.delete``,
            ``*`` for everything); an event matching any one is delivered.
        description: free text for people.
    """

    url: str = Field(min_length=8, max_length=URL_MAX)
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=PATTERNS_MAX)
    description: str = Field(default="", max_length=500)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        check_url_form(value)
        return value

    @field_validator("events")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern or len(pattern) > limits.ACTION or not pattern.isprintable():
                raise ValueError(f"invalid event pattern {pattern[:40]!r}")
        return value


class WebhookInfo(Model):
    """A subscription as listed: never its secret."""

    id: str
    url: str
    events: list[str]
    description: str
    created_by: str
    created_at: datetime
    enabled: bool
    #: why it was disabled (None while enabled)
    disabled_reason: str | None = None
    #: failed attempts in a row (reset by a success)
    failures: int = 0


class NewWebhook(Model):
    """A freshly created subscription. ``secret`` (``whsec_…``) is shown this once."""

    info: WebhookInfo
    secret: str


class WebhookDelivery(Model):
    """One event on its way to one subscription: a line of the delivery log.

    ``id`` is the ``webhook-id`` header of every attempt, so a receiver can drop
    duplicates (delivery is at least once).
    """

    id: str
    subscription_id: str
    event_seq: int
    event: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


def check_url_form(url: str) -> None:
    """Refuse a URL that is not ``http(s)://host[:port]/…`` without credentials.

    Where the host points (private ranges) is the server's check, at subscription and at
    delivery time.

    Raises:
        ValueError: the scheme, host, port or userinfo is not acceptable.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("the URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry credentials (use the signature)")
    if port == 0 or not url.isprintable() or any(ch.isspace() for ch in url):
        raise ValueError("the URL has an invalid port or characters")


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of a delivery.

    Args:
        secret: the subscription's ``whsec_`` secret.
        msg_id: the delivery's id (``webhook-id``).
        timestamp: Unix seconds (``webhook-timestamp``).
        body: the exact bytes POSTed.

    Returns:
        ``v1,<base64 HMAC-SHA256 over "id.timestamp.body">``.
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str, msg_id: str, timestamp: str, body: bytes, header: str, *, now: int, tolerance: int
) -> bool:
    """Whether ``header`` holds a valid signature of the delivery (what a receiver does).

    Args:
        secret: the subscription's secret.
        msg_id: the ``webhook-id`` header.
        timestamp: the ``webhook-timestamp`` header.
        body: the received bytes.
        header: the ``webhook-signature`` header (space-separated ``v1,…`` entries).
        now: the receiver's Unix time.
        tolerance: seconds the timestamp may differ from ``now`` (replay window).
    """
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = sign(secret, msg_id, stamp, body)
    return any(hmac.compare_digest(expected, part) for part in header.split())


def matches(patterns: Sequence[str], event: str) -> bool:
    """Whether the audit event name ``event`` matches one of ``patterns`` (shell-style,
    case-sensitive)."""
    return any(fnmatchcase(event, pattern) for pattern in patterns)


def retry_delay(attempt: int, jitter: float) -> float:
    """Seconds to wait before the attempt after the ``attempt``-th failed one.

    Exponential (:data:`BASE_DELAY` doubled per attempt, at most :data:`MAX_DELAY`) with
    "equal jitter": between half and all of that, so receivers that failed together are
    not retried together.

    Args:
        attempt: failed attempts so far (1 after the first).
        jitter: a number in [0, 1) (the caller's random source, injectable in tests).
    """
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempt - 1))
    return ceiling / 2 + ceiling / 2 * jitter
