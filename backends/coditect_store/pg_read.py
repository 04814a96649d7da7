"""Read transactions on PostgreSQL, run on the pooled connection's asyncpg handle.

Why: through SQLAlchemy's async engine a one-query read pays for about six greenlet hops,
an execution context and a CursorResult. On the 2-core bench VM that was ~1.7 ms of CPU
for ``list_projects`` against ~0.35 ms for the same transaction on the driver, and reads
are the tenant API's hot path (bench/bench_api.py, docs/benchmarks.md).

What stays the same: statements are SQLAlchemy Core, compiled by SQLAlchemy's own asyncpg
dialect, with the same bind and result processing (e.g. ``UTCDateTime`` parses stored
text); the tenant is set only for the transaction (``set_config(..., true)`` sent with
``BEGIN`` as one simple query), so nothing outlives it on the pooled connection. What is
added: the transaction is ``READ ONLY``, a third wall behind the store's ``ReadOnly`` and
the grants.

Statements declared once with ``prepared.prepared`` (named ``bindparam()`` placeholders,
no embedded values) are compiled once per process; any other statement is compiled per
call, which costs about as much as SQLAlchemy's own cached path.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import DQLDMLClauseElement
from sqlalchemy.util import greenlet_spawn

from coditect_store.engine import pg_literal
from coditect_store.prepared import Prepared
from coditect_store.schema import UTCDateTime

Processor = Callable[[Any], Any] | None

#: What the driver raises for a statement PostgreSQL refused (e.g. a malformed tsquery).
STATEMENT_ERRORS: tuple[type[Exception], ...] = (asyncpg.PostgresError,)


def plan_of(stmt: Prepared, dialect: Dialect) -> _Plan:
    """The compiled form of ``stmt`` for ``dialect`` (compiled on first use).

    Raises:
        TypeError: the statement needs per-call expansion (an ``in_()`` list).
    """
    plan = stmt.plans.get(dialect.name)
    if plan is None:
        plan = stmt.plans[dialect.name] = _Plan(
            stmt.stmt, dialect, frozen=True, text_timestamps=stmt.text_timestamps
        )
    return plan


class _Plan:
    """SQL text, parameter order and processors of one compiled statement."""

    __slots__ = ("binders", "compiled", "expanded", "names", "processors", "row_type", "sql")

    def __init__(
        self,
        stmt: Executable,
        dialect: Dialect,
        *,
        frozen: bool,
        params: Mapping[str, Any] | None = None,
        text_timestamps: bool = False,
    ) -> None:
        # Reads are SELECT (or text) statements: DQL, compiled by an SQLCompiler, whose
        # attributes are used below. The Executable mixin does not declare compile().
        compiled = cast(DQLDMLClauseElement, stmt).compile(dialect=dialect)
        self.compiled = compiled
        self.expanded: tuple[Any, ...] | None = None
        if compiled.post_compile_params or compiled.literal_execute_params:
            if frozen:
                raise TypeError("a prepared statement cannot hold an expanding in_() list")
            # an in_() list in this one statement: render it out with this call's values
            state = compiled.construct_expanded_state(params, escape_names=False)
            self.sql = state.statement
            self.names = tuple(state.positiontup or ())
            processors = state.processors
            self.expanded = tuple(
                processors[name](value) if name in processors and value is not None else value
                for name, value in zip(self.names, state.positional_parameters, strict=True)
            )
            self.binders: tuple[Processor, ...] = ()
        else:
            self.sql = compiled.string
            self.names = tuple(compiled.positiontup or ())
            self.binders = tuple(
                compiled.binds[name].type.bind_processor(dialect)
                if name in compiled.binds
                else None
                for name in self.names
            )
        columns = getattr(stmt, "selected_columns", None)
        self.processors: tuple[Processor, ...] = (
            tuple(
                None
                if text_timestamps and isinstance(column.type, UTCDateTime)
                else column.type.result_processor(dialect, None)
                for column in columns
            )
            if columns is not None
            else ()
        )
        self.row_type: type[PgRow] | None = None

    def args(self, params: Mapping[str, Any] | None) -> list[Any]:
        if self.expanded is not None:
            return list(self.expanded)
        values = self.compiled.construct_params(params, escape_names=False)
        out = []
        for name, binder in zip(self.names, self.binders, strict=True):
            value = values[name]
            out.append(binder(value) if binder is not None and value is not None else value)
        return out

    def rows(self, records: Sequence[asyncpg.Record]) -> list[PgRow]:
        if not records:
            return []
        row_type = self.row_type
        if row_type is None:
            row_type = self.row_type = _row_type(tuple(records[0].keys()))
        processors = self.processors
        if not any(processors):
            return [row_type(record.values()) for record in records]
        width = len(row_type._keys)
        procs = (processors + (None,) * width)[:width]
        return [
            row_type(
                [
                    proc(value) if proc is not None and value is not None else value
                    for proc, value in zip(procs, record.values(), strict=True)
                ]
            )
            for record in records
        ]


class PgRow(tuple[Any, ...]):
    """A result row: by position, by attribute, and as a mapping (``row._mapping``)."""

    __slots__ = ()
    _keys: tuple[str, ...] = ()
    _field_index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._field_index[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._keys, self, strict=True))

    @property
    def _fields(self) -> tuple[str, ...]:
        return self._keys


@functools.lru_cache(maxsize=1024)  # one class per column list, shared by every plan
def _row_type(keys: tuple[str, ...]) -> type[PgRow]:
    return type(
        "PgRow",
        (PgRow,),
        {"__slots__": (), "_keys": keys, "_field_index": {k: i for i, k in enumerate(keys)}},
    )


class Rows:
    """The rows of one statement, with the subset of SQLAlchemy's Result the store uses."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[PgRow]) -> None:
        self._rows = rows

    def all(self) -> list[PgRow]:
        return self._rows

    def first(self) -> PgRow | None:
        return self._rows[0] if self._rows else None

    def one(self) -> PgRow:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def one_or_none(self) -> PgRow | None:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalars(self) -> _Scalars:
        return _Scalars([row[0] for row in self._rows])

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self._rows)


