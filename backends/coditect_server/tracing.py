"""OpenTelemetry traces, only when configured.

FastAPI makes the spans itself (its native telemetry: one server span per request,
named by method and route template, its parent from an incoming ``traceparent``); this
module only decides whether it does. A server with an OTLP endpoint
(``ServerConfig.otlp_endpoint`` or the standard ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
``OTEL_EXPORTER_OTLP_ENDPOINT``) gets an SDK tracer provider sending them over
OTLP/HTTP; without one FastAPI's telemetry is switched off and the OpenTelemetry SDK is
never imported (FastAPI itself imports the small ``opentelemetry-api``, a dependency of
it). The SDK and exporter are the optional extra ``coditect-tui[otel]``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from coditect_tui.core.errors import ConfigError

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
SERVICE_NAME = "coditect-server"
#: FastAPI's telemetry when nothing is configured: off (no per-request work at all).
OFF: dict[str, Any] = {"tracing": False, "metrics": False, "logs": False}


def configured_endpoint(endpoint: str | None) -> str | None:
    """The OTLP endpoint to use: ``endpoint`` or the environment's, else None."""
    if endpoint:
        return endpoint
    for name in ENDPOINT_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


@dataclass
class Tracing:
    """The tracer provider FastAPI sends its spans to (``shutdown()`` sends what is
    left)."""

    provider: Any

    def fastapi_telemetry(self) -> dict[str, Any]:
        """FastAPI's ``telemetry`` setting: spans to this provider, no metrics or logs
        (those are Prometheus's and the access log's)."""
        return {**OFF, "tracing": True, "tracer_provider": self.provider}

    def shutdown(self) -> None:
        """Flush the spans not sent yet and stop the exporter."""
        self.provider.shutdown()


def start_tracing(endpoint: str | None, *, exporter: Any = None) -> Tracing | None:
    """Set up tracing when an endpoint is configured.

    Args:
        endpoint: the configured endpoint (None: the environment's, if any).
        exporter: a span exporter to use instead of OTLP/HTTP (tests).

    Returns:
        The tracing, or None when nothing is configured (and nothing was imported).

    Raises:
        ConfigError: configured, but the ``otel`` extra is not installed.
    """
    url = configured_endpoint(endpoint)
    if url is None and exporter is None:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError(
            "OpenTelemetry is configured (OTEL_EXPORTER_OTLP_ENDPOINT) but its packages are "
            "not installed: pip install 'coditect-tui[otel]'"
        ) from None
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        if url is not None and not url.rstrip("/").endswith("/v1/traces"):
            url = url.rstrip("/") + "/v1/traces"
        exporter = OTLPSpanExporter(endpoint=url)
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)
