"""One JSON line per request and the request metrics.

:class:`Observe` is a plain ASGI middleware (Starlette's BaseHTTPMiddleware would run
each request through extra tasks and streams). It gives every request an id (a safe
incoming ``X-Request-Id`` is kept, otherwise a new one), echoes it in the answer, and
when the answer is over writes one line::

    {"ts": "...", "request_id": "...", "method": "GET", "route": "/api/v1/projects",
     "status": 200, "duration_ms": 1.93, "tenant_id": "...", "key_id": "..."}

Only ids: the tenant's id and the id of the API key the principal authenticated with
(a member has no id but its name, which is not logged), never a name, a credential, a
query string or a body. ``route`` is the route template, not the raw path.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coditect_server.gate import IDENTITY
from coditect_server.metrics import NullMetrics

#: Where the request's id is left in ``scope["state"]``.
REQUEST_ID = "coditect_request_id"
HEADER = b"x-request-id"
#: An incoming id is kept only when it is this (no spaces, quotes or control characters
#: that could forge or break a log line).
SAFE_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
#: The route label of a request that matched no route (one series, not one per path).
UNMATCHED = "<unmatched>"
#: Methods named as they are; any other is "OTHER" (a client cannot make new series).
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def request_id(scope: Scope) -> str:
    """The request's ``X-Request-Id`` when it is safe, else a new random id."""
    for name, value in scope["headers"]:
        if name == HEADER:
            if SAFE_ID.fullmatch(value):
                return str(value.decode("ascii"))
            break
    return os.urandom(16).hex()  # uuid4().hex without building a UUID (a third the cost)


def route_template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that served (or would have served) the request."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in routes:  # refused before routing (401, 429, 413)
        match, _child = candidate.matches(scope)
        if match is not Match.NONE:
            found = getattr(candidate, "path", None)
            return found if isinstance(found, str) else UNMATCHED
    return UNMATCHED


class AccessLog:
    """Where the JSON lines go: a text stream (one ``write`` per line) or a logger
    (``info``); None: nowhere."""

    def __init__(self, target: TextIO | logging.Logger | None) -> None:
        self.target = target

    def write(self, record: dict[str, Any]) -> None:
        """Write one record as one line."""
        target = self.target
        if target is None:
            return
        line = orjson.dumps(record).decode()
        if isinstance(target, logging.Logger):
            target.info(line)
        else:
            target.write(line + "\n")


class Observe:
    """ASGI middleware: request id, access log line and metrics per request.

    Args:
        app: the app inside.
        log: where the lines go (:class:`AccessLog`).
        metrics: the request metrics (:class:`~coditect_server.metrics.NullMetrics`: off).
        routes: the app's routes (the template of a request refused before routing).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        log: AccessLog,
        metrics: NullMetrics,
        routes: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.log = log
        self.metrics = metrics
        self.routes = routes
        self.quiet = log.target is None and not metrics.enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.quiet:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id(scope)
        scope.setdefault("state", {})[REQUEST_ID] = rid
        header = (HEADER, rid.encode("ascii"))
        status = 500  # unless the app answers: an exception escaped it

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            self._finish(scope, rid, status, seconds)

    def _finish(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        route = route_template(scope, self.routes)
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        self.metrics.request(method, route, status, seconds)
        if self.log.target is None:
            return
        identity = scope["state"].get(IDENTITY)
        self.log.write(
            {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "request_id": rid,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000.0, 3),
                "tenant_id": identity.tenant.id if identity is not None else None,
                "key_id": identity.key_id if identity is not None else None,
            }
        )
