"""``coditect serve``: run the tenant API (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.listen import check_can_listen, port
from coditect_tui.core.wording import plural


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _network(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a network (e.g. 127.0.0.1/32 or 10.0.0.0/8)"
        ) from None


def _tenant_principal(value: str) -> str:
    tenant, _, principal = value.strip().partition("/")
    if not tenant or not principal or "," in value:
        raise argparse.ArgumentTypeError(f"{value!r} is not TENANT/PRINCIPAL (e.g. ops/root)")
    return f"{tenant}/{principal}"


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``serve`` (without ``--read-only``: read-only is each client's choice)."""
    parser = sub.add_parser(
        "serve",
        help="run the tenant API server (FastAPI on uvicorn)",
        description="Serve the tenant API over a PostgreSQL database (row-level security; "
        "connect as a member of the database's role coditect_<db>_app) or one SQLite file "
        "(one node). "
        "See docs/server.md.",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="postgresql://app-role@host/db, or a SQLite file "
        "(default: $CODITECT_DB, else the local store file)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=port, default=8765, help="port (default %(default)s)")
    parser.add_argument(
        "--workers", type=_positive, default=1, help="worker processes (default %(default)s)"
    )
    parser.add_argument(
        "--pool-size",
        type=_positive,
        default=10,
        help="PostgreSQL connections per worker (default %(default)s)",
    )
    parser.add_argument(
        "--migrate-url",
        metavar="OWNER_URL",
        help="first migrate the PostgreSQL schema as its owner (creates the "
        "database's coditect_<db>_app and coditect_<db>_lookup roles, RLS policies, grants)",
    )
    parser.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="write no JSON line per request to stderr (docs/server.md)",
    )
    parser.add_argument(
        "--no-metrics",
        dest="metrics",
        action="store_false",
        help="serve no /metrics and count nothing for it (docs/server.md)",
    )
    repeatable = {"action": "append", "default": []}
    parser.add_argument(
        "--webhook-allow-network",
        dest="webhook_allow",
        metavar="CIDR",
        type=_network,
        help="let webhooks reach this private, loopback or link-local network "
        "(repeatable; default: public addresses only; docs/security.md)",
        **repeatable,
    )
    parser.add_argument(
        "--platform-admin",
        dest="platform_admins",
        metavar="TENANT/PRINCIPAL",
        type=_tenant_principal,
        help="this principal of this tenant may create tenants and change their state "
        "(repeatable; beside $CODITECT_PLATFORM_ADMINS; docs/security.md)",
        **repeatable,
    )
    add_common(parser, only=("--config", "--tenant"))
    parser.set_defaults(handler=run, plugin_host=False)  # each worker runs its own


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Check the database, then hand over to uvicorn until interrupted."""
    import asyncio
    import os

    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.extras import SERVER_MODULES, require_extra
    from coditect_tui.core.settings import LocalBackendConfig

    require_extra("coditect serve", SERVER_MODULES)
    if ctx.read_only_flag:  # given before the command: refuse rather than serve writes
        raise ConfigError(
            "serve has no --read-only: each client chooses read-only (its profile's "
            "read_only, or --read-only)"
        )
    db = args.db or os.environ.get("CODITECT_DB")
    if not db:
        backend = ctx.profile().backend
        db = str(backend.store_path()) if isinstance(backend, LocalBackendConfig) else None
    if not db:
        raise ConfigError("no database: pass --db URL (or set CODITECT_DB)")

    from coditect_tui.core.factory import server_launcher

    launcher = server_launcher()
    asyncio.run(launcher.check(db, migrate_url=args.migrate_url))
    check_can_listen(args.host, args.port)

    from coditect_tui.core.plugins.hub import SERVER_ENV

    # each worker runs the plugins these settings let run (docs/plugins.md)
    os.environ[SERVER_ENV] = ctx.loaded.settings.plugins.model_dump_json()
    print(
        f"coditect: serving the tenant API on http://{args.host}:{args.port} "
        f"({plural(args.workers, 'worker')}); docs at /docs",
        flush=True,
    )
    launcher.serve(
        db,
        host=args.host,
        port=args.port,
        workers=args.workers,
        pool_size=args.pool_size,
        log_level=args.log_level,
        access_log=args.access_log,
        metrics=args.metrics,
        webhook_allow=tuple(args.webhook_allow),
        platform_admins=tuple(args.platform_admins),
    )
    return 0
