"""``coditect fetch|pull|push``, ``coditect switch BRANCH`` and ``coditect run -- CMD ...``:
one git operation or command over many repos of the tenant, in parallel (core/bulk).

Every repo of the tenant's workspace roots is selected unless selection flags narrow it
(``--dirty --ahead --behind --diverged --conflict --detached --health BAND --category C
--group G --repo NAME``; core/selection.py). Exit 0 when no repo failed, 1 when any
failed (or the audit event could not be written), 2 for bad input or an unconfirmed
main-branch push; a backend refusal (``--read-only``, an auditor) is one line, exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options

if TYPE_CHECKING:
    from pathlib import Path

    from coditect_tui.core.backend import Backend
    from coditect_tui.core.bulk import BulkReport, BulkRun, BulkTarget, ProgressEvent
    from coditect_tui.core.bulk.plan import MainPush
    from coditect_tui.core.selection import GroupsOf, SelectionFilter

T = TypeVar("T")

#: The sub-commands this module registers (the CLI imports it for any of them).
COMMANDS = ("fetch", "pull", "push", "switch", "run")

_HELP = {
    "fetch": "git fetch in every selected repo, in parallel",
    "pull": "git pull --ff-only in every selected repo, in parallel",
    "push": "push the current branch of every selected repo (never forced)",
    "switch": "switch every selected repo to an existing local branch",
    "run": "run a command (no shell) in every selected repo, in parallel",
}


def _add_selection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "selection (default: every repo of the tenant; flags narrow it, values of one flag add up)"
    )
    for state, text in (
        ("dirty", "with uncommitted changes"),
        ("ahead", "ahead of their upstream"),
        ("behind", "behind their upstream"),
        ("diverged", "both ahead and behind"),
        ("conflict", "with unmerged files"),
        ("detached", "on a detached HEAD"),
    ):
        group.add_argument(f"--{state}", action="store_true", help=f"repos {text}")
    group.add_argument(
        "--health",
        action="append",
        metavar="BAND",
        choices=("excellent", "good", "fair", "poor"),
        help="repos in this health band (repeatable)",
    )
    group.add_argument("--category", action="append", metavar="C", help="repos of this category")
    group.add_argument("--group", action="append", metavar="G", help="repos of this group")
    group.add_argument(
        "--repo",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="these repos (name or path)",
    )


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``fetch``, ``pull``, ``push``, ``switch`` and ``run``."""
    for name in COMMANDS:
        parser = sub.add_parser(
            name,
            help=_HELP[name],
            description=_HELP[name]
            + ". Git runs with the repo's own configuration (hooks, credential helpers) "
            "and never prompts; every repo's outcome is listed and audited as one event.",
        )
        if name == "switch":
            parser.add_argument("branch", metavar="BRANCH", help="an existing local branch")
        if name == "run":
            parser.add_argument(
                "argv",
                nargs=argparse.REMAINDER,
                metavar="-- CMD ARGS",
                help="the command; each word is one argument (no shell)",
            )
        if name == "push":
            parser.add_argument(
                "--yes-main-branch",
                action="extend",
                nargs="+",
                default=[],
                metavar="NAME",
                help="confirm pushing the main branch of these repos (name or path); "
                "otherwise a terminal asks for each repo's name to be typed",
            )
        _add_selection(parser)
        parser.add_argument(
            "--jobs",
            type=int,
            metavar="N",
            help="repos at once (default: fetch/pull/push 16 x CPUs, 16 to 64; "
            "switch/run 4 x CPUs, 8 to 32)",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            metavar="SECONDS",
            help="per-repo timeout (default 300 for fetch/pull/push, 600 otherwise)",
        )
        add_format_options(parser, ("table", "json"))
        add_common(parser)
        parser.set_defaults(handler=run, bulk_command=name)


def selection_filter(args: argparse.Namespace) -> SelectionFilter:
    """The filter the selection flags describe."""
    from coditect_tui.core.selection import STATES, SelectionFilter

    return SelectionFilter(
        states=frozenset(s for s in STATES if getattr(args, s, False)),
        bands=frozenset(args.health or ()),
        categories=frozenset(args.category or ()),
        groups=frozenset(args.group or ()),
        repos=frozenset(args.repo or ()),
    )


