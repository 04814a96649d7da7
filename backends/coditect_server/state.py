"""What one server process holds: the engine, the policy, the event hub."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from coditect_server.api_calls import FLUSH_INTERVAL, ApiCallCounter
from coditect_server.deprecation import ApiDeprecation
from coditect_server.metrics import NullMetrics
from coditect_store import migrate
from coditect_store.engine import (
    check_sqlite_file,
    is_postgres_url,
    make_postgres_engine,
    make_sqlite_engine,
    prepare_sqlite_file,
    redact_url,
)
from coditect_store.schema import server_metadata
from coditect_store.secrets_key import reseal_secrets
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.models import utcnow
from coditect_tui.core.policy import Policy, shipped_policy
from coditect_tui.core.settings import PluginSettings
from coditect_tui.core.webhooks import DISABLE_AFTER, MAX_ATTEMPTS


@dataclass
class ServerConfig:
    """How a server process runs.

    Attributes:
        db: ``postgresql://app-role@host/db`` (the app role: not owner, not BYPASSRLS) or a
            SQLite file path / ``sqlite:///path`` for a single node.
        pool_size: PostgreSQL connections per process.
        max_overflow: extra connections under load (default 0: a request waits for a
            pooled connection; overflow connections are opened and closed per checkout
            under sustained load, a TLS attempt and a login each, which cost this server
            more than the queries themselves in bench/bench_api.py).
        policy: roles and tiers (default: the shipped ones).
        heartbeat: seconds between SSE keep-alive comments.
        poll_interval: seconds between event polls on SQLite (no LISTEN/NOTIFY there).
        stream_recheck: seconds between a live stream's checks of its credential, role
            and tenant state (SQLite announces no changes made by other processes).
        auth_failure_burst: failed authentications a client address may make at once.
        auth_failures_per_minute: and per minute, sustained (see gate.py).
        api_v1_deprecation: the announced end of /api/v1: Deprecation and Sunset headers
            on its answers (deprecation.py; None: none).
        access_log: where the JSON line of each request goes (a text stream or a
            logger; None: nowhere). ``coditect serve`` writes them to stderr.
        metrics: count requests, refusals, pool use and subscribers for ``/metrics``.
        metrics_token: the bearer token ``/metrics`` requires; None: ``/metrics``
            answers only clients on the loopback address (docs/server.md).
        otlp_endpoint: send OpenTelemetry traces there (None: the standard
            ``OTEL_EXPORTER_OTLP_ENDPOINT`` if set, else no tracing at all).
        readiness_timeout: seconds ``/readyz`` waits for the database.
        plugins: run the installed plugins these settings let run, for the app's life
            (None: none; docs/plugins.md).
        webhooks: run the webhook delivery worker in this process.
        webhook_allow_networks: networks (CIDR) webhooks may be sent to although they are
            private, loopback or link-local (outbound.py); empty: public addresses only.
        webhook_poll_interval: seconds between looks at the outbox when it was empty.
        webhook_lease: seconds a claimed delivery stays claimed; a worker that dies
            leaves it due again after that.
        webhook_timeout: seconds one delivery attempt may take.
        webhook_ca_file: a PEM file of the CAs receivers' certificates are verified
            against (None: the default bundle, certifi's).
        webhook_batch: deliveries claimed per tenant and round (sent concurrently).
        webhook_max_attempts: attempts before a delivery is given up (state failed).
        webhook_disable_after: failed attempts in a row that disable a subscription.
        platform_admins: the platform administrators, as ``tenant/principal`` (an API
            key's tenant and principal): they alone may create tenants and change their
            lifecycle state (docs/security.md, "Tenant lifecycle").
        api_calls_flush: seconds between additions of this process's API call counts to
            the database (api_calls.py; 0: only when the process stops).
    """

    db: str
    pool_size: int = 10
    max_overflow: int | None = None
    policy: Policy = field(default_factory=shipped_policy)
    heartbeat: float = 15.0
    poll_interval: float = 1.0
    #: seconds between a live stream's checks that its key, role and tenant still allow it
    #: (also at once when a change is announced: a revocation, a role or a tenant state)
    stream_recheck: float = 5.0
    auth_failure_burst: int = 20
    auth_failures_per_minute: float = 20.0
    api_v1_deprecation: ApiDeprecation | None = None
    access_log: TextIO | logging.Logger | None = None
    metrics: bool = True
    metrics_token: str | None = None
    otlp_endpoint: str | None = None
    readiness_timeout: float = 2.0
    plugins: PluginSettings | None = None
    webhooks: bool = True
    webhook_allow_networks: tuple[str, ...] = ()
    webhook_poll_interval: float = 1.0
    webhook_lease: float = 60.0
    webhook_timeout: float = 10.0
    webhook_ca_file: str | None = None
    webhook_batch: int = 50
    webhook_max_attempts: int = MAX_ATTEMPTS
    webhook_disable_after: int = DISABLE_AFTER
    platform_admins: frozenset[str] = frozenset()
    api_calls_flush: float = FLUSH_INTERVAL


def sqlite_path(db: str) -> Path:
    """The file of a SQLite ``db`` setting (``sqlite:///x.db``, ``sqlite+aiosqlite:///``
    or a plain path)."""
    for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
        if db.startswith(prefix):
            return Path(db[len(prefix) :]).expanduser()
    return Path(db).expanduser()


class ServerState:
    """The per-process resources of the API; ``start()`` before serving, ``stop()`` after.

    Args:
        config: how the server runs.
        clock: "now" as an aware UTC datetime (default: the real clock). Every expiry the
            server decides (API key expiry) reads it, so a test can move
            time forward instead of waiting for it.
    """

    def __init__(self, config: ServerConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.clock = clock
        self.policy = config.policy
        self.engine: AsyncEngine | None = None
        self.postgres = is_postgres_url(config.db)
        self.location = redact_url(config.db) if self.postgres else str(sqlite_path(config.db))
        from coditect_server.events import EventHub

        self.hub = EventHub(self)
        from coditect_server.webhooks import WebhookWorker

        #: the one webhook delivery worker of this process (started with the state)
        self.webhooks = WebhookWorker(self)
        #: this process's count of authenticated API requests (flushed while started)
        self.api_calls = ApiCallCounter(self, interval=config.api_calls_flush)
        #: the app's metrics (create_app sets them; off until then)
        self.metrics: NullMetrics = NullMetrics()
        #: sha256 of an API key -> (its identity, monotonic time it was read). Used only
        #: while the LISTEN connection is up (PostgreSQL): key and membership changes are
        #: announced there and drop the tenant's entries on every replica (see events.py).
        self.key_cache: dict[str, tuple[Any, float]] = {}
        #: tenant id -> (its stored feature flag overrides, monotonic time read); kept
        #: and dropped like ``key_cache`` (flagcache.py)
        self.flag_cache: dict[str, tuple[tuple[Any, ...], float]] = {}
        #: counts ``invalidate_tenant`` calls (a read racing one is not cached)
        self.invalidations = 0

    def now(self) -> datetime:
        """The current time by :attr:`clock` (what expiry is checked against).

        Returns:
            An aware datetime.

        Raises:
            ValueError: the clock returned a naive datetime.
        """
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the server clock must return an aware datetime")
        return moment

    def invalidate_tenant(self, tenant_id: str | None = None) -> None:
        """Forget cached key lookups and feature flags of ``tenant_id`` (None: of every
        tenant)."""
        self.invalidations += 1
        if tenant_id is None:
            self.key_cache.clear()
            self.flag_cache.clear()
            return
        self.flag_cache.pop(tenant_id, None)
        for digest in [
            d for d, (identity, _at) in self.key_cache.items() if identity.tenant.id == tenant_id
        ]:
            self.key_cache.pop(digest, None)

    @property
    def db(self) -> AsyncEngine:
        """The engine (after ``start()``)."""
        if self.engine is None:
            raise BackendUnavailable("the server is not started")
        return self.engine

    async def start(self) -> None:
        """Open the database, check its schema and role, start the event listener.

        Raises:
            BackendUnavailable: unreachable, not migrated, or (PostgreSQL) the app role owns
                tables or bypasses row-level security.
        """
        if self.engine is not None:
            return
        if self.postgres:
            overflow = self.config.max_overflow
            engine = make_postgres_engine(
                self.config.db,
                pool_size=self.config.pool_size,
                max_overflow=0 if overflow is None else overflow,
            )
            try:
                await migrate.check_postgres_schema(engine, self.config.db)
                await check_app_role(engine, self.location)
            except BaseException:
                await engine.dispose()
                raise
        else:
            path = sqlite_path(self.config.db)
            check_sqlite_file(path)
            migrate.preflight(path)
            prepare_sqlite_file(path, create=True)
            engine = make_sqlite_engine(path, read_only=False)
            try:
                await migrate.prepare_sqlite_schema(engine, path, read_only=False)
                async with engine.connect() as conn:
                    await conn.execution_options(coditect_write=True)
                    async with conn.begin():
                        await conn.run_sync(server_metadata.create_all)
                        # an older version's plain-text webhook secrets (PostgreSQL: by
                        # coditect migrate, which sees every tenant's rows)
                        await reseal_secrets(conn, plaintext_only=True)
            except BaseException:
                await engine.dispose()
                raise
        self.engine = engine
        self.metrics.watch_pool(engine)
        await self.hub.start()
        if self.config.webhooks:
            self.webhooks.start()
        self.api_calls.start()

    async def stop(self) -> None:
        """Stop the webhook worker and the listener, flush the API call counts, close every
        connection. Never raises."""
        with contextlib.suppress(Exception):
            await self.webhooks.stop()
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await self.api_calls.stop()
        with contextlib.suppress(Exception):
            await self.hub.stop()
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await self.engine.dispose()
            self.engine = None


async def check_app_role(engine: AsyncEngine, where: str) -> None:
    """Refuse to serve as a role that row-level security would not hold, or that is not
    this database's app login.

    Raises:
        BackendUnavailable: the role is a superuser, has BYPASSRLS, owns a table, is not a
            member of this database's app role (``migrate.deployment_roles``), or is a
            member of its lookup role.
    """
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT r.rolname, r.rolsuper, r.rolbypassrls, "
                        "(SELECT count(*) FROM pg_tables t WHERE t.schemaname = current_schema() "
                        " AND pg_has_role(current_user, t.tableowner, 'USAGE')) AS owned, "
                        "current_database(), "
                        "ARRAY(SELECT m.rolname FROM pg_roles m "
                        "      WHERE pg_has_role(current_user, m.oid, 'MEMBER')) "
                        "FROM pg_roles r WHERE r.rolname = current_user"
                    )
                )
            ).one()
            await conn.rollback()
    except DBAPIError as exc:
        raise BackendUnavailable(f"{where}: {str(exc.orig).splitlines()[0]}") from None
    name, superuser, bypass, owned, database, member_of = row
    roles = migrate.deployment_roles(database)
    why = (
        "a superuser"
        if superuser
        else "BYPASSRLS"
        if bypass
        else f"the owner of {owned} table(s)"
        if owned
        else f"a member of {roles.lookup}"
        if roles.lookup in member_of
        else f"not a member of {roles.app}"
        if roles.app not in member_of
        else None
    )
    if why is not None:
        upgraded = (
            f" (schema 0002 moved this database's grants from {migrate.SHARED_ROLES.app}: "
            f"GRANT {roles.app} TO {name})"
            if roles.app not in member_of and migrate.SHARED_ROLES.app in member_of
            else ""
        )
        raise BackendUnavailable(
            f"{where}: refusing to serve as role {name!r}: it is {why}; connect as a login "
            f"role that is a member of {roles.app} and nothing else{upgraded} (docs/server.md)"
        )
