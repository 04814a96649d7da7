"""The operator's endpoints: ``/livez`` (the process), ``/readyz`` (the database) and
``/metrics`` (Prometheus). They are not part of the tenant API, so not in its OpenAPI
document.

``/metrics`` names no tenant, but it tells request rates and routes: it wants the
configured bearer token (``ServerConfig.metrics_token``, ``$CODITECT_METRICS_TOKEN`` for
``coditect serve``) and, without one, answers only clients on the loopback address.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

import orjson
from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.responses import Response

from coditect_server import problems
from coditect_server.metrics import CONTENT_TYPE, NullMetrics
from coditect_server.state import ServerState


async def database_problem(state: ServerState) -> str | None:
    """Why the database does not answer ``SELECT 1`` within the readiness timeout, or
    None when it does."""
    try:
        async with asyncio.timeout(state.config.readiness_timeout):
            async with state.db.connect() as conn:
                await conn.execute(text("SELECT 1"))
                await conn.rollback()
    except TimeoutError:
        return f"database: no answer in {state.config.readiness_timeout:g} s"
    except Exception as exc:
        return f"database: {type(exc).__name__}"
    return None


def _loopback(request: Request) -> bool:
    client = request.scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: Request, token: str | None) -> bool:
    """Whether ``request`` may read ``/metrics``: the right bearer token when one is
    configured, else a loopback client."""
    if token is None:
        return _loopback(request)
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


_OK = orjson.dumps({"status": "ok"})


def add_probes(app: FastAPI, state: ServerState, metrics: NullMetrics) -> None:
    """Add ``/livez``, ``/readyz`` and (when metrics are on) ``/metrics`` to ``app``."""

    @app.get("/livez", include_in_schema=False)
    async def livez() -> Response:
        """The process serves (no database involved)."""
        return Response(_OK, media_type="application/json")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """The database answers (503 problem otherwise)."""
        why = await database_problem(state)
        if why is not None:
            return problems.problem(503, "unavailable", why)
        return Response(_OK, media_type="application/json")

    if not metrics.enabled:
        return

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        """The Prometheus exposition (token or loopback only, see the module)."""
        if not metrics_allowed(request, state.config.metrics_token):
            return problems.problem(403, "permission_denied", "metrics are not public")
        return Response(metrics.render(), media_type=CONTENT_TYPE)
