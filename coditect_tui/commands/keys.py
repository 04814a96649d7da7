"""``coditect keys create|list|revoke``: API keys of the tenant (shown once)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_items, print_json, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import ApiKeyInfo


def _when(value: str) -> datetime:
    from coditect_tui.commands.audit import parse_when

    return parse_when(value)


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if days <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 days")
    return days


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``keys`` and its sub-commands."""
    keys = sub.add_parser(
        "keys",
        help="create, list or revoke API keys of the tenant",
        description="API keys for the tenant API. Owners and admins manage "
        "everyone's; other roles their own.",
    )
    add_common(keys)
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="create a key (the secret is printed once)",
        description="Create an API key bound to a principal, this tenant and a role. Only its "
        "sha256 is stored: copy the secret now. Auditor keys need an expiry. "
        "With --db, acts directly on a server's database (bootstrap of a tenant's "
        "first owner key).",
    )
    create.add_argument("--principal", help="whose key (default: you)")
    create.add_argument("--role", help="the key's role (default: the principal's role)")
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires",
        type=_when,
        metavar="WHEN",
        help="expiry (ISO date or date-time, UTC when no zone)",
    )
    expiry.add_argument("--expires-in", type=_days, metavar="DAYS", help="expiry in DAYS days")
    create.add_argument(
        "--db",
        metavar="URL",
        help="the server's database (postgresql://app-role@host/db or a "
        "SQLite file) instead of the profile's backend",
    )
    create.add_argument(
        "--db-tenant", metavar="NAME", help="with --db: the tenant (created when --tier is given)"
    )
    create.add_argument(
        "--tier",
        help="with --db: create the tenant in this tier if missing (the principal becomes "
        "its owner); an existing tenant must be in this tier, and the principal already "
        "a member (its role is kept)",
    )
    add_format_options(create, ("text", "json"), note="json holds the secret too")
    add_common(create)
    create.set_defaults(handler=run_create)

    listing = actions.add_parser(
        "list",
        help="list keys (never their secrets)",
        description="Keys of the tenant, newest first.",
    )
    add_format_options(listing, ("table", "json"))
    add_common(listing)
    listing.set_defaults(handler=run_list)

    revoke = actions.add_parser(
        "revoke", help="revoke a key", description="Revoke a key by its id (see keys list)."
    )
    revoke.add_argument("key_id", metavar="KEY_ID")
    add_format_options(revoke, ("text", "json"))
    add_common(revoke)
    revoke.set_defaults(handler=run_revoke)


def _expiry(args: argparse.Namespace) -> datetime | None:
    if args.expires_in is not None:
        return datetime.now(UTC) + timedelta(days=args.expires_in)
    expires: datetime | None = args.expires
    return expires


def _line(info: ApiKeyInfo) -> str:
    from coditect_tui.core.models import format_ts
    from coditect_tui.core.safe_text import safe_text

    state = "revoked" if info.revoked_at else "active"
    expires = format_ts(info.expires_at)[:19] if info.expires_at else "never"
    return (
        f"{info.id}  {info.prefix}…  {safe_text(info.principal):<16} {info.role:<10} "
        f"{state:<8} expires {expires}"
    )


def run_create(args: argparse.Namespace, ctx: CliContext) -> int:
    """Create a key and print its secret once."""
    import asyncio

    from coditect_tui.core.errors import ConfigError

    async def work(backend: Backend) -> Any:
        return await backend.create_api_key(
            principal=args.principal, role=args.role, expires_at=_expiry(args)
        )

    if args.db:
        if not args.db_tenant:
            raise ConfigError("--db needs --db-tenant NAME")
        if not args.principal:
            raise ConfigError("--db needs --principal NAME (whose key, acting for itself)")

        async def direct() -> Any:
            backend = await _open_db(args)
            try:
                return await work(backend)
            finally:
                await backend.close()

        new = asyncio.run(direct())
    else:
        new = ctx.run(work)
    if args.format == "json":
        print_json(new.model_dump(mode="json"))
    else:
        print(_line(new.info))
        print(f"secret (shown once, store it now): {new.secret}")
    return 0


async def _open_db(args: argparse.Namespace) -> Backend:
    """The store on a server's database, acting as ``--principal`` in ``--db-tenant``."""
    from coditect_tui.core.factory import Provision, open_store

    provision = None
    if args.tier:
        provision = Provision(
            display_name=args.db_tenant, tier=args.tier, role="owner", new_tenant_only=True
        )
    return await open_store(
        args.db, tenant=args.db_tenant, principal=args.principal, provision=provision
    )


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print one line (or a JSON array) of keys."""

    async def work(backend: Backend) -> list[ApiKeyInfo]:
        return await backend.list_api_keys()

    print_items(ctx.run(work), fmt=args.format, line=_line, empty="no API keys")
    return 0


def run_revoke(args: argparse.Namespace, ctx: CliContext) -> int:
    """Revoke one key."""

    async def work(backend: Backend) -> ApiKeyInfo:
        return await backend.revoke_api_key(args.key_id)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0
