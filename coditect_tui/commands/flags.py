"""``coditect flags list|set|clear``: the tenant's stored overrides of tier features."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_items, print_json, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.flags import FeatureFlag

_STATES = {"on": True, "off": False}


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``flags`` and its sub-commands."""
    flags = sub.add_parser(
        "flags",
        help="list, set or clear feature flag overrides of the tenant",
        description="Switch tier features (tiers.yaml) off, or back on, for the tenant or "
        "one member. Owners and admins; every change is audited. An override never "
        "switches on what the tier and flags.yaml leave off.",
    )
    add_common(flags)
    actions = flags.add_subparsers(dest="flags_command", metavar="ACTION", required=True)

    specs = (
        ("list", "list stored overrides", "Stored overrides by feature.", run_list),
        (
            "set",
            "switch a feature on or off",
            "Store an override of FEATURE for the tenant, or for one member with "
            "--stakeholder. Takes effect on the server's next request.",
            run_set,
        ),
        (
            "clear",
            "remove an override",
            "Remove a stored override: the tier and flags.yaml decide again.",
            run_clear,
        ),
    )
    for name, help_text, description, handler in specs:
        parser = actions.add_parser(name, help=help_text, description=description)
        if name != "list":
            parser.add_argument("feature")
        if name == "set":
            parser.add_argument("state", metavar="on|off")
        if name != "list":
            parser.add_argument("--stakeholder", metavar="MEMBER", help="one member (default: all)")
        add_format_options(parser, ("table", "json") if name == "list" else ("text", "json"))
        add_common(parser)
        parser.set_defaults(handler=handler)


def _line(flag: FeatureFlag) -> str:
    from coditect_tui.core.models import format_ts
    from coditect_tui.core.safe_text import safe_text

    who = safe_text(flag.stakeholder) if flag.stakeholder is not None else "(tenant)"
    state = "on" if flag.enabled else "off"
    when = format_ts(flag.updated_at)[:19]
    return f"{flag.feature:<16} {who:<24} {state:<4} by {safe_text(flag.updated_by)} at {when}"


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the stored overrides."""

    async def work(backend: Backend) -> list[FeatureFlag]:
        return await backend.list_flags()

    print_items(ctx.run(work), fmt=args.format, line=_line, empty="no feature flag overrides")
    return 0


def run_set(args: argparse.Namespace, ctx: CliContext) -> int:
    """Store an override."""
    from coditect_tui.core.errors import InvalidInput

    if args.state not in _STATES:
        raise InvalidInput(f"flags set: the state is on or off, not {args.state!r}")

    async def work(backend: Backend) -> FeatureFlag:
        return await backend.set_flag(
            args.feature, _STATES[args.state], stakeholder=args.stakeholder
        )

    print_model(ctx.run(work), fmt=args.format, line=_line)
    return 0


def run_clear(args: argparse.Namespace, ctx: CliContext) -> int:
    """Remove an override."""
    from coditect_tui.core.safe_text import safe_text

    async def work(backend: Backend) -> None:
        await backend.clear_flag(args.feature, stakeholder=args.stakeholder)

    ctx.run(work)
    if args.format == "json":
        print_json({"cleared": args.feature, "stakeholder": args.stakeholder})
    else:
        who = f" for {safe_text(args.stakeholder)}" if args.stakeholder else ""
        print(f"cleared {safe_text(args.feature)}{who}")
    return 0
