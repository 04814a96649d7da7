"""``coditect memory index|search|show|import-audit``: the MEMORY-CONTEXT knowledge base.

Never imports Textual. Every untrusted text (titles, paths, snippets, bodies) goes through
``safe_text`` before it is printed, and ``--json`` output through ``safe_json``. Bad input
(a malformed query, a missing folder) ends in one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_json
from coditect_tui.core.memory_kinds import MEMORY_KINDS
from coditect_tui.core.wording import plural

if TYPE_CHECKING:  # pydantic models load when a memory command runs, not at start-up
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.memory.indexer import IndexReport
    from coditect_tui.core.models import MemoryEntry, MemorySearchResult


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``memory`` and its sub-commands."""
    kinds = MEMORY_KINDS
    memory = sub.add_parser(
        "memory",
        help="index, search and show MEMORY-CONTEXT files",
        description="CODITECT MEMORY-CONTEXT folders (checkpoints, sessions, exports, "
        "transcripts, audit logs) as a full-text index in the tenant's store.",
    )
    add_common(memory)
    actions = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)

    index = actions.add_parser(
        "index",
        help="index MEMORY-CONTEXT folders (only new or changed files are read)",
        description="Find every MEMORY-CONTEXT folder at or below the PATHs (default: the "
        "tenant's workspace roots and registered project folders) and bring "
        "the index in step: new and changed files are read, deleted ones "
        "dropped, renamed ones moved.",
    )
    index.add_argument(
        "paths", nargs="*", metavar="PATH", help="workspace, project or MEMORY-CONTEXT folders"
    )
    index.add_argument(
        "--max-depth",
        type=int,
        default=6,
        metavar="N",
        help="folder levels searched below each PATH (default 6)",
    )
    add_format_options(index, ("text", "json"))
    add_common(index)
    index.set_defaults(handler=run_index)

    search = actions.add_parser(
        "search",
        help="full-text search",
        description='Words must all match; "a phrase"; prefix*; OR; -word or NOT word to '
        "exclude; (parentheses) group. See docs/memory.md.",
    )
    search.add_argument(
        "query",
        nargs="+",
        metavar="WORD",
        help="the query; several words need no quotes (they are joined by spaces)",
    )
    search.add_argument(
        "--kind",
        action="append",
        choices=kinds,
        metavar="KIND",
        help=f"only this kind (repeatable): {', '.join(kinds)}",
    )
    search.add_argument(
        "--limit", type=int, default=20, metavar="N", help="most results (default 20)"
    )
    add_format_options(search, ("text", "json"))
    add_common(search)
    search.set_defaults(handler=run_search)

    show = actions.add_parser(
        "show",
        help="show one entry and its indexed text",
        description="Show an entry's metadata and indexed text.",
    )
    show.add_argument(
        "entry_id", metavar="ID", help="an entry's id, or enough of its start to be unique"
    )
    add_format_options(show, ("text", "json"))
    add_common(show)
    show.set_defaults(handler=run_show)

    audit = actions.add_parser(
        "import-audit",
        help="import audit-logs/*.json into the audit log (idempotent)",
        description="Import the operations of MEMORY-CONTEXT/audit-logs/*.json as audit "
        "events marked with their source file. Importing again adds nothing.",
    )
    audit.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="workspace, project, MEMORY-CONTEXT or audit-logs folders",
    )
    audit.add_argument(
        "--max-depth",
        type=int,
        default=6,
        metavar="N",
        help="folder levels searched below each PATH (default 6)",
    )
    add_format_options(audit, ("text", "json"))
    add_common(audit)
    audit.set_defaults(handler=run_import_audit)


async def _where(
    ctx: CliContext, backend: Backend, given: Sequence[str]
) -> tuple[list[Path], list[Path]]:
    """The folders to search and the configured MEMORY-CONTEXT folders.

    Given PATHs are searched alone. Without them: the tenant's workspace roots and
    registered project folders, and its ``memory_folders``.
    """
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.memory.indexer import load_projects

    if given:
        return [Path(p) for p in given], []
    profile = ctx.profile()
    paths = list(profile.roots())
    paths += [Path(p.path).expanduser() for p in await load_projects(backend) if p.path]
    existing = [p for p in dict.fromkeys(paths) if p.is_dir()]
    named = profile.memory_folder_paths()
    if not existing and not named:
        raise InvalidInput(
            "no PATH given and the tenant has no workspace_roots, memory_folders or "
            "project folders; name a MEMORY-CONTEXT folder"
        )
    return existing, named