def groups_of_tenant(
    ctx: CliContext, roots: Sequence[Path], wanted: frozenset[str] = frozenset()
) -> GroupsOf:
    """The tenant's ``groups_of`` (its profile's groups over ``roots``; core/groups.py).

    Raises:
        InvalidInput: a group in ``wanted`` (``--group``) the tenant does not have.
    """
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.groups import GroupIndex
    from coditect_tui.core.policy import unknown_name

    groups = ctx.profile().groups
    unknown = sorted(wanted - set(groups))
    if unknown:
        raise InvalidInput(unknown_name("group", unknown[0], sorted(groups)))
    return GroupIndex(groups, roots).groups_of


def select_targets(
    args: argparse.Namespace, ctx: CliContext, flt: SelectionFilter
) -> list[BulkTarget]:
    """Discover the tenant's repos and keep those ``flt`` selects (statuses are read only
    when a state or health band is asked for).

    Raises:
        DiscoveryError: no roots, or no repo under them.
        InvalidInput: an unknown category, group or ``--repo``.
    """
    import asyncio

    from coditect_tui.commands.status import _roots, check_categories
    from coditect_tui.core.bulk import BulkTarget
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.git.discovery import DiscoveryError, discover
    from coditect_tui.core.git.runner import GitRunner, require_git
    from coditect_tui.core.git.status import RepoStatus, read_many
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.selection import matches
    from coditect_tui.core.wording import plural

    args.paths = []
    roots, _, _ = _roots(args, ctx)
    require_git()
    tree = discover(roots, tenant=ctx.profile().name)
    targets = [t for t in tree.targets() if t.initialised]
    if not targets:
        raise DiscoveryError(f"no git repositories under {', '.join(safe_text(r) for r in roots)}")
    if flt.categories:
        check_categories(targets, sorted(flt.categories))
    groups_of = groups_of_tenant(ctx, tree.roots, flt.groups)
    known = {str(t.path) for t in targets} | {t.name or t.path.name for t in targets}
    unknown = sorted(flt.repos - known)
    if unknown:
        raise InvalidInput(f"no repo named {safe_text(unknown[0])!r} in the tenant's workspace")
    repos: Sequence[RepoStatus]
    if flt.states or flt.bands:
        runner = GitRunner()
        try:
            repos = asyncio.run(read_many(runner, targets))
        finally:
            runner.close()
    else:
        repos = [
            RepoStatus(path=str(t.path), name=t.name or t.path.name, category=t.category)
            for t in targets
        ]
    chosen = [BulkTarget.of(r) for r in repos if matches(r, flt, groups_of)]
    if not chosen:
        print(
            f"coditect: note: no repo matches the selection "
            f"({plural(len(targets), 'repo')} in the workspace); nothing to do",
            file=sys.stderr,
        )
    return chosen


def confirm_main_pushes(mains: Sequence[MainPush], named: Sequence[str]) -> frozenset[str]:
    """The paths whose main-branch push is confirmed: named with ``--yes-main-branch``,
    or, on a terminal, by typing each repo's name.

    Raises:
        ConfirmationRequired: one is not confirmed (no terminal, or a wrong name typed).
    """
    from coditect_tui.core.git.sessions.errors import ConfirmationRequired
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.wording import plural

    given = set(named)
    confirmed = {m.target.path for m in mains if {m.target.name, m.target.path} & given}
    left = [m for m in mains if m.target.path not in confirmed]
    if left and not sys.stdin.isatty():
        names = " ".join(safe_text(m.target.name) for m in left)
        raise ConfirmationRequired(
            f"pushing the main branch of {plural(len(left), 'repo')} needs a typed "
            f"confirmation: run on a terminal, or add --yes-main-branch {names}"
        )
    for m in left:
        name = safe_text(m.target.name)
        print(
            f"{name}: push its main branch {safe_text(m.branch)!r} to "
            f"{safe_text(m.remote)}? Type the repo's name to confirm: ",
            end="",
            file=sys.stderr,
            flush=True,
        )
        if input().strip() != m.target.name:
            raise ConfirmationRequired(f"not confirmed: {name}; nothing was pushed")
        confirmed.add(m.target.path)
    return frozenset(confirmed)


