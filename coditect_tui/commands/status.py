"""``coditect status [PATH ...]``: git status and health of every repo of a workspace.

Never imports Textual. Paths on the command line replace the tenant's workspace roots
for the run (as scripts and gita users expect). Exit 0 when every repo was read, 1 when
any repo errored, 2 for bad input (a missing path, no repo found).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    import asyncio

    from coditect_tui.core.backend import Backend
    from coditect_tui.core.git.discovery import ScanLimits, WorkspaceTree
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus, StatusTarget
    from coditect_tui.core.models import StatusSnapshotSpec


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``status``."""
    parser = sub.add_parser(
        "status",
        help="git status and health of every repo of the workspace",
        description="Read every repo under the tenant's workspace roots (or the PATHs "
        "given) concurrently and show branch, ahead/behind, changes, stash, "
        "last commit and a health score. --tenant picks the tenant whose roots "
        "and store are used. Exit 0 when every repo was read, 1 when any "
        "repo errored.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="workspace roots for this run, replacing the tenant's",
    )
    add_format_options(
        parser,
        ("table", "json", "csv", "markdown"),
        note="csv: one row per repo; markdown: a health dashboard (distribution, "
        "critical issues, warnings)",
    )
    parser.add_argument(
        "--category",
        action="append",
        metavar="NAME",
        help="only repos of this category (repeatable)",
    )
    parser.add_argument(
        "--dirty", action="store_true", help="only repos with uncommitted changes or conflicts"
    )
    parser.add_argument("--behind", action="store_true", help="only repos behind their upstream")
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="do not record a status snapshot in the tenant's store",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="git processes at once (default: 4 x CPUs, 8 to 64)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="per-repo git timeout (default 15)",
    )
    parser.add_argument(
        "--max-depth",
        type=int,
        default=4,
        metavar="N",
        help="directory levels searched below each root (default 4)",
    )
    parser.add_argument(
        "--max-repos",
        type=int,
        metavar="N",
        help="stop a scan of PATHs after N repos (default 200; 0: no bound)",
    )
    add_common(parser)
    parser.set_defaults(handler=run)


