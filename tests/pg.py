"""Throw-away PostgreSQL databases for the tests that need one.

Each test session creates uniquely named databases on the local server (127.0.0.1:5432,
trust authentication as ``postgres``), migrates them as the owner, connects the app as a
login role of its own (``coditect_test_app_<pid>_<random>``, a member of each database's
app role: neither owner nor BYPASSRLS) and drops them, their group roles, and that login
role, at the end. Nothing is reused
between runs, so several test runs can share the server at the same time: roles are
cluster-wide, hence one login role per run (each database has group roles of its own,
``migrate.deployment_roles``), and the cluster-wide steps (creating roles, granting them)
run one run at a time under an advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import uvicorn

from coditect_store import migrate

HOST = "127.0.0.1"
PORT = 5432
SUPERUSER = "postgres"
#: this run's app login role (roles are cluster-wide: a fixed name would be shared, and
#: dropped or re-granted, by concurrent runs)
APP_LOGIN = f"coditect_test_app_{os.getpid()}_{uuid.uuid4().hex[:8]}"
#: pg_advisory_lock key (in database "postgres") serializing cluster-wide changes
CLUSTER_LOCK = 0x636F6469  # "codi"

T = TypeVar("T")


def run_sync(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(work())  # type: ignore[arg-type]
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def superuser_dsn(database: str = "postgres") -> str:
    """asyncpg DSN of the superuser on ``database``."""
    return f"postgresql://{SUPERUSER}@{HOST}:{PORT}/{database}"


@dataclass
class PgDatabase:
    """A migrated throw-away database."""

    name: str

    @property
    def owner_url(self) -> str:
        """URL of the owner (the superuser that migrated it)."""
        return f"postgresql://{SUPERUSER}@{HOST}:{PORT}/{self.name}"

    @property
    def app_url(self) -> str:
        """URL of the app role (member of the database's app role, not owner, no BYPASSRLS)."""
        return f"postgresql://{APP_LOGIN}@{HOST}:{PORT}/{self.name}"

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Run ``query`` as the superuser (which bypasses RLS: for checks only)."""
        conn = await asyncpg.connect(self.owner_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def truncate_all(self) -> None:
        """Empty every table (between tests; the audit triggers are bypassed here only)."""
        conn = await asyncpg.connect(self.owner_url)
        try:
            tables = [
                r[0]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ]
            async with conn.transaction():
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        finally:
            await conn.close()


#: databases this process created and has not dropped yet (APP_LOGIN goes with the last)
_live_databases: set[str] = set()


@contextlib.asynccontextmanager
async def cluster_lock() -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection holding the cluster-wide advisory lock of the test runs."""
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", CLUSTER_LOCK)
        yield conn
    finally:
        await conn.close()  # releases the lock


async def create_database(prefix: str = "coditect_test") -> PgDatabase:
    """A new, migrated database with this run's app login role able to use it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    _live_databases.add(name)
    db = PgDatabase(name)
    # The migration creates cluster-wide roles; the login role is created and granted here.
    async with cluster_lock() as conn:
        await migrate.upgrade_postgres(db.owner_url)
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_LOGIN)
        if not exists:
            await conn.execute(f"CREATE ROLE {APP_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS")
        await conn.execute(f"GRANT {migrate.deployment_roles(name).app} TO {APP_LOGIN}")
    return db


async def drop_database(db: PgDatabase) -> None:
    """Drop ``db`` (closing whatever is still connected); with the process's last database,
    drop its app login role too."""
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        for role in migrate.deployment_roles(db.name):
            await conn.execute(f"DROP ROLE IF EXISTS {role}")
    finally:
        await conn.close()
    _live_databases.discard(db.name)
    if not _live_databases:
        async with cluster_lock() as conn:
            await conn.execute(f"DROP ROLE IF EXISTS {APP_LOGIN}")


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1).

    Racy by nature (another process may take it before it is bound again): prefer
    ``listening_socket`` for an in-process server and ``ServerProcess`` for a subprocess.
    """
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def listening_socket() -> socket.socket:
    """A socket listening on a free port of 127.0.0.1, for ``uvicorn.Server.run(sockets=)``:
    the port is never free between choosing it and serving on it. SO_REUSEADDR, as uvicorn
    sets it, so that the port can be bound again after a stop while old connections linger."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


def reserve_port() -> socket.socket:
    """A bound, not listening, socket holding a free port of 127.0.0.1 for ``ServerProcess``.

    With SO_REUSEADDR and SO_REUSEPORT set, ``coditect serve`` can still check the port and
    serve on it (it binds with both) while this is held, and nothing else takes the port in
    the meantime: no bind to port 0 and no outgoing connection picks a bound port. (A port
    from ``free_port`` could be picked by a concurrent test run too, and with SO_REUSEPORT
    the kernel would then share it between both servers, spreading connections over them.)
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((HOST, 0))
    return sock


#: how long ``coditect serve`` may take to answer /healthz (imports are slow on a busy machine)
STARTUP_TIMEOUT = 60.0


class ServerProcess:
    """``coditect serve`` in a subprocess on 127.0.0.1 (a real uvicorn)."""

    def __init__(
        self,
        db_url: str,
        workdir: Path,
        *,
        workers: int = 1,
        pool_size: int = 10,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.db_url = db_url
        self.reservation = reserve_port()
        self.port = int(self.reservation.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODITECT_")} | (env or {})
        self.log = (workdir / f"server-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "coditect_tui",
                "serve",
                "--db",
                db_url,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--pool-size",
                str(pool_size),
                *args,
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"coditect serve exited: see {self.log.name}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"coditect serve did not become healthy in {STARTUP_TIMEOUT:.0f} s"
                )
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server (one worker: the process is the worker) and reap it."""
        self.proc.kill()
        self.proc.wait()
        self.stop()

    def stop(self) -> None:
        """Terminate the server (and its workers) and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.reservation.close()


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 in a thread; yields its URL.

    Raises:
        RuntimeError: uvicorn did not start within 30 s.
    """
    config = uvicorn.Config(
        app, host=HOST, port=free_port(), log_level="error", timeout_graceful_shutdown=1
    )
    server = Uvicorn(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not server.startup_over.wait(30) or not server.started:
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://{HOST}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


class Uvicorn(uvicorn.Server):
    """A uvicorn that says when its start-up is over (it listens, or it gave up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.startup_over = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.startup_over.set()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets)
        finally:
            self.startup_over.set()  # it ended before or while starting up
