"""``coditect members list|add|set-role|extend|remove|erase|invite|invites|uninvite``:
who may act in the tenant, as what, and until when."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_items, print_json, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.invitations import Invitation, NewInvitation
    from coditect_tui.core.models import Erasure, Member


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

    add = actions.add_parser(
        "add",
        help="add a member",
        description="Add a principal, optionally with a grant that ends (required for "
        "auditors): --expires 30d or --expires 2026-12-31 (the end of that day, UTC).",
    )
    add.add_argument("name")
    add.add_argument("role", nargs="?", help="the role (or --role)")
    add.add_argument("--role", dest="role_option", metavar="ROLE", help="the role")
    add.add_argument(
        "--expires",
        metavar="DATE|DURATION",
        help="when the grant ends: a date, a date-time, or a duration from now (30d, 12h, 2w)",
    )
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

    extend = actions.add_parser(
        "extend",
        help="extend or shorten a member's grant",
        description="Move the end of a member's grant (owners and admins; audited): "
        "--until DATE sets it, --by DURATION adds to the current end (or to now, once "
        "it has passed), --never removes it (not for auditors).",
    )
    extend.add_argument("name")
    when = extend.add_mutually_exclusive_group()  # one of them: checked in run_extend
    when.add_argument("--until", metavar="DATE", help="the new end (date or date-time)")
    when.add_argument("--by", metavar="DURATION", help="add this to the end (30d, 12h, 2w)")
    when.add_argument("--never", action="store_true", help="the grant no longer ends")
    add_format_options(extend, ("text", "json"))
    add_common(extend)
    extend.set_defaults(handler=run_extend)

    remove = actions.add_parser(
        "remove",
        help="remove a member (revokes their keys)",
        description="Remove a member and revoke their keys here.",
    )
    remove.add_argument("name")
    add_format_options(remove, ("text", "json"))
    add_common(remove)
    remove.set_defaults(handler=run_remove)

    erase = actions.add_parser(
        "erase",
        help="erase a person's personal data (the audit log still verifies)",
        description="Erase a member or former member (owners and admins; audited as "
        "members.erase): removes the membership, revokes their keys, deletes pending "
        "invitations for them, empties their git sessions' descriptions, deletes the "
        "memory entries they indexed, purges webhook payloads naming them and forgets "
        "the name; the audit log names them as 'erased principal #<id>' from then on. "
        "Refused when audit events written before pseudonymous ids (schema 0011) hold "
        "the name inside the hash chain, unless --keep-chained (docs/security.md).",
    )
    erase.add_argument("name")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument(
        "--keep-chained",
        action="store_true",
        help="erase the rest even though audit events still hold the name in the chain",
    )
    add_format_options(erase, ("text", "json"))
    add_common(erase)
    erase.set_defaults(handler=run_erase)
    _register_invitations(actions, add_common)


def _register_invitations(
    actions: Any, add_common: Callable[[argparse.ArgumentParser], None]
) -> None:
    invite = actions.add_parser(
        "invite",
        help="invite a person (prints the one line they run: coditect join URL TOKEN)",
        description="Make a one-time invitation (owners and admins, never above your own "
        "role; audited). Nothing is mailed: the line printed is shown once, to copy to "
        "the person. The membership may end (--expires, required for auditors); the "
        "token stays valid for --valid days (default 7, at most 90).",
    )
    invite.add_argument("name")
    invite.add_argument("--role", metavar="ROLE", help="the role (required)")
    invite.add_argument(
        "--expires",
        metavar="DATE|DURATION",
        help="when the membership ends: a date, a date-time, or a duration (30d, 2w)",
    )
    invite.add_argument(
        "--valid", type=float, default=7.0, metavar="DAYS", help="days the token may be used"
    )
    invite.add_argument("--url", help="the tenant API's address to print (default: the profile's)")
    add_format_options(invite, ("text", "json"))
    add_common(invite)
    invite.set_defaults(handler=run_invite)

    invites = actions.add_parser(
        "invites", help="list pending invitations", description="Pending invitations."
    )
    add_format_options(invites, ("table", "json"))
    add_common(invites)
    invites.set_defaults(handler=run_invites)

    uninvite = actions.add_parser(
        "uninvite",
        help="revoke a pending invitation",
        description="Revoke a pending invitation by its id (coditect members invites).",
    )
    uninvite.add_argument("id")
    add_format_options(uninvite, ("text", "json"))
    add_common(uninvite)
    uninvite.set_defaults(handler=run_uninvite)


def _line(member: Member) -> str:
    from coditect_tui.core.models import format_ts
    from coditect_tui.core.safe_text import safe_text

    since = format_ts(member.created_at)[:10]
    line = f"{safe_text(member.name):<24} {member.role:<12} since {since}"
    if member.expires_at is not None:
        from coditect_tui.core.grants import show_moment
        from coditect_tui.core.models import utcnow
        from coditect_tui.core.wording import time_left

        left = time_left(member.expires_at, utcnow())
        line += f"  until {show_moment(member.expires_at)} ({left})"
    return line


def _role(args: argparse.Namespace) -> str:
    """The role of ``members add``: positional or ``--role`` (not two different ones)."""
    from coditect_tui.core.errors import InvalidInput

    given = {r for r in (args.role, args.role_option) if r is not None}
    if len(given) != 1:
        raise InvalidInput(
            "members add: give the role once (NAME ROLE or NAME --role ROLE)"
            if given
            else "members add: a role is required (NAME --role ROLE)"
        )
    return given.pop()


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the members."""

    async def work(backend: Backend) -> list[Member]:
        return await backend.list_members()

    print_items(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    """Add a member."""

    from coditect_tui.core.grants import parse_expiry
    from coditect_tui.core.models import utcnow

    role = _role(args)
    expires = parse_expiry(args.expires, utcnow()) if args.expires is not None else None

    async def work(backend: Backend) -> Member:
        return await backend.add_member(args.name, role, expires_at=expires)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_set_role(args: argparse.Namespace, ctx: CliContext) -> int:
    """Change a member's role."""

    async def work(backend: Backend) -> Member:
        return await backend.set_member_role(args.name, args.role)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_extend(args: argparse.Namespace, ctx: CliContext) -> int:
    """Move the end of a member's grant."""
    from coditect_tui.core.errors import InvalidInput, NotFound
    from coditect_tui.core.grants import parse_duration, parse_moment
    from coditect_tui.core.models import utcnow

    if args.until is None and args.by is None and not args.never:
        raise InvalidInput("members extend: give --until DATE, --by DURATION or --never")
    until = parse_moment(args.until) if args.until is not None else None
    by = parse_duration(args.by) if args.by is not None else None

    async def work(backend: Backend) -> Member:
        if by is None:
            return await backend.set_member_expiry(args.name, until)
        found = [m for m in await backend.list_members() if m.name == args.name]
        if not found:
            raise NotFound(f"member {args.name!r} not found")
        current = found[0].expires_at
        if current is None:
            raise InvalidInput(
                f"{args.name!r} has a grant without end: set one with --until instead"
            )
        return await backend.set_member_expiry(args.name, max(current, utcnow()) + by)

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    """Remove a member."""
    from coditect_tui.core.safe_text import safe_text

    async def work(backend: Backend) -> None:
        await backend.remove_member(args.name)

    ctx.run(work)
    return _done(args.format, "removed", args.name, f"removed {safe_text(args.name)}")


def run_erase(args: argparse.Namespace, ctx: CliContext) -> int:
    """Erase a person after a typed confirmation (or ``--yes``)."""
    import sys

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.safe_text import safe_text

    name = safe_text(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInput(f"members erase {name}: confirm on a terminal, or add --yes")
        print(
            f"Erase {name}'s personal data from this tenant for good? Type the name to confirm: ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if input().strip() != args.name:
            raise InvalidInput(f"not confirmed: nothing of {name} was erased")

    async def work(backend: Backend) -> Erasure:
        return await backend.erase_principal(args.name, keep_chained=args.keep_chained)

    done = ctx.run(work)
    if args.format == "json":
        print_json(done.model_dump(mode="json"))
        return 0
    print(f"erased {name}: the audit log now shows erased principal #{done.principal_id}")
    print(
        f"  keys revoked {done.keys_revoked}, invitations deleted "
        f"{done.invitations_deleted}, rows rewritten {done.rows_rewritten}, sessions "
        f"cleared {done.sessions_cleared}, memory entries deleted {done.memory_deleted}, "
        f"webhook payloads purged {done.deliveries_purged}"
    )
    if done.chained_events:
        print(
            f"  {done.chained_events} audit events still hold the name inside the hash "
            "chain (written before pseudonymous ids); they cannot change without breaking "
            "`audit verify` (docs/security.md, Erasure)"
        )
    if not done.compacted:
        print(
            "  the store was not compacted (PostgreSQL: VACUUM is the operator's; SQLite: "
            "another process held the file): its free space may hold copies until then"
        )
    return 0


def _invitation_line(item: Invitation) -> str:
    from coditect_tui.core.grants import show_moment
    from coditect_tui.core.safe_text import safe_text

    line = (
        f"{item.id}  {safe_text(item.name):<24} {item.role:<12} {item.prefix}…  "
        f"valid until {show_moment(item.valid_until)}"
    )
    if item.expires_at is not None:
        line += f", membership until {show_moment(item.expires_at)}"
    return line


def run_invite(args: argparse.Namespace, ctx: CliContext) -> int:
    """Make an invitation and print the line to copy."""
    from datetime import timedelta

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.grants import parse_expiry
    from coditect_tui.core.models import utcnow
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.settings import RemoteBackendConfig

    if args.role is None:
        raise InvalidInput("members invite: a role is required (NAME --role ROLE)")
    if not 0 < args.valid <= 3660:
        raise InvalidInput(f"--valid {args.valid:g}: give a number of days above 0")
    expires = parse_expiry(args.expires, utcnow()) if args.expires is not None else None
    backend_config = ctx.profile().backend
    url = args.url or (
        backend_config.url if isinstance(backend_config, RemoteBackendConfig) else None
    )

    async def work(backend: Backend) -> NewInvitation:
        return await backend.create_invitation(
            args.name, args.role, expires_at=expires, valid_for=timedelta(days=args.valid)
        )

    new = ctx.run(work)
    command = f"coditect join {url or '<tenant API URL>'} {new.token}"
    if args.format == "json":
        print_json({**new.info.model_dump(mode="json"), "token": new.token, "join": command})
        return 0
    print(_invitation_line(new.info))
    if url is None:
        print("this tenant is local: the invited person joins through its tenant API (--url)")
    print(f"give {safe_text(args.name)} this line (shown once):")
    print(command)
    return 0


def run_invites(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the pending invitations."""

    async def work(backend: Backend) -> list[Invitation]:
        return await backend.list_invitations()

    print_items(
        ctx.run(work), fmt=args.format, line=_invitation_line, empty="no pending invitations"
    )
    return 0


def run_uninvite(args: argparse.Namespace, ctx: CliContext) -> int:
    """Revoke a pending invitation."""

    async def work(backend: Backend) -> None:
        await backend.revoke_invitation(args.id)

    ctx.run(work)
    return _done(args.format, "revoked", args.id, f"revoked invitation {args.id}")


def _done(fmt: str, key: str, value: str, line: str) -> int:
    """Print the outcome of a removal: ``{key: value}`` as JSON, or ``line``."""
    if fmt == "json":
        print_json({key: value})
    else:
        print(line)
    return 0