def _report_json(report: IndexReport) -> dict[str, Any]:
    return {
        "roots": [
            {"path": r.key, "project_id": r.project_id, "project": r.project_name}
            for r in report.roots
        ],
        "scanned": report.scanned,
        "added": report.added,
        "updated": report.updated,
        "renamed": [list(pair) for pair in report.renamed],
        "deleted": report.deleted,
        "unchanged": report.unchanged + report.touched,
        "errors": [{"path": p, "error": e} for p, e in report.errors],
        "truncated": report.truncated,
        "kept": report.kept,
        "seconds": round(report.seconds, 3),
    }


def run_index(args: argparse.Namespace, ctx: CliContext) -> int:
    """Index MEMORY-CONTEXT folders; exit 1 when some files could not be indexed."""
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.memory.indexer import MemoryIndexer
    from coditect_tui.core.safe_text import safe_text

    if args.max_depth < 0:
        raise InvalidInput("--max-depth must be 0 or more")

    async def work(backend: Backend) -> IndexReport:
        paths, named = await _where(ctx, backend, args.paths)
        indexer = await MemoryIndexer.for_paths(
            backend, paths, max_depth=args.max_depth, designated=named
        )
        return await indexer.index()

    report = ctx.run(work)
    for warning in report.warnings():
        print(f"coditect: warning: {safe_text(warning)}", file=sys.stderr)
    if args.format == "json":
        print_json(_report_json(report))
    else:
        for root in report.roots:
            owner = f" (project {safe_text(root.project_name)})" if root.project_name else ""
            print(f"{safe_text(root.path)}{owner}")
        print(f"indexed: {report.summary()}")
        for key in report.truncated:
            print(f"partly indexed (over the size cap): {safe_text(key)}")
        for key, message in report.errors:
            print(f"error: {safe_text(key)}: {safe_text(message)}", file=sys.stderr)
    return 1 if report.errors else 0


def _highlight(snippet: str, *, color: bool) -> str:
    from coditect_tui.core.memory.search import snippet_segments
    from coditect_tui.core.safe_text import safe_text

    start, end = ("\x1b[1m", "\x1b[22m") if color else ("[", "]")

    def flat(text: str) -> str:
        return safe_text(re.sub(r"\s+", " ", text))

    return "".join(
        f"{start}{flat(text)}{end}" if hit else flat(text)
        for text, hit in snippet_segments(snippet)
    )


