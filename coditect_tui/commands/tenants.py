"""``coditect tenants [list]``: the configured tenant profiles; ``coditect tenants
create|suspend|resume|offboard|archive``: a platform administrator's tenant lifecycle
(docs/security.md, "Tenant lifecycle")."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Tenant, TenantState

#: verb -> the state it moves a tenant to
STATE_OF_VERB: dict[str, TenantState] = {
    "suspend": "suspended",
    "resume": "active",
    "offboard": "offboarded",
    "archive": "archived",
}
_VERB_HELP = {
    "suspend": "refuse every call of a tenant but its owner's data export (reversible)",
    "resume": "make a suspended (or offboarded) tenant active again",
    "offboard": "make a tenant read-only for everyone, before it is archived",
    "archive": "archive an offboarded tenant: only its owner's data export, for good",
}


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``tenants`` and its sub-commands."""
    parser = sub.add_parser(
        "tenants",
        help="list the configured tenant profiles; create, suspend or offboard tenants",
        description="Without an action (or with list): the tenant profiles of the "
        "configuration. The other actions act through the default (or --tenant) profile's "
        "backend and need a platform administrator (docs/security.md); each is audited "
        "in the tenant it changes.",
    )
    add_format_options(parser, ("table", "json"))
    add_common(parser)
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="tenants_command", metavar="ACTION", required=False)

    def action(name: str, handler: Any, formats: tuple[str, ...], **texts: str) -> Any:
        sub_parser = actions.add_parser(name, **texts)
        if name != "list":
            sub_parser.add_argument("name", metavar="NAME")
        add_format_options(sub_parser, formats)
        add_common(sub_parser)
        sub_parser.set_defaults(handler=handler, state=STATE_OF_VERB.get(name))
        return sub_parser

    action("list", run, ("table", "json"), help="list the configured tenant profiles")
    create = action(
        "create",
        run_create,
        ("text", "json"),
        help="create a tenant in a tier, with its first owner",
        description="Create tenant NAME, active, in tier --tier (tiers.yaml: its quotas "
        "apply from its first call) with --owner as its owner.",
    )
    create.add_argument("--tier", help="a tier of tiers.yaml (required)")
    create.add_argument("--owner", metavar="PRINCIPAL", help="its first owner (required)")
    create.add_argument("--display-name", metavar="TEXT", help="shown in headers")
    for verb, help_text in _VERB_HELP.items():
        action(verb, run_state, ("text", "json"), help=help_text, description=help_text + ".")


def _line(tenant: Tenant) -> str:
    from coditect_tui.core.safe_text import safe_text

    return f"tenant {safe_text(tenant.name)}: {tenant.state} (tier {safe_text(tenant.tier)})"


def _show(args: argparse.Namespace, ctx: CliContext, call: Callable[[Backend], Any]) -> int:
    print_model(ctx.run(call), fmt=args.format, line=_line)
    return 0


def run_create(args: argparse.Namespace, ctx: CliContext) -> int:
    """Create the tenant and print it."""
    from coditect_tui.core.errors import InvalidInput

    if not args.tier or not args.owner:
        raise InvalidInput("tenants create: --tier and --owner are required")
    return _show(
        args,
        ctx,
        lambda backend: backend.create_tenant(
            args.name, tier=args.tier, owner=args.owner, display_name=args.display_name
        ),
    )


def run_state(args: argparse.Namespace, ctx: CliContext) -> int:
    """Move the tenant to ``args.state`` and print it."""
    return _show(args, ctx, lambda backend: backend.set_tenant_state(args.name, args.state))


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print one line (or JSON object) per profile."""
    from coditect_tui.core.settings import LocalBackendConfig

    loaded = ctx.loaded
    settings = loaded.settings
    default = ctx.profile().name
    rows = []
    for profile in settings.tenants:
        backend = profile.backend
        where = (
            str(backend.store_path()) if isinstance(backend, LocalBackendConfig) else backend.url
        )
        rows.append(
            {
                "name": profile.name,
                "display_name": profile.title,
                "backend": backend.kind,
                "location": where,
                "role": profile.role,
                "tier": profile.tier,
                "default": profile.name == default,
                "workspace_roots": profile.workspace_roots,
            }
        )
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json({"config": str(loaded.path), "from_file": loaded.from_file, "tenants": rows})
        return 0
    source = str(loaded.path) if loaded.from_file else f"built-in defaults ({loaded.path} absent)"
    print(f"config: {source}")
    from coditect_tui.core.safe_text import safe_text

    for row in rows:
        mark = "*" if row["default"] else " "
        print(
            f"{mark} {safe_text(row['name']):<20} {safe_text(row['display_name']):<24} "
            f"{row['backend']:<7} {row['role']:<10} {row['tier']:<20} "
            f"{safe_text(row['location'])}"
        )
    return 0
