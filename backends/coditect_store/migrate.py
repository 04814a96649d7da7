"""Schema versioning of the store: check cheaply, migrate with Alembic, back up first.

Opening a current database costs one query; Alembic is imported only when a migration
is actually needed (it is slow to import and the app's start is measured).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from coditect_store.db_errors import orig_message
from coditect_tui.core.errors import BackendError, BackendUnavailable
from coditect_tui.core.paths import create_private_file

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Every revision this version knows, oldest first. The last is the head.
KNOWN_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
)
HEAD = KNOWN_REVISIONS[-1]


class DeploymentRoles(NamedTuple):
    """The two NOLOGIN group roles of one PostgreSQL database (one deployment).

    Attributes:
        app: what the app's login role is a member of (the table grants, CONNECT).
        lookup: the owner of the SECURITY DEFINER lookup functions.
    """

    app: str
    lookup: str


#: the cluster-wide group roles of schema 0001, shared by every deployment of a cluster;
#: revision 0002 moves a database's grants to its own roles (:func:`deployment_roles`) and
#: leaves these none there (they are not dropped: other deployments may still use them)
SHARED_ROLES = DeploymentRoles(app="coditect_app", lookup="coditect_lookup")

_ROLE_SAFE = re.compile(r"[a-z0-9_]{1,40}")


def deployment_roles(database: str) -> DeploymentRoles:
    """The group role names of the deployment in ``database``.

    Roles are cluster-wide, so each database gets its own: ``coditect_<database>_app`` and
    ``coditect_<database>_lookup``. A name that is not lower-case ``[a-z0-9_]`` of at most
    40 characters is reduced to those characters and suffixed with 8 hex digits of its
    sha256, so that two databases never share a role and every name is a plain SQL
    identifier (at most 63 bytes, never quoted).

    Args:
        database: the database's name (``current_database()``).

    Returns:
        The app and lookup role names.
    """
    slug = database
    if not _ROLE_SAFE.fullmatch(database):
        cleaned = re.sub(r"[^a-z0-9_]", "_", database.lower())[:40]
        slug = f"{cleaned}_{hashlib.sha256(database.encode()).hexdigest()[:8]}"
    return DeploymentRoles(app=f"coditect_{slug}_app", lookup=f"coditect_{slug}_lookup")


def preflight(path: Path) -> str | None:
    """Read an existing file's schema revision without changing a byte of it.

    Runs before the engine sets its pragmas (WAL would rewrite a foreign file's header).

    Returns:
        The revision, or None for a missing or empty file.

    Raises:
        BackendUnavailable: unreadable, not a CODITECT store, or a newer schema.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackendUnavailable(f"{path}: cannot open: {exc}") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if "alembic_version" not in tables:
            raise BackendUnavailable(
                f"{path}: not a CODITECT store (it has tables but no "
                "schema version); the file was not changed"
            )
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackendUnavailable(
            f"{path}: not a usable SQLite database ({exc}); the file was not changed"
        ) from None
    finally:
        conn.close()
    revision = row[0] if row else None
    check_revision(revision, str(path))
    return revision


def current_revision(conn: Connection) -> str | None:
    """The database's schema revision, or None for an empty database.

    Raises:
        BackendUnavailable: the database holds tables but is not a CODITECT store.
    """
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError):
        conn.rollback()
        count_tables = (
            "SELECT count(*) FROM sqlite_master WHERE type='table'"
            if conn.dialect.name == "sqlite"
            else "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema()"
        )
        tables = conn.execute(text(count_tables)).scalar_one()
        if tables:
            raise BackendUnavailable(
                "the database is not a CODITECT store (it has tables but no schema version)"
            ) from None
        return None
    return row[0] if row else None


def check_revision(revision: str | None, where: str) -> bool:
    """Whether ``revision`` needs an upgrade.

    Raises:
        BackendUnavailable: the schema is newer than this version of coditect knows.
    """
    if revision is None:
        return True
    if revision not in KNOWN_REVISIONS:
        raise BackendUnavailable(
            f"{where}: database schema {revision!r} is newer than this coditect knows "
            f"(up to {HEAD!r}); upgrade coditect, the file was not changed"
        )
    return revision != HEAD


