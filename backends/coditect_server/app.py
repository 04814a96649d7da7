"""The ASGI app: ``create_app(ServerConfig(db=...))``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import Response

from coditect_server import problems
from coditect_server.access import AccessLog, Observe
from coditect_server.auth import Unauthorized
from coditect_server.deprecation import DeprecationHeaders
from coditect_server.gate import FailedAuthLimiter, Gate, too_large, unauthorized
from coditect_server.metrics import make_metrics
from coditect_server.plugins import start_plugins
from coditect_server.probes import add_probes, database_problem
from coditect_server.routes import document_auth, document_values, router
from coditect_server.schemas import Health
from coditect_server.state import ServerConfig, ServerState
from coditect_server.tracing import OFF, start_tracing
from coditect_tui import __version__
from coditect_tui.core.errors import BackendError


async def _unauthorized(_request: Request, exc: Exception) -> Response:
    return unauthorized(str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors as problems; a chunked body cut off at the route's limit
    (413) also ends the connection."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 413:
        return await problems.http_error_handler(request, exc)
    return too_large(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY))


def create_app(config: ServerConfig | None = None, *, state: ServerState | None = None) -> FastAPI:
    """The tenant API.

    Args:
        config: how to run (database, secrets). Ignored when ``state`` is given.
        state: an already created state (tests start it themselves; ASGI transports do
            not run lifespans). Started on the app's start-up when not started yet.

    Returns:
        The FastAPI app; ``/api/v1`` routes, ``/healthz``, ``/livez``, ``/readyz``,
        ``/metrics``, ``/openapi.json``, ``/docs``.

    Raises:
        ConfigError: tracing is configured but the ``otel`` extra is not installed.
    """
    if state is None:
        if config is None:
            raise ValueError("create_app needs a config or a state")
        state = ServerState(config)
    server_state = state
    metrics = make_metrics(state.config.metrics)
    state.metrics = metrics
    if state.engine is not None:
        metrics.watch_pool(state.engine)
    tracing = start_tracing(state.config.otlp_endpoint)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        started_here = server_state.engine is None
        await server_state.start()
        plugins = await start_plugins(server_state.config.plugins)
        try:
            yield
        finally:
            await plugins()
            if started_here:
                await server_state.stop()
            if tracing is not None:
                tracing.shutdown()

    app = FastAPI(
        title="CODITECT tenant API",
        version=__version__,
        lifespan=lifespan,
        telemetry=OFF if tracing is None else tracing.fastapi_telemetry(),  # type: ignore[arg-type]
        description="The Backend interface of CODITECT TUI over HTTP: one principal in one "
        "tenant per API key. Errors are problem+json with the typed error's "
        "code. Writes honour Idempotency-Key.",
    )
    app.state.coditect = server_state
    # The routes join the app's own router instead of app.include_router(router): FastAPI
    # matches an included router's routes twice per request, about a tenth of the list
    # endpoint's CPU (bench/bench_api.py). /openapi.json is the same either way (tested).
    app.router.routes.extend(router.routes)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            schema = generate_openapi()  # FastAPI keeps it as app.openapi_schema
            document_auth(schema)
            document_values(schema, list(server_state.policy.roles))
        return schema

    # Replacing app.openapi is FastAPI's documented way to extend the schema; mypy
    # refuses any assignment to a method.
    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(BackendError, problems.backend_error_handler)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(RequestValidationError, problems.validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, problems.unexpected_handler)
    limiter = FailedAuthLimiter(
        burst=server_state.config.auth_failure_burst,
        per_minute=server_state.config.auth_failures_per_minute,
        clock=lambda: server_state.now().timestamp(),
    )
    app.add_middleware(Gate, state=server_state, limiter=limiter, routes=app.router.routes)
    # outermost of ours: it times the gate too, and sees the identity the gate found
    app.add_middleware(
        Observe,
        log=AccessLog(state.config.access_log),
        metrics=metrics,
        routes=app.router.routes,
    )
    add_probes(app, server_state, metrics)
    deprecation = server_state.config.api_v1_deprecation
    if deprecation is not None:  # outermost: the gate's refusals carry the headers too
        app.add_middleware(DeprecationHeaders, deprecation=deprecation)

    @app.get("/healthz", response_model=Health, operation_id="healthz", tags=["health"])
    async def healthz() -> Response:
        """The process serves and the database answers (503 otherwise); with the
        server's version. Probes: /livez and /readyz (probes.py)."""
        why = await database_problem(server_state)
        if why is not None:
            return problems.problem(503, "unavailable", why)
        kind = "postgresql" if server_state.postgres else "sqlite"
        return Response(
            Health(status="ok", database=kind, version=__version__).model_dump_json(),
            media_type="application/json",
        )

    return app
