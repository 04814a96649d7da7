"""``coditect usage``: what the tenant holds against its tier's quotas."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_model

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Usage


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``usage``."""
    parser = sub.add_parser(
        "usage",
        help="what the tenant holds against its tier's quotas",
        description="Projects and members against the tier's quotas, repos, git sessions, "
        "memory documents and their size, audit events, and (over the tenant API) the API "
        "calls of today against the tier's rate limit and of the last seven days. Owners "
        "and admins.",
    )
    add_format_options(parser, ("text", "json"))
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the tenant's usage."""

    async def work(backend: Backend) -> Usage:
        return await backend.usage()

    from coditect_tui.core.usage_report import usage_lines

    print_model(ctx.run(work), fmt=args.format, line=lambda u: "\n".join(usage_lines(u)))
    return 0