def backup_sqlite(path: Path, revision: str) -> Path:
    """Copy the database with SQLite's online backup API before a migration.

    Returns:
        The backup's path: ``<file>.bak-<revision>-<UTC time>``.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{revision}-{stamp}")
    create_private_file(target)  # SQLite would create it 0644 minus the umask
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def alembic_config(conn: Connection | None = None) -> Any:
    """Alembic's configuration of the store's migrations (on ``conn``, when given)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection, target: str = "head") -> None:
    """Run Alembic's upgrade to ``target`` on ``conn`` (inside the caller's transaction)."""
    from alembic import command

    command.upgrade(alembic_config(conn), target)


async def upgrade_postgres(owner_url: str) -> str | None:
    """Migrate the PostgreSQL database at ``owner_url`` to the head revision.

    Runs as the owner of the schema (it creates tables, row-level security policies, the
    database's own group roles (:func:`deployment_roles`) and the SECURITY DEFINER lookup
    functions, and revokes CONNECT on the database from PUBLIC); the app itself then
    connects as a login role that is a member of the database's app role (see
    docs/server.md). Idempotent: a database at head is left alone, and concurrent calls
    on one database run one after the other.

    Returns:
        The revision found before the upgrade (None for an empty database).

    Raises:
        BackendUnavailable: unreachable, or a schema newer than this coditect knows.
    """
    # one committed transaction per revision, under the database's advisory lock:
    # replicas started with --migrate-url at once migrate one at a time, and the others
    # then find the database at head (roles shared by several databases tolerate
    # concurrent creation on their own: postgres.create_role_sql)
    from coditect_store.deploy import migrate_postgres

    return (await migrate_postgres(owner_url, dry_run=False, on_step=None)).before


async def prepare_sqlite_schema(engine: AsyncEngine, path: Path, *, read_only: bool) -> None:
    """Bring the SQLite store at ``path`` to the head revision (after a backup of an
    existing file), or refuse when read-only.

    Args:
        engine: the store's engine (its pragmas set, nothing else done yet).
        path: the database file (for the backup and messages).
        read_only: refuse instead of migrating.

    Raises:
        BackendUnavailable: the schema is newer, needs an upgrade while read-only, or the
            database cannot be read.
    """
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(current_revision)
            await conn.rollback()
            if not check_revision(revision, str(path)):
                return
            if read_only:
                raise BackendUnavailable(
                    f"{path}: the store needs a schema upgrade; open it once without --read-only"
                )
            if revision is not None:
                backup_sqlite(path, revision)
            await conn.execution_options(coditect_write=True)
            await conn.run_sync(lambda sync_conn: upgrade(sync_conn))
            await conn.commit()
    except BackendError:
        raise
    except (OperationalError, DBAPIError) as exc:
        raise BackendUnavailable(f"{path}: {orig_message(exc)}") from None


async def check_postgres_schema(engine: AsyncEngine, url: str) -> None:
    """Refuse a PostgreSQL database whose schema is missing, older or newer than this code.

    Raises:
        BackendUnavailable: unreachable, not migrated, or migrated by a newer coditect.
    """
    from coditect_store.engine import redact_url

    where = redact_url(url)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(current_revision)
            await conn.rollback()
    except BackendError:
        raise
    except (OperationalError, DBAPIError) as exc:
        message = orig_message(exc)
        if message.startswith("permission denied for database"):  # no CONNECT for PUBLIC (0002)
            app = deployment_roles(engine.url.database or "").app
            message += f"; grant the app's login this database's app role: GRANT {app} TO " + (
                f"{engine.url.username} (docs/server.md)"
            )
        raise BackendUnavailable(f"{where}: {message}") from None
    except OSError as exc:
        raise BackendUnavailable(f"{where}: cannot connect: {exc}") from None
    if check_revision(revision, where):
        raise BackendUnavailable(
            f"{where}: the database schema is not at revision {HEAD!r} (found "
            f"{revision!r}); run the migration as the database owner first "
            "(coditect serve --migrate-url OWNER_URL)"
        )