def _age(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("y", 31536000), ("mo", 2592000), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def render_table(
    statuses: Sequence[RepoStatus],
    *,
    now: datetime | None = None,
    width: int | None = None,
    color: bool | None = None,
) -> str:
    """The default output: a Rich table as text (untrusted text through ``safe_text``).

    Below 110 columns a compact table (repo, branch, state with change counts, ahead/
    behind, health) is shown, so it stays readable at 80x24.

    Args:
        statuses: rows to show.
        now: the reference time for commit ages.
        width: output width (default: ``$COLUMNS`` or the terminal's, else 160).
        color: force colour on/off (default: on for a terminal; ``NO_COLOR`` is honoured).

    Returns:
        The rendered table (with ANSI styles only when colour is on).
    """
    import io
    import shutil

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from coditect_tui.core.safe_text import safe_text

    now = now or datetime.now(UTC)
    width = width or shutil.get_terminal_size((160, 24)).columns
    compact = width < 110
    table = Table(show_edge=False, pad_edge=False, expand=False, header_style="bold")
    columns: list[tuple[str, dict[str, Any]]] = [
        ("repo", {"overflow": "fold", "min_width": 10}),
        ("branch", {"overflow": "ellipsis", "no_wrap": True, "max_width": 18 if compact else 28}),
        ("state", {"no_wrap": True}),
        ("↑↓", {"justify": "right", "no_wrap": True}),
    ]
    if not compact:
        columns += [
            ("changes", {"no_wrap": True}),
            ("stash", {"justify": "right", "no_wrap": True}),
            ("last commit", {"overflow": "ellipsis", "no_wrap": True, "max_width": 60}),
        ]
    columns.append(("health", {"justify": "right", "no_wrap": True}))
    for name, options in columns:
        table.add_column(name, **options)
    style = {
        "clean": "green",
        "dirty": "yellow",
        "conflict": "bold red",
        "error": "red",
        "uninitialised": "dim",
    }
    glyph = {
        "clean": "✓ clean",
        "dirty": "● dirty",
        "conflict": "✗ conflict",
        "error": "✗ error",
        "uninitialised": "○ uninit",
    }
    for s in statuses:
        cells: dict[str, Text | str] = {name: "" for name, _ in columns}
        cells["repo"] = Text(
            ("  └ " if s.is_submodule else "")
            + safe_text(s.name if s.is_submodule or not s.project else s.project, max_length=80)
        )
        cells["state"] = Text(glyph[s.state], style=style[s.state])
        if s.error:
            cells["branch"] = Text(safe_text(s.error, max_length=120), style="red")
        elif s.initialised:
            branch = (
                f"({s.head_oid[:7]})"
                if s.detached and s.head_oid
                else safe_text(s.branch or "?", max_length=40)
            )
            cells["branch"] = Text(branch + (" (no commits)" if s.unborn else ""))
            cells["↑↓"] = (
                "" if not s.upstream else ("gone" if s.upstream_gone else f"{s.ahead}↑ {s.behind}↓")
            )
            counts = " ".join(
                f"{n}{k}"
                for n, k in (
                    (s.staged, "S"),
                    (s.modified, "M"),
                    (s.untracked, "U"),
                    (s.conflicted, "C"),
                )
                if n
            )
            if compact:
                cells["state"].append(f" {counts}" if counts else "")
            else:
                cells["changes"] = counts
                cells["stash"] = str(s.stash or "")
                commit = s.last_commit
                cells["last commit"] = (
                    Text(
                        f"{commit.short_sha} {safe_text(commit.subject, max_length=50)} "
                        f"({_age(commit.time, now)})"
                    )
                    if commit
                    else ""
                )
            score = s.health.score if s.health else None
            cells["health"] = Text(
                "" if score is None else str(score),
                style=(
                    "green"
                    if score is not None and score >= 90
                    else "yellow"
                    if score is not None and score >= 50
                    else "red"
                ),
            )
        table.add_row(*(cells[name] for name, _ in columns))
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=sys.stdout.isatty() if color is None else color,
        no_color=True if color is False else None,
        highlight=False,
    )
    console.print(table)
    return buffer.getvalue()


def _roots(args: argparse.Namespace, ctx: CliContext) -> tuple[list[Path], str | None, bool]:
    """(roots, tenant name, whether the roots are the tenant's own).

    PATHs replace the tenant's roots. Without them the tenant's roots are used, or, on
    a first run without a config file, the demo workspace the app shows (built here
    when the app has not built it yet): :func:`~coditect_tui.core.workspace_roots.
    default_roots` decides for both.

    Raises:
        DiscoveryError: the tenant has no roots (and the demo is not allowed).
        DemoError: the demo workspace could not be built.
    """
    from coditect_tui.core.git.discovery import DiscoveryError
    from coditect_tui.core.workspace_roots import default_roots, demo_allowed

    if args.paths:
        return [Path(p) for p in args.paths], None, False
    profile = ctx.profile()
    chosen = default_roots(
        profile, allow_demo=demo_allowed(profile, from_file=ctx.loaded.from_file)
    )
    if chosen.demo:
        from coditect_tui.core.demo import build_demo

        # its sessions are recorded in the tenant's store, as the app's build does
        root = build_demo(chosen.roots[0], record=None if ctx.read_only else ctx.open_backend)
        print(
            f"coditect: note: no config file: this is the demo workspace in {root} "
            "(the app shows it too); `coditect init FOLDER` to use your own",
            file=sys.stderr,
        )
        return [root], profile.name, True
    if not chosen.roots:
        raise DiscoveryError(
            f"tenant {profile.name!r} has no workspace_roots; add some to the config "
            "or pass paths: coditect status PATH ..."
        )
    return chosen.roots, profile.name, True


