"""The door of ``/api/v1``: who is calling is settled before any byte of the body is read.

:class:`Gate` is a plain ASGI middleware. For every ``/api/v1`` request it first asks the
:class:`FailedAuthLimiter` whether the client's address may still try (429 with
``Retry-After`` when not, without touching the database), then authenticates the
``Authorization`` header (401 on failure, which spends one attempt of the address). Only an
authenticated request goes on: a declared ``Content-Length`` above its route's body limit
(FastAPI's ``max_body_size``, see routes.py) is refused here without reading the body, and
the route's limit cuts a chunked body off at the limit.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from coditect_server import problems
from coditect_server.auth import Unauthorized, authenticate
from coditect_server.metrics import FAILED_AUTH
from coditect_server.state import ServerState
from coditect_tui.core import api_keys as keyfmt
from coditect_tui.core.errors import BackendError

#: Where the gate leaves the request's :class:`~coditect_server.auth.Identity` in
#: ``scope["state"]`` (``request.state`` for the routes).
IDENTITY = "coditect_identity"
API_PREFIX = "/api/v1/"
#: The one /api/v1 route without a key: accepting an invitation (its token is the
#: credential). The failed-authentication limit still applies: a refused token spends an
#: attempt of the address through the callable left at ``JOIN_FAILED``.
JOIN_PATH = "/api/v1/join"
JOIN_FAILED = "coditect_join_failed"
#: Addresses remembered at most; beyond, the ones whose budget is whole are forgotten
#: first, then the least recently failed.
MAX_ADDRESSES = 65_536
_TRUE = (b"1", b"true", b"yes", b"on")


def unauthorized(detail: str, *, close: bool = False) -> Response:
    """The 401 problem (``WWW-Authenticate: Bearer``); ``close`` ends the connection, for
    a request whose body is left unread."""
    headers = {"WWW-Authenticate": 'Bearer realm="coditect"'}
    if close:
        headers["Connection"] = "close"
    return problems.problem(401, "unauthorized", detail, headers=headers)


def too_large(limit: int | None) -> Response:
    """The 413 problem of a body over a route's limit; it ends the connection, as the rest
    of that body is never read."""
    return problems.problem(
        413,
        "invalid_input",
        f"the request body is larger than this route accepts ({limit} bytes)",
        headers={"Connection": "close"},
    )


def client_key(client: tuple[str, int] | list[object] | None) -> str:
    """The address a failure is counted against: the peer's IPv4 address, or its IPv6
    /64 network (one host usually holds a whole /64)."""
    if not client:
        return "unknown"
    host = str(client[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass
class _Bucket:
    tokens: float
    at: float


class FailedAuthLimiter:
    """Failed authentications per client address: a token bucket of ``burst`` failures,
    refilled at ``per_minute``; an empty bucket refuses the address's requests (even with
    a valid key: telling them apart would cost the lookup this avoids).

    Args:
        burst: failures an address may make at once.
        per_minute: failures an address may make per minute, sustained.
        clock: the time in seconds (the server's clock, which tests move; a step back
            refills nothing and a step forward refills at most ``burst``).
        max_addresses: addresses remembered at most.
    """

    def __init__(
        self,
        *,
        burst: int,
        per_minute: float,
        clock: Callable[[], float],
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("the failed-authentication limit needs burst >= 1 and a rate > 0")
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_addresses = max_addresses
        self._buckets: dict[str, _Bucket] = {}

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may try again (0: it may now)."""
        bucket = self._buckets.get(address)
        if bucket is None:
            return 0.0
        level = self._level(bucket, self.clock())
        return 0.0 if level >= 1.0 else (1.0 - level) / self.rate

    def failed(self, address: str) -> None:
        """Spend one attempt of ``address``."""
        now = self.clock()
        bucket = self._buckets.pop(address, None)
        level = self.burst if bucket is None else self._level(bucket, now)
        self._buckets[address] = _Bucket(max(0.0, level - 1.0), now)  # newest last
        if len(self._buckets) > self.max_addresses:
            self._forget(now)

    def _forget(self, now: float) -> None:
        for address in [a for a, b in self._buckets.items() if self._level(b, now) >= self.burst]:
            del self._buckets[address]
        excess = len(self._buckets) - self.max_addresses // 2
        if excess > 0:  # still crowded: the least recently failed go
            for address in list(self._buckets)[:excess]:
                del self._buckets[address]


def _pending_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None  # uvicorn refuses a bad one
    return None


def _keyed(scope: Scope) -> bool:
    """Whether a join names its caller: an API key (of the key format) or a read-only
    request (``X-Coditect-Read-Only``). Such a join is authenticated like any request,
    and refused as the caller's when the caller is read-only (routes.py)."""
    for name, value in scope["headers"]:
        if name == b"x-coditect-read-only" and value.strip().lower() in _TRUE:
            return True
    _scheme, _, credential = (_authorization(scope) or "").partition(" ")
    return keyfmt.is_well_formed(credential.strip())


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class Gate:
    """ASGI middleware: failed-authentication limit and authentication of ``/api/v1``
    requests, before the app reads anything of the body.

    A declared ``Content-Length`` above the matching route's ``max_body_size`` is refused
    here (413 problem) rather than by the route: Starlette's limit would answer it in plain
    text, and only after a route that reads no body had done its work.

    Args:
        app: the app behind the gate.
        state: the server (database, key cache, clock).
        limiter: the failed-authentication limit (one per process).
        routes: the app's routes (their ``max_body_size`` is the limit).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        state: ServerState,
        limiter: FailedAuthLimiter,
        routes: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.state = state
        self.limiter = limiter
        self.routes = routes
        limits = [getattr(r, "max_body_size", None) for r in routes]
        #: below this, no route's limit is exceeded (no route lookup needed)
        self.smallest = min((n for n in limits if n is not None), default=None)

    def _limit(self, scope: Scope) -> int | None:
        for route in self.routes:
            match, _child = route.matches(scope)
            if match is Match.FULL:
                limit: int | None = getattr(route, "max_body_size", None)
                return limit
        return None  # no route: 404 or 405, with the body unread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        address = client_key(scope.get("client"))
        wait = self.limiter.retry_after(address)
        if wait > 0:
            self.state.metrics.refused(FAILED_AUTH)
            close = {"Connection": "close"} if _pending_body(scope) else None
            response = problems.problem(
                429,
                "rate_limited",
                f"too many failed authentications from this address; retry in {math.ceil(wait)} s",
                retry_after=wait,
                headers=close,
            )
            await response(scope, receive, send)
            return
        if scope["path"] == JOIN_PATH and not _keyed(scope):
            scope.setdefault("state", {})[JOIN_FAILED] = lambda: self.limiter.failed(address)
            await self.app(scope, receive, send)
            return
        try:
            identity = await authenticate(self.state, _authorization(scope))
        except Unauthorized as exc:
            self.limiter.failed(address)
            await unauthorized(str(exc), close=_pending_body(scope))(scope, receive, send)
            return
        except BackendError as exc:
            response = problems.from_error(exc)
            if _pending_body(scope):
                response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        self.state.api_calls.count(identity.tenant.id)  # in memory: no write per request
        scope.setdefault("state", {})[IDENTITY] = identity
        declared = _content_length(scope)
        if declared is not None and self.smallest is not None and declared > self.smallest:
            limit = self._limit(scope)
            if limit is not None and declared > limit:
                await too_large(limit)(scope, receive, send)
                return
        await self.app(scope, receive, send)
