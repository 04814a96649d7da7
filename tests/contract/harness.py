"""Backend harnesses: how the contract suite opens each backend implementation.

A harness opens a backend for (tenant, principal, role), creating the tenant and the
membership when needed, exactly as an operator or an admin would for that backend. The
contract tests only ever talk to the Backend interface.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

from coditect_remote.client import RemoteBackend
from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState
from coditect_store.base import Provision
from coditect_store.rows import new_id
from coditect_store.store import SqlStore
from coditect_tui.core import api_keys as keyfmt
from coditect_tui.core.backend import Backend
from coditect_tui.core.models import format_ts, utcnow
from coditect_tui.core.policy import shipped_policy
from coditect_tui.core.webhooks import WebhookSpec
from tests.pg import PgDatabase, run_sync

#: A subscription the contract tests add: a public address given literally (no DNS), and
#: a filter no event matches, so no server of the suite ever sends anything.
QUIET_WEBHOOK = WebhookSpec(url="https://1.1.1.1/coditect-contract", events=["nothing.matches"])

#: "now" as an aware UTC datetime; tests pass one they move (expiry without waiting)
Clock = Callable[[], datetime]


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, step: timedelta) -> None:
        self.now += step


class Harness(Protocol):
    """What the contract suite needs from a backend implementation."""

    name: str

    async def open(
        self,
        tenant: str,
        principal: str,
        role: str = "owner",
        *,
        read_only: bool = False,
        tier: str = "internal",
        clock: Clock | None = None,
        platform_admin: bool = False,
    ) -> Backend:
        """A backend for ``principal`` acting as ``role`` in ``tenant``; ``clock`` (aware UTC
        "now") is what expiry is checked against (the store's, or the server's);
        ``platform_admin``: designated a platform administrator as the deployment does
        (the store's opening flag, the server's ``platform_admins``; the real server of
        remote-pg designates ``ops/root`` only)."""
        ...

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        """Every stored row of every table, to prove what did (not) change; but the
        server's API call counts (``api_calls``), which each server process flushes on
        its own schedule and when it stops."""
        ...

    def tenant_of(self, table: str, row_id: str) -> str | None:
        """The tenant id that owns ``row_id`` in ``table`` (for isolation checks)."""
        ...


_KEY_COLUMNS = (
    "id",
    "principal",
    "role",
    "prefix",
    "key_hash",
    "created_by",
    "created_at",
    "expires_at",
    "revoked_at",
)


def harness_key(principal: str, role: str) -> tuple[str, dict[str, Any]]:
    """A new API key of ``principal`` with ``role`` and its ``api_keys`` row (without the
    tenant), as the store would make it. The remote harnesses write the row directly, as
    the database's owner could: the key acts exactly like one made through the API, so
    ``list_api_keys`` shows it; contract tests count keys relative to the ones present."""
    policy = shipped_policy()
    secret = keyfmt.new_key("aud" if policy.is_read_only(role) else "usr")
    now = utcnow()
    expires = now + timedelta(days=1) if policy.role(role).requires_key_expiry else None
    row = {
        "id": new_id(),
        "principal": principal,
        "role": role,
        "prefix": keyfmt.display_prefix(secret),
        "key_hash": keyfmt.key_hash(secret),
        "created_by": principal,
        "created_at": format_ts(now),
        "expires_at": format_ts(expires) if expires else None,
        "revoked_at": None,
    }
    return secret, row


def sqlite_key(path: Path, tenant: str, principal: str, role: str) -> str:
    """Write a key of ``principal`` in ``tenant`` into the SQLite file (see harness_key)."""
    secret, row = harness_key(principal, role)
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn, conn:
        conn.execute(
            f"INSERT INTO api_keys (tenant_id, {', '.join(_KEY_COLUMNS)}) "
            f"SELECT id, {', '.join('?' * len(_KEY_COLUMNS))} FROM tenants WHERE name = ?",
            (*(row[c] for c in _KEY_COLUMNS), tenant),
        )
    return secret


async def postgres_key(db: PgDatabase, tenant: str, principal: str, role: str) -> str:
    """Write a key of ``principal`` in ``tenant`` as the database's owner (see harness_key)."""
    secret, row = harness_key(principal, role)
    params = ", ".join(f"${i}" for i in range(1, len(_KEY_COLUMNS) + 1))
    conn = await asyncpg.connect(db.owner_url)
    try:
        await conn.execute(
            f"INSERT INTO api_keys (tenant_id, {', '.join(_KEY_COLUMNS)}) "
            f"SELECT id, {params} FROM tenants WHERE name = ${len(_KEY_COLUMNS) + 1}",
            *(row[c] for c in _KEY_COLUMNS),
            tenant,
        )
    finally:
        await conn.close()
    return secret


