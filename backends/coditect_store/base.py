"""The store's plumbing: opening, transactions, authorization and the audit append.

Resource methods live in the sibling modules (one per resource group) as mixins over
``StoreBase``; ``coditect_store.store.SqlStore`` puts them together.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel
from sqlalchemy import select, text, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coditect_store import migrate
from coditect_store.engine import (
    check_sqlite_file,
    make_postgres_engine,
    make_sqlite_engine,
    redact_url,
)
from coditect_store.prepared import Prepared
from coditect_store.schema import audit_events, audit_heads, members, tenants
from coditect_tui.core.audit_chain import (
    GENESIS_HASH,
    canonical_details,
    canonical_event,
    link_hash,
)
from coditect_tui.core.errors import (
    BackendError,
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.models import Action, Resource, Scope, Tenant, format_ts, utcnow
from coditect_tui.core.policy import Policy, shipped_policy

M = TypeVar("M", bound=BaseModel)


def new_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def to_model(model: type[M], row: Any, **overrides: Any) -> M:
    """Build ``model`` from a row holding (at least) its fields."""
    if hasattr(row, "_field_index"):  # a driver-level row (pg_read.PgRow): by position
        # mypy does not see type[Any] as Hashable (python/mypy#11470); a class is hashable
        names, pick = _row_picker(type(row), model)  # type: ignore[arg-type]
        values = dict(zip(names, pick(row), strict=True))
        values.update(overrides)
        validated: M = model.__pydantic_validator__.validate_python(values)
        return validated
    data = row._mapping if hasattr(row, "_mapping") else row
    values = {name: data[name] for name in model.model_fields if name not in overrides}
    values.update(overrides)
    return model.model_validate(values)


def to_models(model: type[M], rows: Sequence[Any]) -> list[M]:
    """``to_model`` of each row (a page of driver-level rows costs one picker lookup)."""
    if not rows or not hasattr(rows[0], "_field_index"):
        return [to_model(model, row) for row in rows]
    # mypy does not see type[Any] as Hashable (python/mypy#11470); a class is hashable
    names, pick = _row_picker(type(rows[0]), model)  # type: ignore[arg-type]
    validate = model.__pydantic_validator__.validate_python
    return [validate(dict(zip(names, pick(row), strict=True))) for row in rows]


@functools.lru_cache(maxsize=1024)
def _row_picker(
    row_type: Any, model: type[BaseModel]
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The model's field names and a getter of their values from rows of ``row_type``."""
    names = tuple(name for name in model.model_fields if name in row_type._field_index)
    getter = operator.itemgetter(*(row_type._field_index[name] for name in names))
    if len(names) == 1:
        return names, lambda row: (getter(row),)
    return names, getter


@dataclass(frozen=True)
class Provision:
    """How to create a tenant and membership that do not exist yet (local profiles).

    Attributes:
        display_name: the tenant's display name.
        tier: the tenant's tier (tiers.yaml).
        role: the role the local principal acts in (roles.yaml).
    """

    display_name: str
    tier: str
    role: str


@dataclass
class PendingEvent:
    """An audit event waiting to be linked into the chain."""

    action: str
    resource_type: str
    resource_id: str | None
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    role: str | None = None
    ts: str | None = None
    source: str = ""
    import_key: str | None = None
    details_text: str | None = None  # canonical details, when the caller already has them


