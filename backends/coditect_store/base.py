"""``StoreBase``: a store handle's state, opening, transactions and authorization.

Resource methods live in the sibling modules (one per resource group) as mixins over
``StoreBase``; ``coditect_store.store.SqlStore`` puts them together. The other jobs have
modules of their own: ``rows`` (rows to models), ``chain`` (the audit append),
``principals`` (finding or provisioning the tenant and membership), ``db_errors`` (driver
errors to typed errors), ``op`` (one authorized operation), ``migrate`` (schema checks
and upgrades), ``engine`` (engines, pragmas, BEGIN).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from coditect_store import migrate
from coditect_store.chain import PendingEvent, link_events
from coditect_store.db_errors import map_db_error, orig_message
from coditect_store.driver_sqlite import in_transaction
from coditect_store.engine import (
    check_sqlite_file,
    make_postgres_engine,
    make_sqlite_engine,
    prepare_sqlite_file,
    redact_url,
)
from coditect_store.op import Op
from coditect_store.plugin_events import (
    announce,
    plugin_events,
    plugins_listen,
    stamp,
)
from coditect_store.principals import Provision, resolve_principal, resolve_principal_pg
from coditect_store.schema import audit_events, audit_heads, feature_flags, members, tenants
from coditect_tui.core.audit_chain import AuditNotice
from coditect_tui.core.backend import MUTATING_METHODS, READ_METHODS
from coditect_tui.core.errors import (
    BackendError,
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.flags import FeatureFlag, FeatureSubject
from coditect_tui.core.grants import expired_message, grant_check
from coditect_tui.core.models import Action, Resource, Scope, Tenant, utcnow
from coditect_tui.core.policy import Policy, shipped_policy

__all__ = ["STATE_RECHECK", "Op", "PendingEvent", "Provision", "StoreBase"]

#: How old a long-lived (local) handle's copy of its tenant's lifecycle state may get
#: before a call reads it again; a refusal always reads it again first.
STATE_RECHECK = timedelta(seconds=30)


class StoreBase:
    """Shared state and plumbing of a store handle (one principal in one tenant)."""

    kind = "local"

    def __init__(
        self,
        engine: AsyncEngine | None,
        *,
        tenant: Tenant,
        principal: str,
        role: str,
        read_only: bool,
        policy: Policy,
        location: str,
        owns_engine: bool = True,
        grant_expires_at: datetime | None = None,
        clock: Callable[[], datetime] = utcnow,
        flags: Sequence[FeatureFlag] = (),
        platform_admin: bool = False,
        serves_api: bool = False,
    ) -> None:
        self._engine = engine
        self._owns_engine = owns_engine
        self._pg = engine is not None and engine.dialect.name == "postgresql"
        #: the database is a tenant API server's: it counts API calls (``api_calls``)
        self._serves_api = serves_api or self._pg
        self._tenant = tenant
        self._tid = tenant.id
        self._principal = principal
        self._role = role
        self._policy = policy
        self._read_only = read_only or policy.is_read_only(role)
        self._audit_reads = policy.audits_reads(role)
        self.location = location
        #: when the principal's membership ends (None: never), checked on every call
        self._grant_ends = grant_expires_at
        self._clock = clock
        #: per open transaction (by its connection's id): what to tell plugins on commit
        self._to_announce: dict[int, list[tuple[str, Any]]] = {}
        self._set_flags(flags)
        #: may create tenants and change their state (docs/security.md, "Tenant lifecycle")
        self._platform_admin = platform_admin
        #: the tenant's lifecycle state as last read, and when (``_check_state``)
        self._state: str = tenant.state
        self._state_read_at = clock()

    def _set_flags(self, flags: Sequence[FeatureFlag]) -> None:
        """Take ``flags`` (the tenant's stored overrides) into every later decision."""
        self._subject = FeatureSubject(
            self._tenant.tier, self._tid, self._tenant.name, self._principal, tuple(flags)
        )

    def use_flags(self, flags: Sequence[FeatureFlag]) -> None:
        """Decide features with ``flags`` from now on (the server's cached copy of the
        tenant's stored overrides, ``stored_flags``).

        Args:
            flags: the tenant's stored overrides.
        """
        self._set_flags(flags)

    async def _load_flags(self) -> None:
        """Read the tenant's stored feature flag overrides (on opening a handle)."""
        self._set_flags(await self.stored_flags())

    async def stored_flags(self) -> list[FeatureFlag]:
        """The tenant's stored feature flag overrides, unaudited (for the decisions of
        this handle, and the server's per-tenant cache).

        Raises:
            BackendUnavailable: the store cannot be reached.
        """
        async with self._tx(write=False) as conn:
            return await self._read_flags(conn)

    async def _read_flags(self, conn: AsyncConnection) -> list[FeatureFlag]:
        rows = (
            await conn.execute(
                select(feature_flags)
                .where(feature_flags.c.tenant_id == self._tid)
                .order_by(feature_flags.c.feature, feature_flags.c.stakeholder)
            )
        ).all()
        return [
            FeatureFlag(
                feature=r.feature,
                stakeholder=r.stakeholder or None,
                enabled=bool(r.enabled),
                updated_by=r.updated_by,
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    # -- opening ---------------------------------------------------------------------

    @classmethod
    async def open_sqlite(
        cls,
        path: Path | str,
        *,
        tenant: str,
        principal: str,
        read_only: bool = False,
        provision: Provision | None = None,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utcnow,
        platform_admin: bool = False,
    ) -> Any:
        """Open the SQLite store at ``path`` for ``principal`` in ``tenant``.

        Creates the file and applies migrations (after a backup of an existing file) unless
        read-only. With ``provision``, a missing tenant or membership is created and the
        principal acts in ``provision.role``; without it both must exist already.
        ``clock`` (aware UTC "now") decides whether the membership has expired, on
        opening and on every call. ``platform_admin``: the principal may create tenants
        and change their state (the deployment designates it: docs/security.md).

        Raises:
            BackendUnavailable: not a SQLite file, a newer schema, an unwritable location,
                or (read-only) a store that does not exist or needs a migration.
            NotFound: the tenant does not exist (no provision).
            PermissionDenied: the principal is not a member (no provision), or the
                membership has expired.
            ConfigError: unknown role or tier in ``provision``.
        """
        policy = policy or shipped_policy()
        path = Path(path).expanduser()
        if provision is not None:
            policy.role(provision.role)
            policy.tier(provision.tier)
        check_sqlite_file(path)
        migrate.preflight(path)
        if read_only and not path.exists():
            raise BackendUnavailable(f"{path}: no store yet, and read-only mode creates none")
        prepare_sqlite_file(path, create=not read_only)
        engine = make_sqlite_engine(path, read_only=read_only)
        try:
            await migrate.prepare_sqlite_schema(engine, path, read_only=read_only)
            resolved = await resolve_principal(
                engine, tenant, principal, provision, read_only=read_only, policy=policy
            )
            grant_check(principal, tenant, resolved.expires_at, clock())
        except BaseException:
            await engine.dispose()
            raise
        handle = cls(
            engine,
            tenant=resolved.tenant,
            principal=principal,
            role=resolved.role,
            read_only=read_only,
            policy=policy,
            location=str(path),
            grant_expires_at=resolved.expires_at,
            clock=clock,
            platform_admin=platform_admin,
        )
        return await handle._opened()

    @classmethod
    async def open_postgres(
        cls,
        url: str,
        *,
        tenant: str,
        principal: str,
        read_only: bool = False,
        provision: Provision | None = None,
        policy: Policy | None = None,
        pooled: bool = False,
        clock: Callable[[], datetime] = utcnow,
        platform_admin: bool = False,
    ) -> Any:
        """Open the store in the PostgreSQL database at ``url`` for ``principal`` in ``tenant``.

        ``url`` names the app role (neither owner nor BYPASSRLS); the schema must be at
        the head revision already (``coditect serve --migrate-url`` or
        :func:`coditect_store.migrate.upgrade_postgres` run it as the owner). With
        ``provision``, a missing tenant or membership is created as for SQLite; ``clock``
        decides expiry and ``platform_admin`` designates as for SQLite.

        Raises:
            BackendUnavailable: unreachable, not migrated, or a newer schema.
            NotFound: the tenant does not exist (no provision).
            PermissionDenied: the principal is not a member (no provision), or the
                membership has expired.
            ConfigError: unknown role or tier in ``provision``.
        """
        policy = policy or shipped_policy()
        if provision is not None:
            policy.role(provision.role)
            policy.tier(provision.tier)
        engine = make_postgres_engine(url, pooled=pooled)
        try:
            await migrate.check_postgres_schema(engine, url)
            resolved = await resolve_principal_pg(
                engine, tenant, principal, provision, read_only=read_only, policy=policy
            )
            grant_check(principal, tenant, resolved.expires_at, clock())
        except BaseException:
            await engine.dispose()
            raise
        handle = cls(
            engine,
            tenant=resolved.tenant,
            principal=principal,
            role=resolved.role,
            read_only=read_only,
            policy=policy,
            location=redact_url(url),
            grant_expires_at=resolved.expires_at,
            clock=clock,
            platform_admin=platform_admin,
        )
        return await handle._opened()

    async def _opened(self) -> Any:
        """Finish opening: read the stored feature flags (the engine is disposed of when
        that fails)."""
        try:
            await self._load_flags()
        except BaseException:
            assert self._engine is not None
            await self._engine.dispose()
            raise
        return self

    @classmethod
    def bind(
        cls,
        engine: AsyncEngine,
        *,
        tenant: Tenant,
        principal: str,
        role: str,
        read_only: bool = False,
        policy: Policy | None = None,
        location: str = "",
        grant_expires_at: datetime | None = None,
        clock: Callable[[], datetime] = utcnow,
        flags: Sequence[FeatureFlag] = (),
        platform_admin: bool = False,
    ) -> Any:
        """A handle on a shared engine for an already authenticated principal (the server).

        Opens nothing and costs no query; ``close()`` leaves the engine to its owner.

        Args:
            engine: the process's engine (SQLite or PostgreSQL).
            tenant: the principal's tenant, as looked up by the caller.
            principal: who acts.
            role: the role they act in (e.g. the API key's).
            read_only: refuse every change.
            policy: roles and tiers (default: the shipped ones).
            location: shown in messages.
            grant_expires_at: when the principal's membership ends (None: never).
            clock: aware UTC "now", against which that end is checked on every call.
            flags: the tenant's stored feature flag overrides (``stored_flags``, as the
                caller last read them).
            platform_admin: the principal may create tenants and change their state
                (the server's ``platform_admins`` setting).
        """
        return cls(
            engine,
            tenant=tenant,
            principal=principal,
            role=role,
            read_only=read_only,
            policy=policy or shipped_policy(),
            location=location,
            owns_engine=False,
            grant_expires_at=grant_expires_at,
            clock=clock,
            flags=flags,
            platform_admin=platform_admin,
            serves_api=True,
        )

    async def close(self) -> None:
        """Dispose of the engine's connections (after ``PRAGMA optimize``, as SQLite advises,
        so the planner has statistics for the audit indexes)."""
        if not self._owns_engine:
            return
        if not self._read_only and not self._pg:
            with contextlib.suppress(BackendError):
                async with self._tx(write=False) as conn:
                    await conn.exec_driver_sql("PRAGMA optimize")
        assert self._engine is not None
        await self._engine.dispose()

    # -- transactions ----------------------------------------------------------------

    @asynccontextmanager
    async def _tx(
        self, *, write: bool, read_only: bool = False, tenant_id: str | None = None
    ) -> AsyncIterator[AsyncConnection]:
        """A transaction (``BEGIN IMMEDIATE`` when ``write``; on PostgreSQL ``BEGIN READ
        ONLY`` when ``read_only``) in this handle's tenant, or in ``tenant_id`` (a platform
        administrator's lifecycle change); driver errors become typed."""
        assert self._engine is not None
        try:
            async with self._engine.connect() as conn:
                if self._pg:
                    # The transaction starts with set_config('app.tenant_id', tid, true) and,
                    # for writes, the tenant's advisory lock (engine.make_postgres_engine):
                    # the tenant lives only as long as this transaction, and a tenant's writes
                    # and audit appends are serialised as BEGIN IMMEDIATE does on SQLite.
                    await conn.execution_options(
                        coditect_tenant=tenant_id or self._tid,
                        coditect_write=write,
                        coditect_read_only=read_only and not write,
                    )
                elif write:
                    await conn.execution_options(coditect_write=True)
                try:
                    async with conn.begin():
                        yield conn
                    announced = self._to_announce.pop(id(conn), None)
                finally:
                    # a rolled back append is never told (and a cancelled connection is
                    # not touched: reading conn.info could try to reconnect it)
                    self._to_announce.pop(id(conn), None)
                if announced:
                    announce(announced)
        except IntegrityError as exc:
            raise Conflict(f"conflicts with existing data: {orig_message(exc)}") from None
        except (OperationalError, DBAPIError) as exc:
            raise map_db_error(exc) from None
        except OSError as exc:
            raise BackendUnavailable(f"the database cannot be reached: {exc}") from None

    @asynccontextmanager
    async def _read_tx(
        self, *, prepared_only: bool = False, sqlite_driver: bool = False
    ) -> AsyncIterator[tuple[AsyncConnection, Any]]:
        """A read transaction and, on PostgreSQL with ``prepared_only``, its asyncpg
        connection (else None); driver errors become typed.

        On PostgreSQL it is READ ONLY (pg_read.py). With ``prepared_only`` it is begun and
        ended on the driver and only prepared statements may run in it (``Op.rows``): the
        hot reads skip SQLAlchemy's transaction handling altogether. On SQLite with
        ``sqlite_driver``, nothing is begun here: the pooled aiosqlite connection is
        checked out raw, and the read is one function run on its thread in a transaction
        of its own (``Op.read_on_driver``).
        """
        if not self._pg:
            if sqlite_driver:
                assert self._engine is not None
                try:
                    fairy = await self._engine.raw_connection()
                except (OperationalError, DBAPIError) as exc:
                    raise map_db_error(exc) from None
                except OSError as exc:
                    raise BackendUnavailable(f"the database cannot be reached: {exc}") from None
                adapter: Any = fairy.dbapi_connection
                clean = False
                try:
                    yield cast(AsyncConnection, None), adapter
                    # the read's visit began and ended its transaction and is over: the
                    # pool's rollback on return (one more visit) has nothing to do
                    clean = not in_transaction(adapter)
                finally:
                    if clean:
                        await greenlet_spawn(fairy._checkin, transaction_was_reset=True)
                    else:
                        await greenlet_spawn(fairy.close)
                return
            async with self._tx(write=False) as conn:
                yield conn, None
            return
        import asyncpg

        from coditect_store.pg_read import driver_read_transaction

        assert self._engine is not None
        try:
            if prepared_only:
                # no SQLAlchemy connection to run anything else on: Op.conn is unusable
                async with driver_read_transaction(self._engine, self._tid) as driver:
                    yield cast(AsyncConnection, None), driver
            else:
                async with self._tx(write=False, read_only=True) as conn:
                    yield conn, None
        # ValueError: asyncpg's own check of an argument (e.g. int4 range); DataError:
        # PostgreSQL's SQLSTATE class 22 (a value it cannot take)
        except (ValueError, asyncpg.exceptions.DataError) as exc:
            raise InvalidInput(f"invalid value: {str(exc).splitlines()[0][:200]}") from None
        except asyncpg.PostgresError as exc:
            raise map_db_error(exc) from None
        except (asyncpg.InterfaceError, OSError) as exc:
            raise BackendUnavailable(f"the database cannot be reached: {exc}") from None

    # -- authorization and audit -------------------------------------------------------

    def _authorize(self, resource: Resource, action: Action, *, owner: str | None = None) -> Scope:
        return self._policy.authorize(
            role=self._role,
            principal=self._principal,
            tier=self._subject,
            resource=resource,
            action=action,
            owner=owner,
            read_only=self._read_only,
        )

    @asynccontextmanager
    async def _op(
        self,
        resource: Resource,
        action: Action | None,
        *,
        method: str,
        target: str | None = None,
        audit_only: bool = False,
        read_details: dict[str, Any] | None = None,
        denied_as: str | None = None,
        prepared_only: bool = False,
        sqlite_driver: bool = False,
        names: Sequence[str] = (),
        known_names: Sequence[str] = (),
    ) -> AsyncIterator[Op]:
        """Run one authorized operation of the contract method ``method``.

        Whether it is a mutation comes from the method's ``@mutates``/``@reads`` mark in
        the contract (``MUTATING_METHODS``), never from the caller: mutations are refused
        up front when read-only and run in a write transaction; ``action`` (None when
        the caller decides after a lookup) is checked before the transaction starts. A read
        that records an event of its own (an export) passes ``audit_only`` to get a write
        transaction without being a mutation. An auditor's read is recorded in its own
        short transaction first. Denials are recorded too (as ``denied_as`` when given,
        else ``<resource>.<action>``). A read whose statements are all prepared
        (``Op.rows``/``Op.one``) passes ``prepared_only`` to run them on the driver; one
        made of a single function run on SQLite's driver passes ``sqlite_driver``
        (``Op.read_on_driver``).
        ``names``: principals that ``target`` or the details name (their ids are recorded);
        ``known_names``: texts of the details recorded as an id when they name a principal.
        """
        write = method in MUTATING_METHODS
        if not write and method not in READ_METHODS:
            raise AssertionError(f"{method!r} is not a method of the Backend contract")
        try:
            await self._check_grant()
            if self._state != "active" or self._state_stale():
                await self._check_state(method, write=write)
            if write and self._read_only:
                raise ReadOnly(f"read-only: {method} is refused")
            if action is None:  # an upsert: the tier first, the role after the lookup
                self._policy.check_tier(self._subject, resource, None)
            scope = self._authorize(resource, action) if action is not None else None
            if not write and not audit_only and self._audit_reads:
                await self.append_events(
                    [
                        PendingEvent(
                            f"{resource.value}.read",
                            resource.value,
                            target,
                            details={"method": method, **(read_details or {})},
                            names=tuple(names),
                            known_names=tuple(known_names),
                        )
                    ]
                )
            if write or audit_only:
                async with self._tx(write=True) as conn:
                    op = Op(self, conn, resource, scope)
                    yield op
                    if op.events:
                        await self._link(conn, op.events)
            else:
                async with self._read_tx(
                    prepared_only=prepared_only, sqlite_driver=sqlite_driver
                ) as (conn, driver):
                    op = Op(self, conn, resource, scope, driver=driver)
                    yield op
                    if op.events:
                        raise AssertionError(f"{method}: a read records no events")
        except PermissionDenied as exc:
            verb = action.value if action is not None else method
            name = denied_as or f"{resource.value}.{verb}"
            await self._record_denial(name, target, method, exc, names=names)
            raise

    async def _check_grant(self) -> None:
        """Refuse every call once the principal's membership has ended.

        Costs nothing until the end known to the handle has passed; then the membership
        is read again (an admin may have extended it since the handle opened).

        Raises:
            PermissionDenied: the membership has expired, or is gone.
        """
        ends = self._grant_ends
        if ends is None or self._clock() < ends:
            return
        async with self._tx(write=False) as conn:
            row = (
                await conn.execute(
                    select(members.c.expires_at).where(
                        members.c.tenant_id == self._tid, members.c.name == self._principal
                    )
                )
            ).first()
        if row is None:
            raise PermissionDenied(
                f"{self._principal!r} is no longer a member of tenant {self._tenant.name!r}"
            )
        self._grant_ends = row.expires_at
        if row.expires_at is not None and self._clock() >= row.expires_at:
            raise PermissionDenied(
                expired_message(self._principal, self._tenant.name, row.expires_at)
            )

    def _state_stale(self) -> bool:
        """Whether a long-lived handle should read its tenant's state again (a handle of
        the server lives one request, and is given the state its key lookup read)."""
        return self._owns_engine and self._clock() - self._state_read_at > STATE_RECHECK

    async def _read_state(self) -> str:
        """Read the tenant's lifecycle state again (unaudited) and keep it."""
        async with self._tx(write=False) as conn:
            state = (
                await conn.execute(select(tenants.c.state).where(tenants.c.id == self._tid))
            ).scalar()
        self._state = str(state or "active")
        self._state_read_at = self._clock()
        self._tenant = self._tenant.model_copy(update={"state": self._state})
        return self._state

    async def _check_state(self, method: str, *, write: bool) -> None:
        """Refuse what the tenant's lifecycle state forbids (docs/security.md, "Tenant
        lifecycle"): a suspended or archived tenant refuses everything but its owner's
        data export; an offboarded one every change.

        The state is read again when it is stale or about to refuse (it may have been
        resumed since).

        Raises:
            PermissionDenied: suspended or archived (``ReadOnly``: a change while
                offboarded).
        """
        if self._state_stale() or self._state != "active":
            await self._read_state()
        state, name = self._state, self._tenant.name
        if state == "active":
            return
        if method == "export_tenant" and self._role == "owner":
            return
        if state == "offboarded":
            if write:
                raise ReadOnly(f"tenant {name!r} is offboarded (read-only): {method} is refused")
            return
        raise PermissionDenied(
            f"tenant {name!r} is {state}: {method} is refused (only its owner's data "
            "export is allowed)"
        )

    async def _record_denial(
        self,
        name: str,
        target: str | None,
        method: str,
        exc: PermissionDenied,
        *,
        names: Sequence[str] = (),
    ) -> None:
        """Audit a refusal as the ``denied`` event ``name`` (``<resource type>.<verb>``);
        ``names``: principals the target or the reason names."""
        # The denial itself stands; an unwritable log must not mask it.
        with contextlib.suppress(BackendError):
            await self.append_events(
                [
                    PendingEvent(
                        name,
                        name.partition(".")[0],
                        target,
                        outcome="denied",
                        details={"method": method, "reason": str(exc)},
                        names=tuple(names),
                    )
                ]
            )

    async def _tenant_read(self, method: str, *, feature: str | None = None) -> None:
        """The tier decision and the audit of a read about the tenant itself (whoami,
        get_tenant, list_tenants): they need no permission of the matrix, but a feature
        (``feature``) when given, and an auditor's call is recorded like every read."""
        try:
            await self._check_grant()
            if method == "list_tenants":  # whoami and get_tenant answer in every state
                await self._check_state(method, write=False)
        except PermissionDenied as exc:
            await self._record_denial("tenants.read", self._tenant.name, method, exc)
            raise
        if feature is not None:
            await self.require_feature(feature, "tenants.read", method=method)
        if self._audit_reads:
            await self.append_events(
                [
                    PendingEvent(
                        "tenants.read", "tenants", self._tenant.name, details={"method": method}
                    )
                ]
            )

    # -- the public interface of a handle, beyond the Backend contract (the server) -------

    @property
    def tenant_id(self) -> str:
        """The id of the tenant this handle acts in."""
        return self._tid

    @property
    def principal(self) -> str:
        """Who this handle acts as."""
        return self._principal

    @property
    def role(self) -> str:
        """The role this handle acts in."""
        return self._role

    @property
    def read_only(self) -> bool:
        """Whether every change is refused (asked for, or the role is read-only)."""
        return self._read_only

    @property
    def grant_expires_at(self) -> datetime | None:
        """When the principal's membership ends, as last read (None: never)."""
        return self._grant_ends

    def grant_ended(self) -> bool:
        """Whether the membership's end, as last read, has passed by the handle's clock
        (for work outside the contract methods that must stop then: a live stream)."""
        return self._grant_ends is not None and self._clock() >= self._grant_ends

    @property
    def audits_reads(self) -> bool:
        """Whether this handle's reads are themselves audited (an auditor's are)."""
        return self._audit_reads

    def may(self, resource: Resource, action: Action) -> bool:
        """Whether the tenant's tier and the handle's role allow ``action`` on ``resource``.

        Args:
            resource: what would be acted on.
            action: the permission asked about.

        Returns:
            True when tiers.yaml switches the operation's feature on and roles.yaml grants
            it (own or tenant scope); nothing is audited.
        """
        if self._state in ("suspended", "archived") or (
            self._state == "offboarded" and action is not Action.READ
        ):
            return False
        try:
            self._policy.check_tier(self._subject, resource, action)
        except PermissionDenied:
            return False
        return self._policy.scope(self._role, resource, action) is not None

    async def require_active(self, name: str, *, method: str, fresh: bool = False) -> None:
        """The tenant lifecycle decision for work outside the contract methods (the
        server's live event stream): a refusal is audited as ``denied``.

        Args:
            name: the audit event name of the refusal (``<resource type>.<verb>``).
            method: what was refused (recorded in the event's details).
            fresh: read the tenant's state now, not a copy (a long-lived stream
                checking again that it may go on).

        Raises:
            PermissionDenied: the tenant is suspended or archived.
        """
        try:
            if fresh:
                await self._read_state()
            await self._check_state(method, write=False)
        except PermissionDenied as exc:
            await self._record_denial(name, self._tenant.name, method, exc)
            raise

    async def require_feature(self, feature: str, name: str, *, method: str) -> None:
        """The tier decision for what is not one (resource, action) pair of the matrix
        (e.g. the server's ``remote_api``); a refusal is audited as ``denied``.

        Args:
            feature: the tiers.yaml feature needed.
            name: the audit event name of the refusal (``<resource type>.<verb>``).
            method: what was refused (recorded in the event's details).

        Raises:
            PermissionDenied: the tenant's tier lacks ``feature``.
        """
        try:
            self._policy.check_feature(self._subject, feature, name)
        except PermissionDenied as exc:
            await self._record_denial(name, self._tenant.name, method, exc)
            raise

    async def append_events(self, events: Sequence[PendingEvent]) -> list[tuple[int, str]]:
        """Append ``events`` to the tenant's audit chain in a transaction of their own.

        For events that record something the handle did outside a contract method (the
        server's live event subscription). Allowed on a read-only handle: the audit log
        is the one thing a read-only handle writes.

        Args:
            events: the events, in order (actor and role default to the handle's).

        Returns:
            (seq, hash) of each appended event.

        Raises:
            BackendUnavailable: the store cannot be reached.
        """
        async with self._tx(write=True) as conn:
            return await self._link(conn, events)

    async def record_read(
        self, resource: Resource, method: str, details: dict[str, Any] | None = None
    ) -> None:
        """Audit a read when this handle's reads are audited (an auditor's); else nothing.

        Args:
            resource: what was read.
            method: the name of what read it (e.g. "events").
            details: more to record.

        Raises:
            BackendUnavailable: the store cannot be reached.
        """
        if self._audit_reads:
            await self.append_events(
                [
                    PendingEvent(
                        f"{resource.value}.read",
                        resource.value,
                        None,
                        details={"method": method, **(details or {})},
                    )
                ]
            )

    async def audit_head_seq(self) -> int:
        """The seq of the tenant's newest audit event (0 for an empty chain); not audited.

        Raises:
            BackendUnavailable: the store cannot be reached.
        """
        async with self._tx(write=False) as conn:
            seq = (
                await conn.execute(
                    select(audit_heads.c.seq).where(audit_heads.c.tenant_id == self._tid)
                )
            ).scalar()
        return int(seq or 0)

    async def audit_notices_since(self, seq: int, *, limit: int = 200) -> list[AuditNotice]:
        """The tenant's audit events after ``seq``, oldest first (what live streams send).

        Not audited and not authorized here: the caller decides what each subscriber may
        see (:meth:`may`).

        Args:
            seq: return events with a greater seq.
            limit: at most this many.

        Returns:
            The events' summaries, in seq order.

        Raises:
            BackendUnavailable: the store cannot be reached.
        """
        async with self._tx(write=False) as conn:
            rows = (
                await conn.execute(
                    select(
                        audit_events.c.seq,
                        audit_events.c.ts,
                        audit_events.c.actor,
                        audit_events.c.action,
                        audit_events.c.resource_type,
                        audit_events.c.resource_id,
                        audit_events.c.outcome,
                    )
                    .where(audit_events.c.tenant_id == self._tid, audit_events.c.seq > seq)
                    .order_by(audit_events.c.seq)
                    .limit(limit)
                )
            ).all()
        return [AuditNotice(*row) for row in rows]

    async def _link(
        self, conn: AsyncConnection, events: Sequence[PendingEvent]
    ) -> list[tuple[int, str]]:
        """Append ``events`` to this tenant's chain inside ``conn``'s transaction (and,
        when a plugin listens, have them announced once the transaction commits)."""
        listening = plugins_listen()
        if listening:
            stamp(events)
        links = await link_events(
            conn, events, tenant_id=self._tid, principal=self._principal, role=self._role
        )
        if listening:
            self._to_announce.setdefault(id(conn), []).extend(
                plugin_events(self._tenant.name, self._principal, events, links)
            )
        return links

    async def _check_not_member(
        self, conn: AsyncConnection, name: str, *, quota: bool = False
    ) -> None:
        """Refuse to add ``name`` when already a member (or, with ``quota``, when the
        tier's member quota is reached).

        Raises:
            Conflict: already a member.
            QuotaExceeded: ``quota`` and the tenant has as many members as its tier allows.
        """
        exists = (
            await conn.execute(
                select(members.c.name).where(
                    members.c.tenant_id == self._tid, members.c.name == name
                )
            )
        ).first()
        if exists:
            raise Conflict(f"{name!r} is already a member")
        if quota:
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(members)
                    .where(members.c.tenant_id == self._tid)
                )
            ).scalar_one()
            self._policy.check_quota(self._tenant.tier, "members", count)

    async def _owners(self, conn: AsyncConnection) -> int:
        """How many owners the tenant has."""
        return (
            await conn.execute(
                select(func.count())
                .select_from(members)
                .where(members.c.tenant_id == self._tid, members.c.role == "owner")
            )
        ).scalar_one()

    async def _one(self, conn: Any, stmt: Any, what: str) -> Any:
        row = (await conn.execute(stmt)).first()
        if row is None:
            raise NotFound(f"{what} not found")
        return row
