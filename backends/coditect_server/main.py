"""The app factory uvicorn imports in each worker (``coditect serve``): configuration comes
from the environment, so ``--workers N`` processes all build the same app.

Variables: ``CODITECT_SERVE_DB`` (required), ``CODITECT_SERVE_POOL`` (connections per
worker, default 10).
"""

from __future__ import annotations

import os
import socket

from fastapi import FastAPI

from coditect_server.app import create_app
from coditect_server.gc_tuning import tune_for_serving
from coditect_server.state import ServerConfig

DB_ENV = "CODITECT_SERVE_DB"
POOL_ENV = "CODITECT_SERVE_POOL"


def app_from_env() -> FastAPI:
    """The app for ``$CODITECT_SERVE_DB`` (uvicorn ``factory=True`` entry point)."""
    db = os.environ.get(DB_ENV)
    if not db:
        raise RuntimeError(f"{DB_ENV} is not set (start the server with `coditect serve`)")
    pool = int(os.environ.get(POOL_ENV, "10"))
    return create_app(ServerConfig(db=db, pool_size=pool))


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


def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Run ``workers`` worker processes until SIGINT/SIGTERM (then stop them all)."""
    if workers == 1:
        run_worker(host, port, log_level)
        return
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
            if not stopping and any(not c.is_alive() for c in children):
                stop(signal.SIGTERM, None)  # one worker died: take the others down too
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
