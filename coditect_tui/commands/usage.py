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
        "memory documents and their size, audit events. Owners and admins.",
    )
    add_format_options(parser, ("text", "json"))
    add_common(parser)
    parser.set_defaults(handler=run)


def usage_lines(usage: Usage) -> list[str]:
    """The usage as aligned lines (the CLI's text and the admin pane's section)."""
    from coditect_tui.core.wording import byte_size

    def against(used: int, quota: int | None) -> str:
        return f"{used:,}" if quota is None else f"{used:,} of {quota:,}"

    return [
        f"{'Tier':<18} {usage.tier}",
        f"{'Projects':<18} {against(usage.projects, usage.projects_quota)}",
        f"{'Members':<18} {against(usage.members, usage.members_quota)}",
        f"{'Repos':<18} {usage.repos:,}",
        f"{'Git sessions':<18} {usage.sessions:,}",
        f"{'Memory documents':<18} {usage.memory_documents:,} ({byte_size(usage.memory_bytes)})",
        f"{'Audit events':<18} {usage.audit_events:,}",
    ]


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the tenant's usage."""

    async def work(backend: Backend) -> Usage:
        return await backend.usage()

    print_model(ctx.run(work), fmt=args.format, line=lambda u: "\n".join(usage_lines(u)))
    return 0
