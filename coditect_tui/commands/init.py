"""``coditect init``: write a first config file (never overwrites one)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.output import add_format_options

TEMPLATE = """\
# CODITECT TUI configuration (every key: docs/configuration.md).
default_tenant: {name}
tenants:
  - name: {name}
    display_name: {display}
    backend: {{kind: local}}      # the SQLite store in the XDG data dir
    role: owner
    tier: internal
    workspace_roots:
{roots}
"""


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``init`` (of the common options only those that apply: no tenant exists yet)."""
    parser = sub.add_parser(
        "init",
        help="write a first config file with your folders",
        description="Write a config file with one local tenant whose "
        "workspace roots are the given folders. An "
        "existing file is never overwritten.",
    )
    parser.add_argument(
        "roots",
        nargs="+",
        metavar="FOLDER",
        help="folders holding your repos (searched 4 levels deep)",
    )
    parser.add_argument(
        "--name", default="personal", help="the tenant's name (lowercase, default: personal)"
    )
    parser.add_argument("--display-name", default=None, metavar="TEXT", help="shown in the header")
    add_format_options(parser, ("text", "json"))
    add_common(parser, only=("--config", "--read-only"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write the file, validate it, say where it is."""
    import json
    import re

    from coditect_tui.core.errors import InvalidInput, ReadOnly
    from coditect_tui.core.paths import make_private_dir, replacing_private, user_config_file
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.settings import env_read_only, load_settings

    target = ctx.config_path or user_config_file()
    # the settings (whose read_only is the usual source) are what init is about to write
    if ctx.read_only_flag or env_read_only():
        raise ReadOnly(f"read-only (--read-only or CODITECT_READ_ONLY): {target} not written")
    if target.exists():
        raise InvalidInput(
            f"{target} already exists; edit it (docs/configuration.md) or "
            "pass --config with a new path"
        )
    if not re.match(r"^[a-z0-9][a-z0-9._-]{0,62}$", args.name):
        raise InvalidInput(f"--name {args.name!r}: use lowercase letters, digits, '.', '_' or '-'")
    folders = []
    for raw in args.roots:
        folder = Path(raw).expanduser().resolve()
        if not folder.is_dir():
            raise InvalidInput(f"{raw}: not a folder")
        folders.append(str(folder))
    text = TEMPLATE.format(
        name=args.name,
        display=json.dumps(args.display_name or args.name.title()),
        roots="\n".join(f"      - {json.dumps(folder)}" for folder in folders),
    )
    make_private_dir(target.parent)
    with replacing_private(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        load_settings(tmp)  # the file we write must be one we accept
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json(
            {
                "config": str(target),
                "tenant": args.name,
                "workspace_roots": folders,
            }
        )
    else:
        print(f"wrote {safe_text(target)}; start the app with: coditect")
    return 0