def _entry_json(entry: MemoryEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def _when(entry: MemoryEntry) -> str:
    """The name's time as written; ``~`` marks a note on it, ``!`` a name/body conflict."""
    from coditect_tui.core.memory.timing import disagrees
    from coditect_tui.core.safe_text import safe_text

    mark = " !" if disagrees(entry.timestamp_note) else " ~" if entry.timestamp_note else ""
    if entry.timestamp_raw:
        return safe_text(entry.timestamp_raw) + mark
    if entry.timestamp:
        return entry.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ") + mark
    return "undated"


def run_search(args: argparse.Namespace, ctx: CliContext) -> int:
    """Search the index; exit 0 with or without hits, 2 for a malformed query."""
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.memory.query import parse_query
    from coditect_tui.core.memory.search import count_text, search_result
    from coditect_tui.core.models import MemoryFilter
    from coditect_tui.core.safe_text import safe_text

    query = " ".join(args.query)
    parse_query(query)  # a malformed query fails before the store is opened
    if not 1 <= args.limit <= 1000:
        raise InvalidInput("--limit must be between 1 and 1000")
    flt = MemoryFilter(kinds=args.kind) if args.kind else None

    async def work(backend: Backend) -> MemorySearchResult:
        return await search_result(backend, query, flt, limit=args.limit)

    result = ctx.run(work)
    hits = result.hits
    if args.format == "json":
        print_json(
            [
                {
                    **_entry_json(h.entry),
                    "rank": h.rank,
                    "snippet": h.snippet,
                    "duplicate_count": h.duplicate_count,
                    "duplicates": h.duplicates,
                }
                for h in hits
            ]
        )
        return 0
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for hit in hits:
        entry = hit.entry
        print(
            f"{entry.id}  {entry.kind:<18} {_when(entry):<22} "
            f"{safe_text(entry.title, max_length=100)}"
        )
        print(f"    {safe_text(entry.path)}")
        if hit.snippet:
            print(f"    {_highlight(hit.snippet, color=color)}")
        if hit.duplicate_count:
            also = ", ".join(safe_text(path) for path in hit.duplicates[:3])
            more = hit.duplicate_count - min(3, len(hit.duplicates))
            print(
                f"    also in {hit.duplicate_count} file{'s' if hit.duplicate_count > 1 else ''}"
                f" (identical): {also}{f', and {more} more' if more else ''}"
            )
    if not hits:
        print("no matches", file=sys.stderr)
    else:
        print(count_text(len(hits), result.total, exact=result.total_exact), file=sys.stderr)
    return 0


def _show_lines(entry: MemoryEntry, body: str) -> Sequence[str]:
    from coditect_tui.core.memory.timing import disagrees
    from coditect_tui.core.safe_text import safe_text

    lines = [
        f"id:        {entry.id}",
        f"kind:      {entry.kind}",
        f"title:     {safe_text(entry.title)}",
        f"path:      {safe_text(entry.path)}",
        f"timestamp: {safe_text(entry.timestamp_raw or 'undated')}",
    ]
    if entry.timestamp and entry.timestamp_note:
        lines.append(f"time:      {entry.timestamp:%Y-%m-%dT%H:%M:%SZ} (UTC, see the note)")
    if disagrees(entry.timestamp_note):
        lines.append("flag:      name and body disagree on the time")
    if entry.timestamp_note:
        lines.append(f"note:      {safe_text(entry.timestamp_note)}")
    if entry.project_id:
        lines.append(f"project:   {entry.project_id}")
    if entry.tags:
        lines.append(f"tags:      {safe_text(', '.join(entry.tags))}")
    lines += [
        f"size:      {entry.size} bytes",
        f"sha256:    {entry.sha256 or '-'}",
        "",
        safe_text(body, keep_newlines=True),
    ]
    return lines


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    """Show one entry (by its id or a unique start of it) with its indexed text."""

    from coditect_tui.core.memory.lookup import find_memory_entry

    async def work(backend: Backend) -> tuple[MemoryEntry, str]:
        entry = await find_memory_entry(backend, args.entry_id)
        return entry, await backend.get_memory_body(entry.id)

    entry, body = ctx.run(work)
    if args.format == "json":
        print_json({**_entry_json(entry), "body": body})
    else:
        print("\n".join(_show_lines(entry, body)))
    return 0


def run_import_audit(args: argparse.Namespace, ctx: CliContext) -> int:
    """Import audit-logs/*.json; exit 1 when some files or operations could not be read."""
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.memory.audit_import import (
        ImportReport,
        audit_sources,
        import_audit_logs,
    )
    from coditect_tui.core.safe_text import safe_text

    if args.max_depth < 0:
        raise InvalidInput("--max-depth must be 0 or more")

    async def work(backend: Backend) -> ImportReport:
        paths, named = await _where(ctx, backend, args.paths)
        sources = audit_sources(paths, max_depth=args.max_depth, designated=named)
        return await import_audit_logs(backend, sources)

    report = ctx.run(work)
    if args.format == "json":
        print_json(
            {
                "files": report.files,
                "events_read": report.events_read,
                "appended": report.appended,
                "problems": report.problems,
            }
        )
    else:
        print(
            f"audit logs: {plural(report.files, 'file')}, "
            f"{plural(report.events_read, 'operation')} read, "
            f"{plural(report.appended, 'new event')} appended"
        )
    for problem in report.problems:
        print(f"problem: {safe_text(problem)}", file=sys.stderr)
    return 1 if report.problems else 0
