"""``coditect plugins list``: the installed plugins, their hooks and whether they run."""

from __future__ import annotations

import argparse
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.output import add_format_options


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``plugins`` and its sub-command."""
    plugins = sub.add_parser(
        "plugins",
        help="list the installed plugins",
        description="Plugins are packages that declare a 'coditect.plugins' entry point; "
        "they observe events (docs/plugins.md). Switch them off with 'plugins: "
        "{enabled: false}' in the config or CODITECT_PLUGINS=off, one of them with "
        "'plugins: {disabled: [NAME]}'.",
    )
    add_common(plugins, only=("--config",))
    actions = plugins.add_subparsers(dest="plugins_command", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="name, module, version, hooks and state of each installed plugin",
        description="List the installed plugins. Each is imported (within the plugin "
        "timeout) to read its hooks, also when the settings switch it off.",
    )
    add_format_options(listing, ("table", "json"))
    add_common(listing, only=("--config",))
    # listing loads plugins itself: no dispatcher listens around it
    listing.set_defaults(handler=run_list, plugin_host=False)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print one row (or JSON object) per installed plugin."""
    from coditect_tui.core.plugins.discovery import discover
    from coditect_tui.core.plugins.probe import probe
    from coditect_tui.core.safe_text import safe_text

    settings = ctx.loaded.settings.plugins
    reports = [probe(entry, settings.timeout) for entry in discover(settings)]
    rows = [
        {
            "name": r.entry.name,
            "module": r.entry.target,
            "package": r.entry.dist,
            "version": r.entry.version,
            "hooks": list(r.hooks),
            "state": r.state,
            "error": r.error,
        }
        for r in reports
    ]
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json({"enabled": settings.enabled, "plugins": rows})
        return 0
    if not rows:
        print("no plugins installed (entry point group 'coditect.plugins')")
        return 0
    print(f"{'NAME':<20} {'VERSION':<10} {'STATE':<9} {'MODULE':<40} HOOKS")
    for row in rows:
        hooks = ",".join(row["hooks"]) or "-"
        print(
            f"{safe_text(row['name']):<20} {safe_text(row['version'] or '-'):<10} "
            f"{row['state']:<9} {safe_text(row['module']):<40} {hooks}"
        )
        if row["error"]:
            print(f"  {safe_text(row['error'])}")
    return 0
