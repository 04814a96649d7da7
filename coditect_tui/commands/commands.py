"""``coditect commands list|run``: the custom commands of the config (docs/cli.md).

``run NAME`` takes the selection flags of ``coditect run`` (``--dirty``, ``--repo
NAME``…; core/selection.py): scope selection runs in every selected repo (default: every
repo of the tenant), scope repo in exactly one (default: the repo of the current
directory), scope tenant once and takes no flags. It goes through the bulk engine
(core/bulk): the backend authorizes before anything starts (a read-only principal's
mutating command is refused) and the run is audited as one ``repos.command`` event.
Exit 0 when no repo failed, 1 when any failed or the backend refused, 2 for bad input
or an unconfirmed run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options

if TYPE_CHECKING:
    from coditect_tui.core.bulk import BulkReport
    from coditect_tui.core.custom_commands.expand import Target
    from coditect_tui.core.custom_commands.spec import CustomCommand


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``commands list`` and ``commands run``."""
    from coditect_tui.commands.bulk import _add_selection as add_selection

    parser = sub.add_parser(
        "commands",
        help="list or run the custom commands of the config",
        description="The custom commands of the config (commands: in the config file).",
    )
    add_common(parser)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="list the custom commands")
    add_format_options(listing, ("table", "json"))
    add_common(listing)
    listing.set_defaults(handler=run_list)
    running = verbs.add_parser(
        "run",
        help="run a custom command",
        description="Run the custom command NAME in the repos its scope and the selection "
        "flags choose.",
    )
    running.add_argument("name", metavar="NAME", help="the command's name")
    add_selection(running)
    running.add_argument("--jobs", type=int, metavar="N", help="repos at once")
    running.add_argument("--yes", action="store_true", help="confirm without asking")
    add_format_options(running, ("table", "json"))
    add_common(running)
    running.set_defaults(handler=run_command)


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """One line (or JSON object) per custom command."""
    commands = ctx.loaded.settings.commands
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json([c.model_dump(mode="json") for c in commands])
        return 0
    if not commands:
        print("no custom commands (add a commands: section to the config)")
        return 0
    import shlex

    from coditect_tui.core.safe_text import safe_text

    for c in commands:
        flags = [c.scope, "mutating" if c.mutating else "changes nothing"]
        if c.key:
            flags.append(f"key {c.key}")
        if c.confirm:
            flags.append("confirm")
        print(f"{safe_text(c.name)}  [{', '.join(flags)}]  {safe_text(shlex.join(c.command))}")
        if c.description:
            print(f"    {safe_text(c.description)}")
    return 0


def _chosen(args: argparse.Namespace, ctx: CliContext, command: CustomCommand) -> list[Target]:
    """The repos the selection flags choose (scope repo: this directory's by default)."""
    from pathlib import Path

    from coditect_tui.commands.bulk import select_targets, selection_filter
    from coditect_tui.core.custom_commands.targets import target_of_bulk
    from coditect_tui.core.errors import InvalidInput

    flt = selection_filter(args)
    if command.scope == "tenant":
        if not flt.empty:
            raise InvalidInput(f"{command.name!r} runs once for the tenant; it takes no repos")
        return []
    if command.scope == "repo" and flt.empty:
        from coditect_tui.commands.session import find_worktree

        args.repo = [str(find_worktree(Path.cwd()))]
        flt = selection_filter(args)
    tenant = ctx.profile().name
    return [target_of_bulk(t, tenant) for t in select_targets(args, ctx, flt)]


def _confirm(command: CustomCommand, count: int, assume_yes: bool) -> bool:
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.wording import plural

    if assume_yes:
        return True
    what = f"Run {safe_text(command.name)} in {plural(count, 'repo')}?"
    if not sys.stdin.isatty():
        print(f"coditect: {what} pass --yes to confirm", file=sys.stderr)
        return False
    print(f"{what} [y/N] ", end="", file=sys.stderr, flush=True)  # stdout may be --json
    return input().strip().lower() in ("y", "yes")


def run_command(args: argparse.Namespace, ctx: CliContext) -> int:
    """Authorize, run, audit, print; exit 1 when any repo failed."""
    from coditect_tui.commands.bulk import execute_interruptibly, run_interruptibly
    from coditect_tui.core.custom_commands.run import bulk_run
    from coditect_tui.core.custom_commands.spec import by_name
    from coditect_tui.core.custom_commands.targets import targets_for
    from coditect_tui.core.errors import InvalidInput

    if args.jobs is not None and args.jobs < 1:
        raise InvalidInput("--jobs must be at least 1")
    command = by_name(ctx.loaded.settings.commands, args.name)
    profile = ctx.profile()
    targets = targets_for(command, _chosen(args, ctx, command), profile.name)
    roots = profile.roots()

    async def main() -> BulkReport | None:
        backend = await ctx.open_backend()
        try:
            runner = bulk_run(command, targets, cwd=roots[0] if roots else None, jobs=args.jobs)
            await runner.authorize(backend)  # refused before anyone is asked anything
            if command.confirm and not _confirm(command, len(targets), args.yes):
                return None
            return await execute_interruptibly(runner, backend)
        finally:
            await backend.close()

    report = run_interruptibly(main())
    if report is None:
        return 2
    _print(report, args.format, command)
    return 1 if report.failed or report.audit_error else 0


def _print(report: BulkReport, fmt: str, command: CustomCommand) -> None:
    from coditect_tui.commands.bulk import render_table
    from coditect_tui.core.safe_text import safe_text

    if fmt == "json":
        from coditect_tui.commands.output import print_json

        print_json({"command": command.name, **report.to_dict()})
        return
    sys.stdout.write(render_table(report))
    if command.output != "none":
        for r in report.results:
            if r.output.strip():
                print(f"── {safe_text(r.name)}")
                for line in r.output.splitlines():
                    print(f"   {safe_text(line)}")
    if report.audit_error:
        print(
            f"coditect: warning: the audit event was not recorded: {safe_text(report.audit_error)}",
            file=sys.stderr,
        )