def render_table(report: BulkReport) -> str:
    """The results as a table (untrusted text through ``safe_text``), then a summary."""
    import io
    import shutil

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from coditect_tui.core.safe_text import safe_text

    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("repo", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("reason", overflow="fold")
    table.add_column("s", justify="right", no_wrap=True)
    style = {"ok": "green", "failed": "red", "skipped": "yellow"}
    for r in report.results:
        table.add_row(
            Text(safe_text(r.name, max_length=80)),
            Text(r.outcome, style=style[r.outcome]),
            Text(safe_text(r.reason, max_length=200)),
            f"{r.seconds:.1f}" if r.returncode is not None else "",
        )
    buffer = io.StringIO()
    Console(
        file=buffer,
        width=shutil.get_terminal_size((120, 24)).columns,
        force_terminal=sys.stdout.isatty(),
        highlight=False,
    ).print(table)
    return buffer.getvalue() + f"{report.action.describe()}: {report.summary()}\n"


class _Progress:
    """One line on a terminal's stderr, rewritten as repos finish (``12/200 done``)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.failed = label, total, 0, 0

    def __call__(self, event: ProgressEvent) -> None:
        if event.phase != "done" or event.result is None:
            return
        self.done += 1
        self.failed += event.result.outcome == "failed"
        failed = f", {self.failed} failed" if self.failed else ""
        end = "\n" if self.done == self.total else ""
        print(f"\r{self.label}: {self.done}/{self.total} done{failed}", end=end, file=sys.stderr)
        sys.stderr.flush()


def _action(args: argparse.Namespace) -> Any:
    from coditect_tui.core.bulk import BulkAction
    from coditect_tui.core.errors import InvalidInput

    command = args.bulk_command
    if command == "switch":
        return BulkAction.switch(args.branch)
    if command == "run":
        argv = list(args.argv)
        if argv[:1] == ["--"]:
            argv = argv[1:]
        if not argv:
            raise InvalidInput("a command to run is needed: coditect run [flags] -- CMD ARGS...")
        return BulkAction.run(argv)
    return getattr(BulkAction, command)()


async def execute_interruptibly(runner: BulkRun, backend: Backend) -> BulkReport:
    """``runner.execute(backend)`` with Ctrl-C taken through the event loop's wake-up pipe.

    The kernel may hand SIGINT to any thread (a worker waiting on a process, the store
    driver's); there the interpreter only notes it, and the loop, asleep until a process
    ends, would not see it. A loop's own signal handler is woken wherever it lands. It is
    installed only for the run: a prompt before it must still be stopped by Ctrl-C.
    Run it under :func:`run_interruptibly`.

    Raises:
        asyncio.CancelledError: Ctrl-C (the processes stopped, the run audited).
    """
    import asyncio
    import signal

    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        return await runner.execute(backend)
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def run_interruptibly(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)``, a Ctrl-C that cancelled it raised as KeyboardInterrupt (the
    CLI's "interrupted", exit 130)."""
    import asyncio

    try:
        return asyncio.run(work)
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Select, confirm (main-branch pushes), authorize, run, print, exit 0/1."""
    from coditect_tui.commands.output import print_json
    from coditect_tui.core.bulk import BulkReport, BulkRun, main_branch_pushes
    from coditect_tui.core.safe_text import safe_text

    action = _action(args)
    BulkRun(action, [], jobs=args.jobs, timeout=args.timeout)  # bad numbers: refused first
    targets = select_targets(args, ctx, selection_filter(args))

    async def work() -> BulkReport:
        backend = await ctx.open_backend()
        try:
            confirmed: frozenset[str] = frozenset()
            progress = _Progress(action.kind, len(targets)) if sys.stderr.isatty() else None
            runner = BulkRun(
                action, targets, jobs=args.jobs, timeout=args.timeout, on_event=progress
            )
            await runner.authorize(backend)  # refused before anyone is asked anything
            if not targets:
                return BulkReport(action)  # nothing selected: nothing to run or audit
            if action.kind == "push":
                mains = main_branch_pushes(targets)
                confirmed = confirm_main_pushes(mains, args.yes_main_branch)
                runner.confirmed_main = confirmed
            return await execute_interruptibly(runner, backend)
        finally:
            await backend.close()

    report = run_interruptibly(work())
    if args.format == "json":
        print_json(report.to_dict())
    else:
        sys.stdout.write(render_table(report))
    if report.audit_error:
        print(
            f"coditect: warning: the audit event was not recorded: {safe_text(report.audit_error)}",
            file=sys.stderr,
        )
        return 1
    return 1 if report.failed else 0
