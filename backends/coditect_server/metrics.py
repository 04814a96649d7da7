"""Prometheus metrics of one server process (``/metrics``).

With several workers (``coditect serve --workers N``) every worker writes its values to
files in ``$PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, which the
launcher turns on before it starts the workers) and ``/metrics``, whichever worker
answers it, adds up the files of all of them: counters and histograms of every worker
that ever ran, gauges of the live ones.

What is measured: requests and their latency per route template, method and status;
refusals by a rate limit (failed authentications per address, or a tenant's tier
budget); database connections in use; live-event (SSE) subscribers; the webhook outbox
lag (how long the oldest delivery a worker claimed had been due; the largest over the
live workers).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy.ext.asyncio import AsyncEngine

#: The environment variable that puts prometheus_client in multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Latency buckets (seconds): the list endpoint answers in ~1-5 ms on a quiet machine.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
#: The rate limits a refusal is counted against.
FAILED_AUTH = "failed_auth"
TENANT_TIER = "tenant_tier"


def multiprocess_dir() -> str | None:
    """The multiprocess directory, when prometheus_client runs in that mode."""
    return os.environ.get(MULTIPROC_ENV) or None


class NullMetrics:
    """Metrics switched off: every method does nothing."""

    enabled = False

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request (see :meth:`Metrics.request`)."""

    def refused(self, limit: str) -> None:
        """Count one refusal by a rate limit (see :meth:`Metrics.refused`)."""

    def subscribers(self, change: int) -> None:
        """Add ``change`` to the live-event subscribers (see :meth:`Metrics.subscribers`)."""

    def outbox_lag(self, seconds: float) -> None:
        """Set the webhook outbox lag (see :meth:`Metrics.outbox_lag`)."""

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Follow ``engine``'s connections (see :meth:`Metrics.watch_pool`)."""

    def render(self) -> bytes:
        """Nothing to show."""
        return b""


class Metrics(NullMetrics):
    """The metrics of one app.

    In one process each app has a registry of its own (tests run several apps side by
    side); in multiprocess mode the values live in the shared directory and
    :meth:`render` reads all of it.
    """

    enabled = True

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        self.registry = CollectorRegistry()
        own = None if self.multiprocess else self.registry
        labels = ("method", "route", "status")
        self._requests = Counter(
            "coditect_http_requests",
            "HTTP requests answered, by route template, method and status.",
            labels,
            registry=own,
        )
        self._latency = Histogram(
            "coditect_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self._refusals = Counter(
            "coditect_rate_limit_refusals",
            "Requests refused by a rate limit (failed_auth: failed authentications per "
            "client address; tenant_tier: the tenant's tier budget).",
            ("limit",),
            registry=own,
        )
        self._pool = Gauge(
            "coditect_db_pool_in_use",
            "Database connections checked out of the pool.",
            registry=own,
            multiprocess_mode="livesum",
        )
        self._subscribers = Gauge(
            "coditect_sse_subscribers",
            "Open live-event (SSE) streams.",
            registry=own,
            multiprocess_mode="livesum",
        )
        self._outbox_lag = Gauge(
            "coditect_webhook_outbox_lag_seconds",
            "How long the oldest webhook delivery claimed in the last round had been due "
            "(0 when none was due).",
            registry=own,
            multiprocess_mode="livemax",
        )
        for limit in (FAILED_AUTH, TENANT_TIER):
            self._refusals.labels(limit)  # shown as 0 before the first refusal
        #: (method, route, status) -> (counter child, histogram child): labels() takes a
        #: lock and builds a key on every call
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        #: the pools whose checked-out connections the gauge shows
        self._pools: list[Any] = []

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request.

        Args:
            method: the HTTP method.
            route: the route template (``/api/v1/projects/{project_id}``), never the raw
                path (which would make a series per id).
            status: the answer's status code.
            seconds: how long it took.
        """
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = (self._requests.labels(*labels), self._latency.labels(*labels))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if self._pools:
            self._read_pools()

    def _read_pools(self) -> None:
        self._pool.set(sum(pool.checkedout() for pool in self._pools))

    def refused(self, limit: str) -> None:
        """Count one refusal by the rate limit ``limit`` (:data:`FAILED_AUTH` or
        :data:`TENANT_TIER`)."""
        self._refusals.labels(limit).inc()

    def subscribers(self, change: int) -> None:
        """Add ``change`` (+1 or -1) to the open live-event streams."""
        self._subscribers.inc(change)

    def outbox_lag(self, seconds: float) -> None:
        """Set the webhook outbox lag: seconds the oldest delivery the worker just claimed
        had been due (0 when nothing was due)."""
        self._outbox_lag.set(seconds)

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Show ``engine``'s checked-out connections, read when each request ends and
        when ``/metrics`` is rendered (pool checkout/checkin events cost more: a few
        per request, in the pool's hot path)."""
        pool = engine.sync_engine.pool
        if callable(getattr(pool, "checkedout", None)) and pool not in self._pools:
            self._pools.append(pool)

    def render(self) -> bytes:
        """The exposition text of every metric (all workers' in multiprocess mode)."""
        if self._pools:
            self._read_pools()
        if not self.multiprocess:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


def make_metrics(enabled: bool) -> NullMetrics:
    """:class:`Metrics` when ``enabled``, else the do-nothing :class:`NullMetrics`."""
    return Metrics() if enabled else NullMetrics()


def forget_worker(pid: int) -> None:
    """Drop the gauges of a worker that ended (multiprocess mode; its counters stay)."""
    directory = multiprocess_dir()
    if directory is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, directory)