def scan_limits(args: argparse.Namespace) -> ScanLimits | None:
    """The bounds of this run's walk: PATHs given on the command line are bounded
    (``--max-repos``, 0 for none); the tenant's own roots never are.

    Raises:
        InvalidInput: a negative ``--max-repos``.
    """
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.git.discovery import ScanLimits

    wanted = getattr(args, "max_repos", None)
    if wanted is not None and wanted < 0:
        raise InvalidInput("--max-repos must be 0 (no bound) or more")
    if not args.paths or wanted == 0:
        return None
    return ScanLimits() if wanted is None else ScanLimits(max_repos=wanted)


def discover_targets(
    roots: Sequence[Path], tenant: str | None, args: argparse.Namespace
) -> tuple[WorkspaceTree, list[StatusTarget]]:
    """Walk ``roots`` within this run's bounds (``--max-depth``, ``--max-repos``).

    Returns:
        The tree and the repos to read.

    Raises:
        InvalidInput: a negative ``--max-repos``.
        GitError: git is missing or too old.
        DiscoveryError: no repo under the roots.
    """
    from coditect_tui.core.git.discovery import DiscoveryError, discover
    from coditect_tui.core.git.runner import require_git
    from coditect_tui.core.safe_text import safe_text

    limits = scan_limits(args)
    require_git()
    tree = discover(roots, tenant=tenant, max_depth=args.max_depth, limits=limits)
    targets = tree.targets()
    if not targets:
        shown = ", ".join(safe_text(r) for r in tree.roots)
        raise DiscoveryError(f"no git repositories under {shown}")
    return tree, targets


def check_categories(targets: Sequence[StatusTarget], wanted: Sequence[str]) -> None:
    """Refuse a ``--category`` no repo has, naming the ones there are.

    Raises:
        InvalidInput: one of ``wanted`` is no repo's category.
    """
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.safe_text import safe_text

    known = sorted({t.category for t in targets if t.category})
    unknown = [name for name in wanted if name not in known]
    if unknown:
        there = ", ".join(safe_text(k) for k in known) if known else "none (no repo has one)"
        raise InvalidInput(
            f"unknown category {safe_text(unknown[0])!r}; the categories here are: {there}"
        )


def print_warnings(warnings: Sequence[str], *, shown: int = 5) -> None:
    """The first ``shown`` warnings on stderr, then how many more there are."""
    from coditect_tui.core.safe_text import safe_text

    for warning in warnings[:shown]:
        print(f"coditect: warning: {safe_text(warning)}", file=sys.stderr)
    if len(warnings) > shown:
        print(
            f"coditect: warning: and {len(warnings) - shown} more warnings (--json lists them all)",
            file=sys.stderr,
        )


def _filter(statuses: list[RepoStatus], args: argparse.Namespace) -> list[RepoStatus]:
    out = statuses
    if args.dirty:
        out = [s for s in out if s.dirty or s.conflicted]
    if args.behind:
        out = [s for s in out if s.behind > 0]
    return out


def _snapshot_spec(tree: WorkspaceTree, statuses: list[RepoStatus]) -> StatusSnapshotSpec:
    from coditect_tui.core.git import report
    from coditect_tui.core.models import StatusSnapshotSpec

    summary = report.summarise(statuses)
    summary["roots"] = [str(r) for r in tree.roots]
    return StatusSnapshotSpec(
        source="status", summary=summary, repos=[report.snapshot_repo(s) for s in statuses]
    )


async def _open(ctx: CliContext) -> Backend:
    """Open the tenant's backend, its entry point looked up and imported off the loop."""
    import asyncio

    from coditect_tui.core.factory import preload_backend

    await asyncio.to_thread(preload_backend, ctx.profile().backend.kind)
    return await ctx.open_backend()


async def _drop(opening: asyncio.Task[Backend]) -> None:
    """Stop an opening nobody will use; close the backend if it opened all the same."""
    opening.cancel()
    try:
        backend = await opening
    except BaseException:  # cancelled, or the open failed: nothing to close
        return
    await backend.close()


