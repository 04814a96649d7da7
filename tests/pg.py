"""Throw-away PostgreSQL databases for the tests that need one.

Each test session creates uniquely named databases on the local server (127.0.0.1:5432,
trust authentication as ``postgres``), migrates them as the owner, connects the app as the
login role ``coditect_test_app`` (a member of ``coditect_app``: neither owner nor
BYPASSRLS) and drops them at the end. Nothing is reused between runs.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from coditect_store import migrate

HOST = "127.0.0.1"
PORT = 5432
SUPERUSER = "postgres"
APP_LOGIN = "coditect_test_app"

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
        """URL of the app role (member of coditect_app, not owner, no BYPASSRLS)."""
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


async def create_database(prefix: str = "coditect_test") -> PgDatabase:
    """A new, migrated database with the app login role able to use it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    db = PgDatabase(name)
    await migrate.upgrade_postgres(db.owner_url)
    conn = await asyncpg.connect(superuser_dsn())
    try:
        with contextlib.suppress(asyncpg.DuplicateObjectError):
            await conn.execute(f"CREATE ROLE {APP_LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS")
        await conn.execute(f"GRANT coditect_app TO {APP_LOGIN}")
    finally:
        await conn.close()
    return db


async def drop_database(db: PgDatabase) -> None:
    """Drop ``db`` (closing whatever is still connected)."""
    conn = await asyncpg.connect(superuser_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    finally:
        await conn.close()


OPERATOR_SECRET = b"coditect-tests-operator-secret-0123456789abcdef"


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``coditect serve`` in a subprocess on 127.0.0.1 (a real uvicorn)."""

    def __init__(
        self, db_url: str, workdir: Path, *, workers: int = 1, pool_size: int = 10
    ) -> None:
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        secret = workdir / "operator.secret"
        secret.write_bytes(OPERATOR_SECRET)
        secret.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CODITECT_")}
        env["CODITECT_OPERATOR_SECRET_FILE"] = str(secret)
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
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coditect serve exited: see {self.log.name}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("coditect serve did not become healthy in 30 s")
            time.sleep(0.1)

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
