"""The ``coditect serve`` launcher (entry point group ``coditect.server``, name ``serve``).

The CLI finds this module through ``coditect_tui.core.factory.server_launcher()``, so it
never imports the server or the store itself.
"""

from __future__ import annotations


async def check(db: str, *, migrate_url: str | None = None) -> None:
    """Migrate first when asked, then open and close the database as a worker would.

    Args:
        db: ``postgresql://app-role@host/db`` or a SQLite file (``sqlite:///path``).
        migrate_url: the schema owner's URL to migrate with first (None: no migration).

    Raises:
        BackendUnavailable: unreachable, not migrated, a newer schema, or (PostgreSQL) an
            app role that owns tables or bypasses row-level security.
        ConfigError: a bad ``/api/v1`` deprecation, webhook, API call flush or platform
            administrators setting (the workers read them too).
        SecretsKeyError: the webhook secrets key file is there but unusable (open to
            others, or not a key).
    """
    import os

    from coditect_server import api_calls, deprecation, outbound
    from coditect_server.main import PLATFORM_ADMINS_ENV, platform_admins_from_env
    from coditect_server.state import ServerConfig, ServerState
    from coditect_store import migrate, secrets_key

    deprecation.from_env()
    outbound.webhook_env()
    api_calls.interval_from_env()
    platform_admins_from_env(os.environ.get(PLATFORM_ADMINS_ENV))
    if os.path.lexists(secrets_key.key_path()):
        secrets_key.load_keyring()

    if migrate_url:
        await migrate.upgrade_postgres(migrate_url)
    state = ServerState(ServerConfig(db=db, pool_size=1, webhooks=False))
    try:
        await state.start()
    finally:
        await state.stop()


def serve(
    db: str,
    *,
    host: str,
    port: int,
    workers: int,
    pool_size: int,
    log_level: str,
    access_log: bool = True,
    metrics: bool = True,
    webhook_allow: tuple[str, ...] = (),
    platform_admins: tuple[str, ...] = (),
) -> None:
    """Serve the tenant API on ``host:port`` with ``workers`` processes until interrupted.

    The workers build their app from the environment (``CODITECT_SERVE_DB``,
    ``CODITECT_SERVE_POOL``, ``CODITECT_SERVE_ACCESS_LOG``, ``CODITECT_SERVE_METRICS``),
    which this sets.

    Args:
        db: the database the workers serve.
        host: the address to bind.
        port: the port to bind.
        workers: worker processes.
        pool_size: database connections per worker.
        log_level: uvicorn's log level.
        access_log: write one JSON line per request to stderr.
        metrics: serve ``/metrics`` (and count what it shows).
        webhook_allow: networks webhooks may reach although private or loopback.
        platform_admins: ``tenant/principal`` entries who create tenants and change
            their state (added to ``$CODITECT_PLATFORM_ADMINS``).
    """
    import os

    from coditect_server.main import (
        ACCESS_LOG_ENV,
        DB_ENV,
        METRICS_ENV,
        PLATFORM_ADMINS_ENV,
        POOL_ENV,
    )
    from coditect_server.main import serve as run
    from coditect_server.outbound import ALLOW_ENV

    os.environ[DB_ENV] = db
    os.environ[POOL_ENV] = str(pool_size)
    os.environ[ACCESS_LOG_ENV] = "on" if access_log else "off"
    os.environ[METRICS_ENV] = "on" if metrics else "off"
    if webhook_allow:  # the flags win over the operator's variable
        os.environ[ALLOW_ENV] = ",".join(webhook_allow)
    if platform_admins:
        named = os.environ.get(PLATFORM_ADMINS_ENV, "")
        os.environ[PLATFORM_ADMINS_ENV] = ",".join(filter(None, [named, *platform_admins]))
    run(host, port, workers, log_level)