@dataclass
class Op:
    """One authorized operation inside its transaction."""

    store: StoreBase
    #: The transaction's connection: an AsyncConnection, or on PostgreSQL for reads the
    #: driver-level PgReadConnection (pg_read.py), which answers the same execute() calls.
    conn: Any
    resource: Resource
    scope: Scope | None
    events: list[PendingEvent] = field(default_factory=list)

    async def rows(self, stmt: Prepared, **params: Any) -> Sequence[Any]:
        """All rows of a prepared read statement in this transaction (compiled once on
        PostgreSQL, see pg_read.py)."""
        if isinstance(self.conn, AsyncConnection):
            return (await self.conn.execute(stmt.stmt, params)).all()
        return (await self.conn.execute(stmt, params)).all()

    async def one(self, stmt: Prepared, what: str, **params: Any) -> Any:
        """The first row of a prepared read statement.

        Raises:
            NotFound: no row (``"<what> not found"``).
        """
        rows = await self.rows(stmt, **params)
        if not rows:
            raise NotFound(f"{what} not found")
        return rows[0]

    def authorize(self, action: Action, *, owner: str | None = None) -> Scope:
        """Check a further action (upserts decide create/update after a lookup)."""
        self.scope = self.store._authorize(self.resource, action, owner=owner)
        return self.scope

    def record(self, action: str, resource_id: str | None, **details: Any) -> None:
        """Add the audit event of this operation (written in the same transaction)."""
        self.events.append(PendingEvent(action, self.resource.value, resource_id, details=details))


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
    ) -> None:
        self._engine = engine
        self._owns_engine = owns_engine
        self._pg = engine is not None and engine.dialect.name == "postgresql"
        self._tenant = tenant
        self._tid = tenant.id
        self._principal = principal
        self._role = role
        self._policy = policy
        self._read_only = read_only or policy.is_read_only(role)
        self._audit_reads = policy.audits_reads(role)
        self.location = location

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
    ) -> Any:
        """Open the SQLite store at ``path`` for ``principal`` in ``tenant``.

        Creates the file and applies migrations (after a backup of an existing file) unless
        read-only. With ``provision``, a missing tenant or membership is created and the
        principal acts in ``provision.role``; without it both must exist already.

        Raises:
            BackendUnavailable: not a SQLite file, a newer schema, an unwritable location,
                or (read-only) a store that does not exist or needs a migration.
            NotFound: the tenant does not exist (no provision).
            PermissionDenied: the principal is not a member (no provision).
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
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BackendUnavailable(f"{path.parent}: cannot create: {exc.strerror}") from None
        engine = make_sqlite_engine(path, read_only=read_only)
        try:
            await _prepare_schema(engine, path, read_only=read_only)
            tenant_row, role = await _resolve_principal(
                engine, tenant, principal, provision, read_only=read_only, policy=policy
            )
        except BaseException:
            await engine.dispose()
            raise
        return cls(
            engine,
            tenant=tenant_row,
            principal=principal,
            role=role,
            read_only=read_only,
            policy=policy,
            location=str(path),
        )

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
    ) -> Any:
        """Open the store in the PostgreSQL database at ``url`` for ``principal`` in ``tenant``.

        ``url`` names the app role (neither owner nor BYPASSRLS); the schema must be at
        the head revision already (``coditect serve --migrate-url`` or
        :func:`coditect_store.migrate.upgrade_postgres` run it as the owner). With
        ``provision``, a missing tenant or membership is created as for SQLite.

        Raises:
            BackendUnavailable: unreachable, not migrated, or a newer schema.
            NotFound: the tenant does not exist (no provision).
            PermissionDenied: the principal is not a member (no provision).
            ConfigError: unknown role or tier in ``provision``.
        """
        policy = policy or shipped_policy()
        if provision is not None:
            policy.role(provision.role)
            policy.tier(provision.tier)
        engine = make_postgres_engine(url, pooled=pooled)
        try:
            await check_postgres_schema(engine, url)
            tenant_row, role = await resolve_principal_pg(
                engine, tenant, principal, provision, read_only=read_only, policy=policy
            )
        except BaseException:
            await engine.dispose()
            raise
        return cls(
            engine,
            tenant=tenant_row,
            principal=principal,
            role=role,
            read_only=read_only,
            policy=policy,
            location=redact_url(url),
        )

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
        assert self._engine is not None  # only _provision's audit linker has none
        await self._engine.dispose()

    # -- transactions ----------------------------------------------------------------

    @asynccontextmanager
    async def _tx(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        """A transaction (``BEGIN IMMEDIATE`` when ``write``); driver errors become typed."""
        assert self._engine is not None  # only _provision's audit linker has none
        try:
            async with self._engine.connect() as conn:
                if self._pg:
                    # The transaction starts with set_config('app.tenant_id', tid, true) and,
                    # for writes, the tenant's advisory lock (engine.make_postgres_engine):
                    # the tenant lives only as long as this transaction, and a tenant's writes
                    # and audit appends are serialised as BEGIN IMMEDIATE does on SQLite.
                    await conn.execution_options(coditect_tenant=self._tid, coditect_write=write)
                elif write:
                    await conn.execution_options(coditect_write=True)
                async with conn.begin():
                    yield conn
        except IntegrityError as exc:
            raise Conflict(f"conflicts with existing data: {_orig(exc)}") from None
        except (OperationalError, DBAPIError) as exc:
            raise _map_db_error(exc) from None
        except OSError as exc:
            raise BackendUnavailable(f"the database cannot be reached: {exc}") from None

    @asynccontextmanager
    async def _read_tx(self) -> AsyncIterator[Any]:
        """A read transaction: on PostgreSQL a READ ONLY one on the driver (pg_read.py,
        for speed), elsewhere ``_tx(write=False)``; driver errors become typed."""
        if not self._pg:
            async with self._tx(write=False) as conn:
                yield conn
            return
        import asyncpg

        from coditect_store.pg_read import read_transaction

        assert self._engine is not None  # only _provision's audit linker has none
        try:
            async with read_transaction(self._engine, self._tid) as conn:
                yield conn
        # ValueError: asyncpg's own check of an argument (e.g. int4 range); DataError:
        # PostgreSQL's SQLSTATE class 22 (a value it cannot take)
        except (ValueError, asyncpg.exceptions.DataError) as exc:
            raise InvalidInput(f"invalid value: {str(exc).splitlines()[0][:200]}") from None
        except asyncpg.PostgresError as exc:
            raise _map_db_error(exc) from None
        except (asyncpg.InterfaceError, OSError) as exc:
            raise BackendUnavailable(f"the database cannot be reached: {exc}") from None

    # -- authorization and audit -------------------------------------------------------

    def _authorize(self, resource: Resource, action: Action, *, owner: str | None = None) -> Scope:
        return self._policy.authorize(
            role=self._role,
            principal=self._principal,
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
        write: bool,
        target: str | None = None,
        audit_only: bool = False,
        read_details: dict[str, Any] | None = None,
        denied_as: str | None = None,
    ) -> AsyncIterator[Op]:
        """Run one authorized operation.

        Mutations (``write``) are refused up front when read-only; ``action`` (None when
        the caller decides after a lookup) is checked before the transaction starts. A read
        that records an event of its own (an export) passes ``audit_only`` to get a write
        transaction without being a mutation. An auditor's read is recorded in its own
        short transaction first. Denials are recorded too (as ``denied_as`` when given,
        else ``<resource>.<action>``).
        """
        try:
            if write and self._read_only:
                raise ReadOnly(f"read-only: {method} is refused")
            scope = self._authorize(resource, action) if action is not None else None
            if not write and not audit_only and self._audit_reads:
                await self._append_events(
                    [
                        PendingEvent(
                            f"{resource.value}.read",
                            resource.value,
                            target,
                            details={"method": method, **(read_details or {})},
                        )
                    ]
                )
            transaction = self._tx(write=True) if write or audit_only else self._read_tx()
            async with transaction as conn:
                op = Op(self, conn, resource, scope)
                yield op
                if op.events:
                    await self._link(conn, op.events)
        except PermissionDenied as exc:
            await self._record_denial(resource, action, method, target, exc, denied_as)
            raise

    async def _record_denial(
        self,
        resource: Resource,
        action: Action | None,
        method: str,
        target: str | None,
        exc: PermissionDenied,
        denied_as: str | None = None,
    ) -> None:
        verb = action.value if action is not None else method
        # The denial itself stands; an unwritable log must not mask it.
        with contextlib.suppress(BackendError):
            await self._append_events(
                [
                    PendingEvent(
                        denied_as or f"{resource.value}.{verb}",
                        resource.value,
                        target,
                        outcome="denied",
                        details={"method": method, "reason": str(exc)},
                    )
                ]
            )

    async def _append_events(self, events: Sequence[PendingEvent]) -> list[tuple[int, str]]:
        async with self._tx(write=True) as conn:
            return await self._link(conn, events)

    async def _link(
        self, conn: AsyncConnection, events: Sequence[PendingEvent]
    ) -> list[tuple[int, str]]:
        """Append ``events`` to the tenant's chain inside ``conn``'s transaction."""
        head = (
            await conn.execute(
                select(audit_heads.c.seq, audit_heads.c.hash).where(
                    audit_heads.c.tenant_id == self._tid
                )
            )
        ).first()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
        now = format_ts(utcnow())
        rows: list[tuple[Any, ...]] = []
        links: list[tuple[int, str]] = []
        for ev in events:
            seq += 1
            details = ev.details_text or canonical_details(ev.details)
            actor = ev.actor or self._principal
            role = ev.role or self._role
            ts = ev.ts or now
            digest = link_hash(
                prev,
                canonical_event(
                    self._tid,
                    seq,
                    ts,
                    actor,
                    role,
                    ev.action,
                    ev.resource_type,
                    ev.resource_id,
                    ev.outcome,
                    details,
                    ev.source,
                ),
            )
            rows.append(
                (
                    self._tid,
                    seq,
                    ts,
                    actor,
                    role,
                    ev.action,
                    ev.resource_type,
                    ev.resource_id,
                    ev.outcome,
                    details,
                    ev.source,
                    ev.import_key,
                    prev,
                    digest,
                )
            )
            links.append((seq, digest))
            prev = digest
        if conn.dialect.paramstyle == "qmark":
            # Plain executemany: SQLAlchemy's per-row parameter processing costs more than
            # the insert itself on big imports (bench/bench_audit.py).
            await conn.exec_driver_sql(_INSERT_QMARK, rows)
        else:
            await conn.execute(
                audit_events.insert(), [dict(zip(_AUDIT_COLUMNS, row, strict=True)) for row in rows]
            )
        if head:
            await conn.execute(
                update(audit_heads)
                .where(audit_heads.c.tenant_id == self._tid)
                .values(seq=seq, hash=prev)
            )
        else:
            await conn.execute(audit_heads.insert().values(tenant_id=self._tid, seq=seq, hash=prev))
        if conn.dialect.name == "postgresql":
            # Delivered on commit only (and dropped on rollback): every replica's LISTEN
            # connection fans it out to that tenant's event streams.
            await conn.execute(_PG_NOTIFY, {"payload": event_payload(self._tid, rows)})
        return links

    async def _one(self, conn: Any, stmt: Any, what: str) -> Any:
        row = (await conn.execute(stmt)).first()
        if row is None:
            raise NotFound(f"{what} not found")
        return row


#: The channel audit appends are announced on (PostgreSQL LISTEN/NOTIFY).
EVENTS_CHANNEL = "coditect_events"
_NOTIFY_EVENTS = 20  # events described in one notification (payloads stay far below 8000 B)
_PG_BEGIN_WRITE = text(
    "SELECT set_config('app.tenant_id', :tid, true), "
    "pg_advisory_xact_lock(hashtext('coditect-tenant:' || :tid))"
)
_PG_NOTIFY = text(f"SELECT pg_notify('{EVENTS_CHANNEL}', :payload)")


def event_payload(tenant_id: str, rows: Sequence[tuple[Any, ...]]) -> str:
    """The notification of appended audit rows: tenant, newest seq, a few of the events."""
    shown = [
        {
            "seq": r[1],
            "ts": r[2],
            "actor": r[3],
            "action": r[5],
            "resource_type": r[6],
            "resource_id": (r[7] or "")[:200] or None,
            "outcome": r[8],
        }
        for r in rows[-_NOTIFY_EVENTS:]
    ]
    return orjson.dumps(
        {
            "tenant_id": tenant_id,
            "seq": rows[-1][1] if rows else 0,
            "count": len(rows),
            "events": shown,
        }
    ).decode()


_AUDIT_COLUMNS = (
    "tenant_id",
    "seq",
    "ts",
    "actor",
    "role",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "details",
    "source",
    "import_key",
    "prev_hash",
    "hash",
)
_INSERT_QMARK = (
    f"INSERT INTO audit_events ({', '.join(_AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_AUDIT_COLUMNS))})"
)


def _orig(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0]


def _map_db_error(exc: Exception) -> BackendError:
    message = _orig(exc)
    lowered = message.lower()
    if isinstance(exc, DataError) or "invalid input for query argument" in lowered:
        # PostgreSQL checks ranges and encodings SQLite does not (e.g. int4 columns)
        return InvalidInput(f"invalid value: {message[:200]}")
    if "row-level security" in lowered or "permission denied for" in lowered:
        # PostgreSQL's own walls (RLS WITH CHECK, grants): a code path the policy missed
        return PermissionDenied(f"the database refused the change ({message})")
    if "not authorized" in lowered or "readonly" in lowered or "read-only" in lowered:
        return ReadOnly(f"read-only: the store refused a write ({message})")
    if "append-only" in lowered:
        return PermissionDenied("the audit log is append-only")
    if "locked" in lowered or "busy" in lowered:
        return BackendUnavailable(f"the store is busy: {message}")
    return BackendUnavailable(f"store error: {message}")


async def _prepare_schema(engine: AsyncEngine, path: Path, *, read_only: bool) -> None:
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(migrate.current_revision)
            await conn.rollback()
            if not migrate.check_revision(revision, str(path)):
                return
            if read_only:
                raise BackendUnavailable(
                    f"{path}: the store needs a schema upgrade; open it once without --read-only"
                )
            if revision is not None:
                migrate.backup_sqlite(path, revision)
            await conn.execution_options(coditect_write=True)
            await conn.run_sync(lambda sync_conn: migrate.upgrade(sync_conn))
            await conn.commit()
    except BackendError:
        raise
    except (OperationalError, DBAPIError) as exc:
        raise BackendUnavailable(f"{path}: {_orig(exc)}") from None


async def _resolve_principal(
    engine: AsyncEngine,
    tenant_name: str,
    principal: str,
    provision: Provision | None,
    *,
    read_only: bool,
    policy: Policy,
) -> tuple[Tenant, str]:
    """Find (or provision) the tenant and the principal's role in it."""

    async def lookup(conn: AsyncConnection) -> tuple[Any, Any]:
        tenant_row = (
            await conn.execute(select(tenants).where(tenants.c.name == tenant_name))
        ).first()
        member = None
        if tenant_row is not None:
            member = (
                await conn.execute(
                    select(members.c.role).where(
                        members.c.tenant_id == tenant_row.id, members.c.name == principal
                    )
                )
            ).first()
        return tenant_row, member

    try:
        async with engine.connect() as conn, conn.begin():
            tenant_row, member = await lookup(conn)
        if (tenant_row is None or member is None) and provision is not None and not read_only:
            async with engine.connect() as conn:
                await conn.execution_options(coditect_write=True)
                async with conn.begin():
                    tenant_row, member = await lookup(conn)
                    await _provision(
                        conn, tenant_row, member, tenant_name, principal, provision, policy
                    )
                    tenant_row, member = await lookup(conn)
    except (OperationalError, DBAPIError) as exc:
        raise _map_db_error(exc) from None
    if tenant_row is None:
        raise NotFound(f"tenant {tenant_name!r} does not exist in this store")
    if member is None:
        raise PermissionDenied(f"{principal!r} is not a member of tenant {tenant_name!r}")
    return to_model(Tenant, tenant_row), acting_role(policy, provision, member.role)


