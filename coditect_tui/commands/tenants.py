"""``coditect tenants``: the configured tenant profiles."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``tenants``."""
    parser = sub.add_parser(
        "tenants",
        help="list the configured tenant profiles",
        description="List the tenant profiles of the configuration.",
    )
    add_format_options(parser, ("table", "json"))
    add_common(parser)
    parser.set_defaults(handler=run)


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