class SqliteHarness:
    """The local store on a real SQLite file."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def open(
        self,
        tenant: str,
        principal: str,
        role: str = "owner",
        *,
        read_only: bool = False,
        tier: str = "internal",
        clock: Clock | None = None,
        platform_admin: bool = False,
    ) -> Backend:
        provision = Provision(display_name=tenant.title(), tier=tier, role=role)
        if read_only:
            setup = await SqlStore.open_sqlite(
                self.path, tenant=tenant, principal=principal, provision=provision
            )
            await setup.close()
        return await SqlStore.open_sqlite(
            self.path,
            tenant=tenant,
            principal=principal,
            read_only=read_only,
            provision=provision,
            clock=clock or utcnow,
            platform_admin=platform_admin,
        )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        with self._connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                    "'sqlite_%' AND name NOT LIKE 'memory_fts_%' AND name != 'api_calls' "
                    "ORDER BY name"
                )
            ]
            return {
                t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
            }

    def tenant_of(self, table: str, row_id: str) -> str | None:
        with self._connect() as conn:
            row = conn.execute(
                f'SELECT tenant_id FROM "{table}" WHERE id = ?', (row_id,)
            ).fetchone()
        return row[0] if row else None


class PostgresStoreHarness:
    """The same store code on PostgreSQL, as the app role (RLS enforced), no server."""

    name = "postgres-store"

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def open(
        self,
        tenant: str,
        principal: str,
        role: str = "owner",
        *,
        read_only: bool = False,
        tier: str = "internal",
        clock: Clock | None = None,
        platform_admin: bool = False,
    ) -> Backend:
        provision = Provision(display_name=tenant.title(), tier=tier, role=role)
        if read_only:
            setup = await SqlStore.open_postgres(
                self.db.app_url, tenant=tenant, principal=principal, provision=provision
            )
            await setup.close()
        return await SqlStore.open_postgres(
            self.db.app_url,
            tenant=tenant,
            principal=principal,
            read_only=read_only,
            provision=provision,
            clock=clock or utcnow,
            platform_admin=platform_admin,
        )

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        return pg_snapshot(self.db)

    def tenant_of(self, table: str, row_id: str) -> str | None:
        rows = run_sync(
            lambda: self.db.fetch(f'SELECT tenant_id FROM "{table}" WHERE id = $1', row_id)
        )
        return rows[0][0] if rows else None


def pg_snapshot(db: PgDatabase) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of ``db`` (read as the superuser, past RLS)."""

    async def work() -> dict[str, list[tuple[object, ...]]]:
        tables = [
            r[0]
            for r in await db.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename != 'api_calls' ORDER BY tablename"
            )
        ]
        return {
            t: sorted((tuple(r) for r in await db.fetch(f'SELECT * FROM "{t}"')), key=repr)
            for t in tables
        }

    return run_sync(work)


#: the platform administrator the real server of the remote-pg harness designates
PLATFORM_ADMIN = "ops/root"


async def in_process_remote(
    db: str, token: str, read_only: bool, clock: Clock | None, platform_admin: str | None = None
) -> RemoteBackend:
    """The remote backend over an in-process ASGI app on ``db`` (its own server state,
    stopped when the backend closes), whose clock is ``clock``, with ``platform_admin``
    (``tenant/principal``) as its platform administrator."""
    admins = frozenset({platform_admin} if platform_admin else ())
    state = ServerState(
        ServerConfig(db=db, pool_size=2, platform_admins=admins), clock=clock or utcnow
    )
    await state.start()
    return RemoteBackend(
        "http://contract.test",
        token,
        read_only=read_only,
        transport=httpx.ASGITransport(app=create_app(state=state)),
        on_close=state.stop,
    )


class RemoteAsgiHarness:
    """The remote backend over an in-process ASGI app on a SQLite file (httpx transport).

    Tenants and memberships are provisioned on the server's database, as an operator
    would; each handle authenticates with an API key of its own (see harness_key).
    """

    name = "remote-asgi"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sqlite = SqliteHarness(path)

    async def open(
        self,
        tenant: str,
        principal: str,
        role: str = "owner",
        *,
        read_only: bool = False,
        tier: str = "internal",
        clock: Clock | None = None,
        platform_admin: bool = False,
    ) -> Backend:
        setup = await SqlStore.open_sqlite(
            self.path,
            tenant=tenant,
            principal=principal,
            provision=Provision(tenant.title(), tier, role),
        )
        await setup.close()
        token = sqlite_key(self.path, tenant, principal, role)
        admin = f"{tenant}/{principal}" if platform_admin else None
        return await in_process_remote(str(self.path), token, read_only, clock, admin)

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        return self._sqlite.snapshot()

    def tenant_of(self, table: str, row_id: str) -> str | None:
        return self._sqlite.tenant_of(table, row_id)


class RemotePostgresHarness:
    """The remote backend over HTTP to a real ``coditect serve`` (uvicorn) on 127.0.0.1,
    on PostgreSQL with row-level security (the server connects as the app role)."""

    name = "remote-pg"

    def __init__(self, db: PgDatabase, server_url: str) -> None:
        self.db = db
        self.server_url = server_url

    async def open(
        self,
        tenant: str,
        principal: str,
        role: str = "owner",
        *,
        read_only: bool = False,
        tier: str = "internal",
        clock: Clock | None = None,
        platform_admin: bool = False,
    ) -> Backend:
        setup = await SqlStore.open_postgres(
            self.db.app_url,
            tenant=tenant,
            principal=principal,
            provision=Provision(tenant.title(), tier, role),
        )
        await setup.close()
        token = await postgres_key(self.db, tenant, principal, role)
        if platform_admin and f"{tenant}/{principal}" != PLATFORM_ADMIN:
            raise AssertionError(f"the server designates {PLATFORM_ADMIN} only")
        if clock is not None:  # the real server's clock cannot be moved: one in-process
            return await in_process_remote(self.db.app_url, token, read_only, clock)
        return RemoteBackend(self.server_url, token, read_only=read_only)

    def snapshot(self) -> dict[str, list[tuple[object, ...]]]:
        return pg_snapshot(self.db)

    def tenant_of(self, table: str, row_id: str) -> str | None:
        rows = run_sync(
            lambda: self.db.fetch(f'SELECT tenant_id FROM "{table}" WHERE id = $1', row_id)
        )
        return rows[0][0] if rows else None