def acting_role(policy: Policy, provision: Provision | None, member_role: str) -> str:
    """The role a handle acts in: the membership's, or the profile's when it asks for less.

    A local profile may act with fewer rights than its membership grants (an owner opening
    as auditor) but never with more: a profile saying ``owner`` in a tenant where the
    principal is a consultant acts as a consultant.
    """
    if provision is None or provision.role == member_role:
        return member_role
    return provision.role if policy.is_within(provision.role, member_role) else member_role


async def _provision(
    conn: AsyncConnection,
    tenant_row: Any,
    member: Any,
    tenant_name: str,
    principal: str,
    provision: Provision,
    policy: Policy,
    tenant_id: str | None = None,
) -> None:
    now = utcnow()
    events: list[PendingEvent] = []
    if tenant_row is None:
        tenant_id = tenant_id or new_id()
        await conn.execute(
            tenants.insert().values(
                id=tenant_id,
                name=tenant_name,
                display_name=provision.display_name,
                tier=provision.tier,
                created_at=now,
            )
        )
        events.append(
            PendingEvent(
                "tenants.create",
                "tenants",
                tenant_id,
                details={"name": tenant_name, "tier": provision.tier},
            )
        )
        role = "owner"
    else:
        tenant_id = tenant_row.id
        role = provision.role
    if member is None:
        await conn.execute(
            members.insert().values(tenant_id=tenant_id, name=principal, role=role, created_at=now)
        )
        events.append(
            PendingEvent(
                "members.create", "members", principal, details={"role": role, "provisioned": True}
            )
        )
    tenant = Tenant(
        id=tenant_id,
        name=tenant_name,
        display_name=provision.display_name,
        tier=provision.tier,
        created_at=now,
    )
    linker = StoreBase(
        None,
        tenant=tenant,
        principal=principal,
        role=provision.role,
        read_only=False,
        policy=policy,
        location="",
    )
    await linker._link(conn, events)


