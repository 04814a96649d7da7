"""The app factory uvicorn imports in each worker (``coditect serve``): configuration comes
from the environment, so ``--workers N`` processes all build the same app.

Variables: ``CODITECT_SERVE_DB`` (required), ``CODITECT_SERVE_POOL`` (connections per
worker, default 10), the ``/api/v1`` deprecation's (deprecation.py),
``CODITECT_SERVE_ACCESS_LOG`` (``off``: no JSON request lines on
stderr), ``CODITECT_SERVE_METRICS`` (``off``: no ``/metrics``),
``CODITECT_METRICS_TOKEN`` (the bearer token ``/metrics`` requires; unset: only loopback
clients may read it), ``CODITECT_SERVE_PLUGINS`` (the ``plugins`` settings as JSON; unset:
no plugins).
clients may read it), ``CODITECT_SERVE_WEBHOOK_ALLOW`` (comma-separated networks webhooks
may reach although private or loopback), ``CODITECT_SERVE_WEBHOOK_LEASE`` and
``CODITECT_SERVE_WEBHOOK_POLL`` (seconds: how long a claimed delivery stays claimed, and
between looks at an empty outbox), ``CODITECT_SERVE_API_CALLS_FLUSH`` (seconds between
additions of the API call counts to the database; api_calls.py). The store reads
``CODITECT_SECRETS_KEY_FILE`` (the key that seals webhook secrets;
``coditect_store.secrets_key``).

With several workers, the metrics of all of them are added up through
``$PROMETHEUS_MULTIPROC_DIR``: :func:`serve` sets it to a fresh directory of its own
unless it is set already (then it empties it of metric files first).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI

from coditect_server import api_calls, deprecation, outbound
from coditect_server.app import create_app
from coditect_server.gc_tuning import tune_for_serving
from coditect_server.metrics import MULTIPROC_ENV, forget_worker
from coditect_server.state import ServerConfig
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.plugins.hub import settings_from_env

DB_ENV = "CODITECT_SERVE_DB"
POOL_ENV = "CODITECT_SERVE_POOL"
ACCESS_LOG_ENV = "CODITECT_SERVE_ACCESS_LOG"
METRICS_ENV = "CODITECT_SERVE_METRICS"
METRICS_TOKEN_ENV = "CODITECT_METRICS_TOKEN"
#: the platform administrators, ``tenant/principal`` separated by commas (ServerConfig)
PLATFORM_ADMINS_ENV = "CODITECT_PLATFORM_ADMINS"


def platform_admins_from_env(value: str | None) -> frozenset[str]:
    """The ``tenant/principal`` entries of ``$CODITECT_PLATFORM_ADMINS``.

    Raises:
        ConfigError: an entry is not ``tenant/principal``.
    """
    entries = frozenset(e.strip() for e in (value or "").split(",") if e.strip())
    for entry in entries:
        tenant, _, principal = entry.partition("/")
        if not tenant or not principal:
            raise ConfigError(f"{PLATFORM_ADMINS_ENV}: {entry!r} is not tenant/principal")
    return entries


def app_from_env() -> FastAPI:
    """The app for ``$CODITECT_SERVE_DB`` (uvicorn ``factory=True`` entry point)."""
    db = os.environ.get(DB_ENV)
    if not db:
        raise RuntimeError(f"{DB_ENV} is not set (start the server with `coditect serve`)")
    pool = int(os.environ.get(POOL_ENV, "10"))
    quiet = os.environ.get(ACCESS_LOG_ENV, "").strip().lower() == "off"
    metrics = os.environ.get(METRICS_ENV, "").strip().lower() != "off"
    hooks = outbound.webhook_env()
    return create_app(
        ServerConfig(
            db=db,
            pool_size=pool,
            access_log=None if quiet else sys.stderr,
            metrics=metrics,
            metrics_token=os.environ.get(METRICS_TOKEN_ENV) or None,
            api_v1_deprecation=deprecation.from_env(),
            plugins=settings_from_env(os.environ),
            webhook_allow_networks=hooks.allow_networks,
            webhook_lease=hooks.lease,
            webhook_poll_interval=hooks.poll_interval,
            platform_admins=platform_admins_from_env(os.environ.get(PLATFORM_ADMINS_ENV)),
            api_calls_flush=api_calls.interval_from_env(),
        )
    )


def tcp_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket for one worker (SO_REUSEPORT: the kernel spreads connections
    over the workers that bind the same port).

    Created with ``IPPROTO_TCP`` so asyncio turns TCP_NODELAY on for accepted connections
    (uvicorn's own multi-worker socket has protocol 0, which leaves Nagle's algorithm on
    and costs ~40 ms per keep-alive response with delayed ACKs).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_worker(host: str, port: int, log_level: str) -> None:
    """One uvicorn worker serving ``app_from_env`` on its own SO_REUSEPORT socket."""
    import uvicorn

    config = uvicorn.Config(
        "coditect_server.main:app_from_env",
        factory=True,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    config.load()  # import and build the app now, so its objects are frozen below
    tune_for_serving()
    uvicorn.Server(config).run(sockets=[tcp_socket(host, port)])


@contextlib.contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """``$PROMETHEUS_MULTIPROC_DIR`` for the workers: the operator's (emptied of metric
    files from an earlier run) or a fresh one, removed afterwards."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="coditect-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Run ``workers`` worker processes until SIGINT/SIGTERM (then stop them all)."""
    if workers == 1:
        run_worker(host, port, log_level)
        return
    with shared_metrics_dir():
        _serve_workers(host, port, workers, log_level)


def _serve_workers(host: str, port: int, workers: int, log_level: str) -> None:
    import multiprocessing
    import signal

    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=run_worker, args=(host, port, log_level), daemon=False)
        for _ in range(workers)
    ]
    for child in children:
        child.start()
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGINT)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while any(child.is_alive() for child in children):
            for child in children:
                child.join(0.5)
                if not child.is_alive() and child.pid is not None:
                    forget_worker(child.pid)
            if not stopping and any(not c.is_alive() for c in children):
                stop(signal.SIGTERM, None)  # one worker died: take the others down too
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
