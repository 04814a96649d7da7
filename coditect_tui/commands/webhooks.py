"""``coditect webhooks add|list|remove|log``: the tenant API's webhook subscriptions.

Remote profiles only: the tenant API server delivers webhooks; a local store has no
server, so nothing would ever send them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_items, print_json

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.webhooks import WebhookDelivery, WebhookInfo


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000")
    return number


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``webhooks`` and its sub-commands."""
    hooks = sub.add_parser(
        "webhooks",
        help="add, list or remove webhook subscriptions; read the delivery log",
        description="Webhooks of a remote tenant (owners and admins; auditors may read): "
        "the server POSTs each matching audit event, signed (Standard Webhooks), "
        "retrying for hours. See docs/server.md.",
    )
    add_common(hooks)
    actions = hooks.add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="subscribe a URL (the signing secret is printed once)",
        description="Subscribe URL to the tenant's audit events. The server refuses "
        "addresses in private, loopback and link-local ranges unless it allows them.",
    )
    add.add_argument("url", metavar="URL")
    add.add_argument(
        "--event",
        dest="events",
        action="append",
        metavar="PATTERN",
        help="event name pattern, e.g. 'projects.*' or '*.delete' (repeatable; default: *)",
    )
    add.add_argument("--description", default="", help="a note for people")
    add_format_options(add, ("text", "json"), note="json holds the secret too")
    add_common(add)
    add.set_defaults(handler=run_add)

    listing = actions.add_parser(
        "list", help="list subscriptions (never their secrets)", description="Oldest first."
    )
    add_format_options(listing, ("table", "json"))
    add_common(listing)
    listing.set_defaults(handler=run_list)

    remove = actions.add_parser(
        "remove",
        help="remove a subscription",
        description="Remove a subscription with its queued and logged deliveries.",
    )
    remove.add_argument("webhook_id", metavar="WEBHOOK_ID")
    add_format_options(remove, ("text", "json"))
    add_common(remove)
    remove.set_defaults(handler=run_remove)

    log = actions.add_parser(
        "log", help="the delivery log", description="Deliveries, newest first."
    )
    log.add_argument("webhook_id", metavar="WEBHOOK_ID", nargs="?", help="only this one's")
    log.add_argument("--limit", type=_limit, default=50, help="at most N (default 50)")
    add_format_options(log, ("table", "json"))
    add_common(log)
    log.set_defaults(handler=run_log)


def _remote_only(ctx: CliContext) -> None:
    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.settings import LocalBackendConfig

    profile = ctx.profile()
    if isinstance(profile.backend, LocalBackendConfig):
        raise ConfigError(
            f"tenant {profile.name!r} is local: webhooks are sent by a tenant API server "
            "(coditect serve), which a local store does not have; use a remote profile"
        )


def _hook_line(info: WebhookInfo) -> str:
    from coditect_tui.core.safe_text import safe_text

    state = "enabled" if info.enabled else f"DISABLED ({safe_text(info.disabled_reason or '')})"
    return f"{info.id}  {safe_text(info.url)}  [{safe_text(', '.join(info.events))}]  {state}"


def _delivery_line(item: WebhookDelivery) -> str:
    from coditect_tui.core.models import format_ts
    from coditect_tui.core.safe_text import safe_text

    outcome = safe_text(item.last_error or "") or (str(item.last_status or "") or "-")
    return (
        f"{item.id}  {format_ts(item.created_at)[:19]}  seq {item.event_seq:<6} "
        f"{safe_text(item.event):<24} {item.state:<9} tries {item.attempts:<3} {outcome}"
    )


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    """Subscribe a URL and print its secret once."""
    from pydantic import ValidationError

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.webhooks import WebhookSpec

    _remote_only(ctx)
    try:
        spec = WebhookSpec(url=args.url, events=args.events or ["*"], description=args.description)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}") from None

    async def work(backend: Backend) -> Any:
        return await backend.add_webhook(spec)

    new = ctx.run(work)
    if args.format == "json":
        print_json(new.model_dump(mode="json"))
    else:
        print(_hook_line(new.info))
        print(f"secret (shown once, store it now): {new.secret}")
    return 0


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """One line (or a JSON array) per subscription."""
    _remote_only(ctx)

    async def work(backend: Backend) -> list[WebhookInfo]:
        return await backend.list_webhooks()

    print_items(ctx.run(work), fmt=args.format, line=_hook_line, empty="no webhooks")
    return 0


def run_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    """Remove one subscription."""
    from coditect_tui.core.safe_text import safe_text

    _remote_only(ctx)

    async def work(backend: Backend) -> None:
        await backend.remove_webhook(args.webhook_id)

    ctx.run(work)
    if args.format == "json":
        print_json({"removed": args.webhook_id})
    else:
        print(f"removed webhook {safe_text(args.webhook_id)}")
    return 0


def run_log(args: argparse.Namespace, ctx: CliContext) -> int:
    """One line (or a JSON array) per delivery, newest first."""
    _remote_only(ctx)

    async def work(backend: Backend) -> list[WebhookDelivery]:
        return await backend.list_webhook_deliveries(args.webhook_id, limit=args.limit)

    print_items(ctx.run(work), fmt=args.format, line=_delivery_line, empty="no deliveries")
    return 0