async def check_postgres_schema(engine: AsyncEngine, url: str) -> None:
    """Refuse a PostgreSQL database whose schema is missing, older or newer than this code.

    Raises:
        BackendUnavailable: unreachable, not migrated, or migrated by a newer coditect.
    """
    where = redact_url(url)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(migrate.current_revision)
            await conn.rollback()
    except BackendError:
        raise
    except (OperationalError, DBAPIError) as exc:
        raise BackendUnavailable(f"{where}: {_orig(exc)}") from None
    except OSError as exc:
        raise BackendUnavailable(f"{where}: cannot connect: {exc}") from None
    if migrate.check_revision(revision, where):
        raise BackendUnavailable(
            f"{where}: the database schema is not at revision {migrate.HEAD!r} (found "
            f"{revision!r}); run the migration as the database owner first "
            "(coditect serve --migrate-url OWNER_URL)"
        )


_PG_TENANT_BY_NAME = text(
    "SELECT id, name, display_name, tier, created_at FROM coditect_tenant_by_name(:name)"
)
_PG_SET_TENANT = text("SELECT set_config('app.tenant_id', :tid, true)")
_PG_LOCK_NAME = text("SELECT pg_advisory_xact_lock(hashtext('coditect-tenant-name:' || :name))")


async def resolve_principal_pg(
    engine: AsyncEngine,
    tenant_name: str,
    principal: str,
    provision: Provision | None,
    *,
    read_only: bool,
    policy: Policy,
) -> tuple[Tenant, str]:
    """``_resolve_principal`` for PostgreSQL, where RLS hides every tenant row until a tenant
    is set: the tenant is found by name through the SECURITY DEFINER function
    ``coditect_tenant_by_name`` (migration 0001), then the membership is read under RLS."""

    async def lookup(conn: AsyncConnection) -> tuple[Any, Any]:
        tenant_row = (await conn.execute(_PG_TENANT_BY_NAME, {"name": tenant_name})).first()
        member = None
        if tenant_row is not None:
            await conn.execute(_PG_SET_TENANT, {"tid": tenant_row.id})
            member = (
                await conn.execute(
                    select(members.c.role).where(
                        members.c.tenant_id == tenant_row.id, members.c.name == principal
                    )
                )
            ).first()
        return tenant_row, member

    try:
        async with engine.connect() as conn, conn.begin():
            tenant_row, member = await lookup(conn)
        if (tenant_row is None or member is None) and provision is not None and not read_only:
            async with engine.connect() as conn, conn.begin():
                # one provisioner per tenant name at a time (the name is unique anyway)
                await conn.execute(_PG_LOCK_NAME, {"name": tenant_name})
                tenant_row, member = await lookup(conn)
                tenant_id = tenant_row.id if tenant_row is not None else new_id()
                await conn.execute(_PG_BEGIN_WRITE, {"tid": tenant_id})
                await _provision(
                    conn,
                    tenant_row,
                    member,
                    tenant_name,
                    principal,
                    provision,
                    policy,
                    tenant_id=tenant_id,
                )
                tenant_row, member = await lookup(conn)
    except IntegrityError as exc:
        raise Conflict(f"conflicts with existing data: {_orig(exc)}") from None
    except (OperationalError, DBAPIError) as exc:
        raise _map_db_error(exc) from None
    except OSError as exc:
        raise BackendUnavailable(f"the database cannot be reached: {exc}") from None
    if tenant_row is None:
        raise NotFound(f"tenant {tenant_name!r} does not exist in this store")
    if member is None:
        raise PermissionDenied(f"{principal!r} is not a member of tenant {tenant_name!r}")
    return to_model(Tenant, tenant_row), acting_role(policy, provision, member.role)
