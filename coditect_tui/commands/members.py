"""``coditect members list|add|set-role|remove``: who may act in the tenant, as what."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_items, print_json, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Member


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``members`` and its sub-commands."""
    members = sub.add_parser(
        "members",
        help="list, add, change or remove tenant members",
        description="Members of the tenant and their roles (config/roles.yaml).",
    )
    add_common(members)
    actions = members.add_subparsers(dest="members_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list members", description="Members by name.")
    add_format_options(listing, ("table", "json"))
    add_common(listing)
    listing.set_defaults(handler=run_list)

    add = actions.add_parser("add", help="add a member", description="Add a principal.")
    add.add_argument("name")
    add.add_argument("role")
    add_format_options(add, ("text", "json"))
    add_common(add)
    add.set_defaults(handler=run_add)

    set_role = actions.add_parser(
        "set-role", help="change a member's role", description="Change a member's role."
    )
    set_role.add_argument("name")
    set_role.add_argument("role")
    add_format_options(set_role, ("text", "json"))
    add_common(set_role)
    set_role.set_defaults(handler=run_set_role)

    remove = actions.add_parser(
        "remove",
        help="remove a member (revokes their keys)",
        description="Remove a member and revoke their keys here.",
    )
    remove.add_argument("name")
    add_format_options(remove, ("text", "json"))
    add_common(remove)
    remove.set_defaults(handler=run_remove)


def _line(member: Member) -> str:
    from coditect_tui.core.models import format_ts
    from coditect_tui.core.safe_text import safe_text

    since = format_ts(member.created_at)[:10]
    return f"{safe_text(member.name):<24} {member.role:<12} since {since}"


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the members."""

    async def work(backend: Backend) -> list[Member]:
        return await backend.list_members()

    print_items(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    """Add a member."""

    async def work(backend: Backend) -> Member:
        return await backend.add_member(args.name, args.role)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_set_role(args: argparse.Namespace, ctx: CliContext) -> int:
    """Change a member's role."""

    async def work(backend: Backend) -> Member:
        return await backend.set_member_role(args.name, args.role)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    """Remove a member."""
    from coditect_tui.core.safe_text import safe_text

    async def work(backend: Backend) -> None:
        await backend.remove_member(args.name)

    ctx.run(work)
    if args.format == "json":
        print_json({"removed": args.name})
    else:
        print(f"removed {safe_text(args.name)}")
    return 0
