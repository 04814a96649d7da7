"""Fixtures of the tenant API tests: a throw-away PostgreSQL database, a real server on it,
and keys made the way an operator bootstraps a tenant (``coditect keys create --db``)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from coditect_server.app import create_app
from coditect_server.state import ServerConfig
from coditect_store.base import Provision
from coditect_store.engine import is_postgres_url
from coditect_store.store import SqlStore
from coditect_tui.core.models import utcnow
from tests.pg import (
    PgDatabase,
    ServerProcess,
    create_database,
    drop_database,
    listening_socket,
    run_sync,
)
from tests.server.receiver import Receiver


@pytest.fixture(scope="session")
def pg_db() -> Iterator[PgDatabase]:
    """A migrated database for this session's server tests (dropped afterwards)."""
    db = run_sync(create_database)
    try:
        yield db
    finally:
        run_sync(lambda: drop_database(db))


@pytest.fixture
def own_db() -> Iterator[PgDatabase]:
    """A database of this test alone: no other test's worker sends its outbox, and its
    migrations see no other test's rows."""
    db = run_sync(create_database)
    try:
        yield db
    finally:
        run_sync(lambda: drop_database(db))


@pytest.fixture(scope="session")
def pg_server(
    pg_db: PgDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """`coditect serve` (uvicorn) on 127.0.0.1 over ``pg_db``."""
    server = ServerProcess(pg_db.app_url, tmp_path_factory.mktemp("pg-server"))
    try:
        yield server
    finally:
        server.stop()


@dataclass
class TenantKeys:
    """A fresh tenant and API keys of its members, by role."""

    name: str
    keys: dict[str, str]
    ids: dict[str, str]


def unique(prefix: str) -> str:
    """A tenant name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def open_db(db: str, tenant: str, principal: str, *, tier: str = "internal") -> SqlStore:
    """The store on a server's database as ``principal`` (creating the tenant as owner)."""
    provision = Provision(display_name=tenant, tier=tier, role="owner")
    if is_postgres_url(db):
        store: SqlStore = await SqlStore.open_postgres(
            db, tenant=tenant, principal=principal, provision=provision
        )
    else:
        store = await SqlStore.open_sqlite(
            db, tenant=tenant, principal=principal, provision=provision
        )
    return store


#: head rewrites the app role must be refused (statement, arguments): in place at the same
#: seq, and forward onto no event
HEAD_REWRITES: tuple[tuple[str, tuple[object, ...]], ...] = (
    ("UPDATE audit_heads SET hash = $1", ("f" * 64,)),
    ("UPDATE audit_heads SET seq = seq", ()),
    ("UPDATE audit_heads SET seq = seq + 1, hash = $1", ("f" * 64,)),
)


async def assert_head_rewrites_refused(
    url: str, tid: str, rewrites: tuple[tuple[str, tuple[object, ...]], ...] = HEAD_REWRITES
) -> None:
    """Each of ``rewrites``, run at ``url`` acting in the tenant ``tid``, is refused by the
    audit head trigger."""
    conn = await asyncpg.connect(url)
    try:
        for statement, args in rewrites:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", tid)
                    await conn.execute(statement, *args)
    finally:
        await conn.close()


async def make_tenant(
    db: str,
    name: str,
    roles: dict[str, str],
    *,
    tier: str = "internal",
    expires: dict[str, datetime] | None = None,
) -> TenantKeys:
    """A tenant whose owner "owner" adds members (principal -> role) and makes their keys."""
    owner = await open_db(db, name, "owner", tier=tier)
    keys: dict[str, str] = {}
    ids: dict[str, str] = {}
    try:
        new = await owner.create_api_key()
        keys["owner"], ids["owner"] = new.secret, new.info.id
        for principal, role in roles.items():
            # a grant that outlasts any key of these tests, where the role needs one
            grant = utcnow() + timedelta(days=365) if role == "auditor" else None
            await owner.add_member(principal, role, expires_at=grant)
            new = await owner.create_api_key(
                principal=principal, expires_at=(expires or {}).get(principal)
            )
            keys[principal], ids[principal] = new.secret, new.info.id
    finally:
        await owner.close()
    return TenantKeys(name, keys, ids)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that verifies signatures (receiver.py)."""
    hook = Receiver()
    try:
        yield hook
    finally:
        hook.close()


class ThreadServer:
    """A real uvicorn on 127.0.0.1 that can be stopped and started again on its port
    (``config``: more ``ServerConfig`` fields)."""

    def __init__(self, db: Path, **config: Any) -> None:
        self.db = db
        self.config = config
        # the first start serves on this socket, so the port cannot be taken before it
        self.first_socket: socket.socket | None = listening_socket()
        self.port = int(self.first_socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.serving_socket: socket.socket | None = None
        self.instance: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(ServerConfig(db=str(self.db), **self.config)),
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            timeout_graceful_shutdown=1,
        )
        self.instance = uvicorn.Server(config)
        # a restart binds the port again: it has been free since stop()
        self.serving_socket, self.first_socket = self.first_socket, None
        sockets = [self.serving_socket] if self.serving_socket is not None else None
        self.thread = threading.Thread(
            target=self.instance.run, kwargs={"sockets": sockets}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.instance.started:
            assert self.thread.is_alive(), f"uvicorn could not serve on port {self.port}"
            assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.instance is not None and self.thread is not None
        self.instance.should_exit = True
        self.instance.force_exit = True
        self.thread.join(10)
        if self.serving_socket is not None:  # uvloop serves on a duplicate of it
            self.serving_socket.close()
            self.serving_socket = None


@pytest.fixture
def thread_server(tmp_path: Path) -> Iterator[ThreadServer]:
    instance = ThreadServer(tmp_path / "server.db")
    instance.start()
    try:
        yield instance
    finally:
        if instance.thread is not None and instance.thread.is_alive():
            instance.stop()
        for sock in (instance.first_socket, instance.serving_socket):
            if sock is not None:
                sock.close()