async def _record(
    opening: asyncio.Task[Backend], tree: WorkspaceTree, statuses: list[RepoStatus]
) -> str | None:
    """Register the tree (tenant roots only) and record a snapshot in the backend being
    opened; a warning or None."""
    from coditect_tui.core.errors import CoditectError
    from coditect_tui.core.git.discovery import register_tree
    from coditect_tui.core.safe_text import safe_text

    spec = _snapshot_spec(tree, statuses)
    try:
        backend = await opening
        try:
            await register_tree(backend, tree)
            await backend.record_status(spec)
        finally:
            await backend.close()
    except CoditectError as exc:  # the status was shown; a store problem is a warning
        return f"snapshot not recorded: {safe_text(exc)}"
    return None


def _print(
    args: argparse.Namespace,
    tree: WorkspaceTree,
    tenant: str | None,
    statuses: list[RepoStatus],
) -> None:
    """Write the chosen format to stdout and the discovery warnings to stderr."""
    from coditect_tui.core.git import report

    shown_rows = _filter(statuses, args)
    if args.format == "json":
        document = {
            "tenant": tenant,
            "roots": [str(r) for r in tree.roots],
            "generated_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "summary": report.summarise(shown_rows),
            "repos": [s.to_dict() for s in shown_rows],
            "warnings": tree.warnings,
        }
        sys.stdout.write(report.to_json(document) + "\n")
    elif args.format == "csv":
        sys.stdout.write(report.csv_text(shown_rows))
    elif args.format == "markdown":
        sys.stdout.write(report.render_markdown(shown_rows))
    else:
        sys.stdout.write(render_table(shown_rows))
        summary = report.summarise(statuses)
        average = summary["average_score"]
        sys.stdout.write(
            f"{summary['read']} read, {plural(summary['errors'], 'error')}, "
            f"{summary['dirty']} dirty, "
            f"{summary['behind']} behind, {summary['uninitialised']} uninitialised; "
            + ("no health score\n" if average is None else f"average health {average}\n")
        )
    print_warnings(tree.warnings)
    sys.stdout.flush()


async def _read_show_record(
    args: argparse.Namespace,
    ctx: CliContext,
    runner: GitRunner,
    targets: Sequence[StatusTarget],
    tree: WorkspaceTree,
    tenant: str | None,
    record: bool,
) -> tuple[list[RepoStatus], str | None]:
    """Read every target, print, then record (when ``record``); (statuses, a warning).

    The backend is opened while git runs (its import alone costs about as much as a
    small workspace's statuses), and used only after the output is written.
    """
    import asyncio

    from coditect_tui.core.git.status import read_many

    opening = asyncio.create_task(_open(ctx)) if record else None
    try:
        statuses = await read_many(runner, targets)
        _print(args, tree, tenant, statuses)
    except BaseException:
        if opening is not None:
            await _drop(opening)
        raise
    problem = await _record(opening, tree, statuses) if opening is not None else None
    return statuses, problem


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Discover, read, filter, print, record; exit 0/1 by whether every repo was read."""
    import asyncio

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.git.runner import GitRunner

    if args.jobs is not None and args.jobs < 1:
        raise InvalidInput("--jobs must be at least 1")
    if args.timeout <= 0:
        raise InvalidInput("--timeout must be positive")
    roots, tenant, from_settings = _roots(args, ctx)
    tree, targets = discover_targets(roots, tenant, args)
    if args.category:
        check_categories(targets, args.category)
        wanted = set(args.category)
        targets = [t for t in targets if t.category in wanted]
    # A snapshot is the tenant's whole workspace: a scan of PATHs (a sub-folder, or
    # anywhere) would replace it with a part, so only the tenant's own roots record.
    record = from_settings and not args.no_record and not ctx.read_only
    runner = GitRunner(concurrency=args.jobs, timeout=args.timeout)
    try:
        statuses, problem = asyncio.run(
            _read_show_record(args, ctx, runner, targets, tree, tenant, record)
        )
    finally:
        runner.close()
    if problem:
        print(f"coditect: warning: {problem}", file=sys.stderr)
    return 1 if any(s.error for s in statuses) else 0
