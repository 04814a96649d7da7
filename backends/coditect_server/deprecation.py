"""``Deprecation`` and ``Sunset`` headers on every ``/api/v1`` answer, when the operator
announces the version's end (docs/versioning.md).

Off unless ``CODITECT_API_V1_DEPRECATED`` is set. Then every response under ``/api/v1``
(errors and the gate's refusals included) carries ``Deprecation: @<epoch seconds>``
(RFC 9745), with ``CODITECT_API_V1_SUNSET`` also ``Sunset: <HTTP-date>`` (RFC 8594), and
with ``CODITECT_API_V1_DEPRECATION_LINK`` a ``Link: <url>; rel="deprecation"``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coditect_tui.core.errors import ConfigError

DEPRECATED_ENV = "CODITECT_API_V1_DEPRECATED"
SUNSET_ENV = "CODITECT_API_V1_SUNSET"
LINK_ENV = "CODITECT_API_V1_DEPRECATION_LINK"
#: the version the headers are about
PREFIX = "/api/v1"
_LINK = re.compile(r"https?://[!#-;=?-\[\]-~]+")  # printable ASCII, no space, quote, <, >, \


@dataclass(frozen=True)
class ApiDeprecation:
    """The announced end of ``/api/v1``.

    Attributes:
        deprecated_at: when it is (or was) deprecated.
        sunset_at: when it stops answering (None: not announced yet).
        link: a page about the migration (None: none).
    """

    deprecated_at: datetime
    sunset_at: datetime | None = None
    link: str | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response headers (ASGI form)."""
        found = [(b"deprecation", f"@{int(self.deprecated_at.timestamp())}".encode())]
        if self.sunset_at is not None:
            found.append((b"sunset", format_datetime(self.sunset_at, usegmt=True).encode()))
        if self.link is not None:
            found.append((b"link", f'<{self.link}>; rel="deprecation"'.encode()))
        return found


def parse_when(value: str, name: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (UTC when it names no zone).

    Raises:
        ConfigError: not an ISO date or date-time.
    """
    try:
        when = (
            datetime.combine(date.fromisoformat(value), datetime.min.time())
            if len(value) == 10
            else datetime.fromisoformat(value)
        )
    except ValueError:
        raise ConfigError(
            f"{name}: {value!r} is not an ISO date or date-time (e.g. 2027-01-31)"
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def from_env(environ: Mapping[str, str] | None = None) -> ApiDeprecation | None:
    """The deprecation the environment announces, or None.

    Args:
        environ: the variables (default: the process's).

    Raises:
        ConfigError: a bad date or link, a sunset or link without a deprecation date, or
            a sunset not after the deprecation.
    """
    env = os.environ if environ is None else environ
    deprecated, sunset, link = (env.get(n) or None for n in (DEPRECATED_ENV, SUNSET_ENV, LINK_ENV))
    if deprecated is None:
        if sunset or link:
            given = SUNSET_ENV if sunset else LINK_ENV
            raise ConfigError(f"{given} needs {DEPRECATED_ENV} (the deprecation date) too")
        return None
    found = ApiDeprecation(
        deprecated_at=parse_when(deprecated, DEPRECATED_ENV),
        sunset_at=parse_when(sunset, SUNSET_ENV) if sunset else None,
        link=link,
    )
    if found.sunset_at is not None and found.sunset_at <= found.deprecated_at:
        raise ConfigError(f"{SUNSET_ENV} must be after {DEPRECATED_ENV}")
    if link is not None and not _LINK.fullmatch(link):
        raise ConfigError(f"{LINK_ENV}: not an http(s) URL of printable characters")
    return found


class DeprecationHeaders:
    """ASGI middleware: the headers of ``deprecation`` on every answer under ``/api/v1``."""

    def __init__(self, app: ASGIApp, *, deprecation: ApiDeprecation) -> None:
        self.app = app
        self.extra = deprecation.headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *self.extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
