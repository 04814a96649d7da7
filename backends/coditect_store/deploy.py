"""``coditect migrate``: a store database brought to the head revision one step at a time.

For deployment jobs: the same Alembic revisions the store applies when it opens a SQLite
file, and ``coditect serve --migrate-url`` applies to PostgreSQL, but each revision is
committed on its own and reported, a dry run lists them without changing anything, and a
database at head is left alone (the entry point ``coditect.migrators: sql``). At the
head, webhook secrets not sealed with the secrets key's sealing key are sealed
(``secrets_key.reseal_secrets``: an older version's plain ones, or after a rotation).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coditect_store import migrate
from coditect_store.db_errors import orig_message
from coditect_store.engine import (
    check_sqlite_file,
    is_postgres_url,
    make_postgres_engine,
    make_sqlite_engine,
    prepare_sqlite_file,
    redact_url,
)
from coditect_store.secrets_key import reseal_secrets
from coditect_tui.core.contract.migration import MigrationResult, MigrationStep
from coditect_tui.core.errors import BackendError, BackendUnavailable

#: PostgreSQL advisory lock of the migrations (as in ``migrate.upgrade_postgres``)
PG_LOCK = "SELECT pg_advisory_lock(hashtext('coditect-migrate'))"


def steps_after(revision: str | None) -> tuple[MigrationStep, ...]:
    """The revisions after ``revision`` up to the head, with their titles.

    Args:
        revision: a known revision, or None for an empty database.
    """
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    start = 0 if revision is None else migrate.KNOWN_REVISIONS.index(revision) + 1
    steps = []
    for rev in migrate.KNOWN_REVISIONS[start:]:
        paragraph = (scripts.get_revision(rev).doc or "").strip().split("\n\n")[0]
        steps.append(MigrationStep(rev, " ".join(paragraph.split()).rstrip(".")))
    return tuple(steps)


async def _apply(
    conn: AsyncConnection,
    steps: tuple[MigrationStep, ...],
    on_step: Callable[[MigrationStep], None] | None,
) -> tuple[MigrationStep, ...]:
    """Apply ``steps`` on ``conn``, one committed transaction each; a step that another
    run applied meanwhile is passed over (not reported)."""
    done: list[MigrationStep] = []
    for step in steps:
        position = migrate.KNOWN_REVISIONS.index(step.revision)

        def one(sync_conn: Connection, position: int = position) -> bool:
            # read inside this step's transaction (SQLite's write lock is taken by its
            # BEGIN IMMEDIATE): a run that got there first is seen, never applied twice
            found = (
                sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if inspect(sync_conn).has_table("alembic_version")
                else None
            )
            if found is not None and migrate.KNOWN_REVISIONS.index(found) >= position:
                return False
            migrate.upgrade(sync_conn, migrate.KNOWN_REVISIONS[position])
            return True

        applied = await conn.run_sync(one)
        await conn.commit()
        if applied:
            done.append(step)
            if on_step is not None:
                on_step(step)
    return tuple(done)


async def _revision(conn: AsyncConnection, where: str) -> str | None:
    revision = await conn.run_sync(migrate.current_revision)
    await conn.rollback()
    migrate.check_revision(revision, where)
    return revision


async def migrate_sqlite(
    path: Path, *, dry_run: bool, on_step: Callable[[MigrationStep], None] | None
) -> MigrationResult:
    """``migrate_database`` for a SQLite file (backed up before its first step)."""
    where = str(path)
    check_sqlite_file(path)
    before = migrate.preflight(path)
    pending = steps_after(before)
    if dry_run:
        return MigrationResult(where, before, before, migrate.HEAD, pending)
    prepare_sqlite_file(path, create=True)
    backup = str(migrate.backup_sqlite(path, before)) if before is not None and pending else None
    engine: AsyncEngine = make_sqlite_engine(path, read_only=False)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(coditect_write=True)
            done = await _apply(conn, pending, on_step)
            after = await _revision(conn, where)
            async with conn.begin():
                sealed = await reseal_secrets(conn)
    except BackendError:
        raise
    except (OperationalError, DBAPIError) as exc:
        raise BackendUnavailable(f"{where}: migration failed: {orig_message(exc)}") from None
    finally:
        await engine.dispose()
    return MigrationResult(where, before, after, migrate.HEAD, done, backup, sealed)


async def migrate_postgres(
    url: str, *, dry_run: bool, on_step: Callable[[MigrationStep], None] | None
) -> MigrationResult:
    """``migrate_database`` for PostgreSQL, as the schema's owner, under the migration lock."""
    where = redact_url(url)
    engine = make_postgres_engine(url, pooled=False)
    try:
        async with engine.connect() as conn:
            if not dry_run:  # the lock is the session's: held until the connection closes
                await conn.execute(text(PG_LOCK))
            before = await _revision(conn, where)
            pending = steps_after(before)
            if dry_run:
                return MigrationResult(where, before, before, migrate.HEAD, pending)
            done = await _apply(conn, pending, on_step)
            after = await _revision(conn, where)
            sealed = await _reseal_postgres(conn)
        return MigrationResult(where, before, after, migrate.HEAD, done, sealed=sealed)
    except BackendError:
        raise
    except DBAPIError as exc:
        raise BackendUnavailable(f"{where}: migration failed: {orig_message(exc)}") from None
    except OSError as exc:
        raise BackendUnavailable(f"{where}: cannot connect: {exc}") from None
    finally:
        await engine.dispose()


async def _reseal_postgres(conn: AsyncConnection) -> int:
    """``reseal_secrets`` as the schema's owner: row-level security is forced on the
    owner too, so it is lifted for this one transaction (and back before its commit;
    a failure rolls both back)."""
    async with conn.begin():
        await conn.execute(text("ALTER TABLE webhook_subscriptions NO FORCE ROW LEVEL SECURITY"))
        sealed = await reseal_secrets(conn)
        await conn.execute(text("ALTER TABLE webhook_subscriptions FORCE ROW LEVEL SECURITY"))
    return sealed


async def migrate_database(
    db: str,
    *,
    dry_run: bool = False,
    on_step: Callable[[MigrationStep], None] | None = None,
) -> MigrationResult:
    """Bring ``db`` to the head revision (see ``core.contract.migration.StoreMigrator``)."""
    if is_postgres_url(db):
        return await migrate_postgres(db, dry_run=dry_run, on_step=on_step)
    return await migrate_sqlite(Path(db).expanduser(), dry_run=dry_run, on_step=on_step)