class _Scalars:
    __slots__ = ("_values",)

    def __init__(self, values: list[Any]) -> None:
        self._values = values

    def all(self) -> list[Any]:
        return self._values

    def first(self) -> Any:
        return self._values[0] if self._values else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)


class PgReadConnection:
    """The connection a read operation sees on PostgreSQL (``op.conn``)."""

    __slots__ = ("_dialect", "_driver")

    def __init__(self, driver: asyncpg.Connection, dialect: Dialect) -> None:
        self._driver = driver
        self._dialect = dialect

    @property
    def dialect(self) -> Dialect:
        """SQLAlchemy's asyncpg dialect (as ``AsyncConnection.dialect``)."""
        return self._dialect

    async def execute(
        self, stmt: Executable | Prepared, params: Mapping[str, Any] | None = None
    ) -> Rows:
        """Run one statement and return its rows.

        Raises:
            asyncpg.PostgresError, OSError: as the driver raises them (the caller maps them).
        """
        plan = (
            plan_of(stmt, self._dialect)
            if isinstance(stmt, Prepared)
            else _Plan(stmt, self._dialect, frozen=False, params=params)
        )
        records = await self._driver.fetch(plan.sql, *plan.args(params))
        return Rows(plan.rows(records))


@asynccontextmanager
async def read_transaction(engine: AsyncEngine, tenant_id: str) -> AsyncIterator[PgReadConnection]:
    """A ``READ ONLY`` transaction confined to ``tenant_id`` on a pooled connection.

    A connection whose transaction could not be ended cleanly is discarded, never
    returned to the pool.

    Raises:
        asyncpg.PostgresError, asyncpg.InterfaceError, OSError: from the driver.
    """
    fairy = await engine.raw_connection()
    driver: asyncpg.Connection = fairy.driver_connection
    clean = False
    try:
        await driver.execute(
            f"BEGIN READ ONLY; SELECT set_config('app.tenant_id', {pg_literal(tenant_id)}, true)"
        )
        yield PgReadConnection(driver, engine.dialect)
        await driver.execute("COMMIT")
        clean = True
    finally:
        if not clean:
            try:
                if not driver.is_closed():
                    await driver.execute("ROLLBACK")
                    clean = True
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass
            if not clean:
                with contextlib.suppress(Exception):
                    await greenlet_spawn(fairy.invalidate)
        # the pool may close the connection on check-in (overflow): I/O through SQLAlchemy
        await greenlet_spawn(fairy.close)
