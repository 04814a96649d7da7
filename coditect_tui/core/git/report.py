"""Status reports: summary figures, the markdown health dashboard, CSV rows, JSON text.

Every untrusted string (names, branches, subjects, paths, error lines) passes through
:func:`coditect_tui.core.safe_text.safe_text` before it lands in a human-readable format;
JSON keeps the data faithful through ``safe_json`` (the same rule, as JSON escapes), so
even JSON piped to a terminal cannot drive it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from coditect_tui.core.git.health import BANDS
from coditect_tui.core.git.status import RepoStatus
from coditect_tui.core.safe_text import safe_json, safe_text

CSV_COLUMNS: tuple[str, ...] = (
    "project",
    "name",
    "path",
    "category",
    "is_submodule",
    "state",
    "branch",
    "detached",
    "upstream",
    "ahead",
    "behind",
    "staged",
    "modified",
    "untracked",
    "conflicted",
    "stash",
    "last_commit_sha",
    "last_commit_subject",
    "last_commit_author",
    "last_commit_time",
    "score",
    "band",
    "issues",
    "warnings",
    "error",
)


def summarise(statuses: Sequence[RepoStatus]) -> dict[str, Any]:
    """Figures for a run: counts, average score and the score distribution.

    Args:
        statuses: the run's rows (uninitialised submodules and errors included).

    Returns:
        A JSON-ready dict (also the snapshot summary).
    """
    read = [s for s in statuses if s.initialised and not s.error]
    scored = [s.health.score for s in read if s.health]
    dist = {name: sum(1 for v in scored if low <= v <= high) for name, low, high in BANDS}
    return {
        "repos": len(statuses),
        "read": len(read),
        "errors": sum(1 for s in statuses if s.error),
        "uninitialised": sum(1 for s in statuses if not s.initialised),
        "dirty": sum(1 for s in read if s.dirty),
        "ahead": sum(1 for s in read if s.ahead > 0),
        "behind": sum(1 for s in read if s.behind > 0),
        "conflicted": sum(1 for s in read if s.conflicted > 0),
        "detached": sum(1 for s in read if s.detached),
        "stashes": sum(s.stash for s in read),
        "average_score": round(sum(scored) / len(scored), 1) if scored else None,
        "distribution": dist,
    }


def snapshot_repo(status: RepoStatus) -> dict[str, Any]:
    """The compact per-repo record stored with a status snapshot (trend history)."""
    return {
        "path": status.path,
        "project": status.project,
        "name": status.name,
        "state": status.state,
        "branch": status.branch,
        "head": status.head_oid,
        "ahead": status.ahead,
        "behind": status.behind,
        "changed": status.changed,
        "untracked": status.untracked,
        "conflicted": status.conflicted,
        "stash": status.stash,
        "score": status.health.score if status.health else None,
        "error": status.error,
    }


def to_json(document: Any) -> str:
    """JSON text (indented) that is safe to print to a terminal.

    Args:
        document: JSON-ready data.

    Returns:
        The JSON, through ``safe_json`` (the one neutralising rule).
    """
    return safe_json(document, indent=True)


def csv_cell(value: object) -> object:
    """A CSV cell: text through ``safe_text``, a leading formula character defused."""
    if isinstance(value, str):
        text = safe_text(value)
        if text[:1] in ("=", "+", "-", "@"):
            return "'" + text  # spreadsheet formula injection
        return text
    return "" if value is None else value


def csv_text(statuses: Sequence[RepoStatus]) -> str:
    """The rows as CSV (header first), every text cell through ``safe_text``.

    Args:
        statuses: the rows.

    Returns:
        CSV text with ``\\r\\n`` line ends.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for s in statuses:
        commit = s.last_commit
        health = s.health
        row = {
            "project": s.project,
            "name": s.name,
            "path": s.path,
            "category": s.category,
            "is_submodule": s.is_submodule,
            "state": s.state,
            "branch": s.branch,
            "detached": s.detached,
            "upstream": s.upstream,
            "ahead": s.ahead,
            "behind": s.behind,
            "staged": s.staged,
            "modified": s.modified,
            "untracked": s.untracked,
            "conflicted": s.conflicted,
            "stash": s.stash,
            "last_commit_sha": commit.short_sha if commit else None,
            "last_commit_subject": commit.subject if commit else None,
            "last_commit_author": commit.author if commit else None,
            "last_commit_time": commit.time.isoformat() if commit else None,
            "score": health.score if health else None,
            "band": health.band if health else None,
            "issues": "; ".join(health.issues) if health else None,
            "warnings": "; ".join(health.warnings) if health else None,
            "error": s.error,
        }
        writer.writerow([csv_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|~"})


def md(value: object) -> str:
    """Untrusted text for markdown: ``safe_text`` and every markdown character escaped."""
    return safe_text(value, max_length=300).translate(_MD_SPECIAL)


def _label(s: RepoStatus) -> str:
    if s.project and s.project != s.name:
        return f"{md(s.project)} / {md(s.name)}"
    return md(s.name)


def render_markdown(
    statuses: Sequence[RepoStatus],
    *,
    title: str = "CODITECT Workspace Health Dashboard",
    generated_at: datetime | None = None,
) -> str:
    """A health dashboard in the shape of submodule-health-check's.

    Overview (count, average score, distribution with percentages), critical issues
    (score < 50, with every issue), warnings (50 <= score < 70, with every finding),
    then repos git could not read, uninitialised submodules, and a table of every repo.

    Args:
        statuses: the rows.
        title: the heading.
        generated_at: the time to print (default: now, local time).

    Returns:
        Markdown text.
    """
    moment = (generated_at or datetime.now(UTC)).astimezone()
    scored = [s for s in statuses if s.health is not None and not s.error]
    total = len(scored)
    average = sum(s.health.score for s in scored if s.health) / total if total else 0.0
    lines = [
        f"# {title}",
        f"**Generated:** {moment.strftime('%Y-%m-%d %H:%M:%S')}",
        "",
        "## Overview",
        f"Total Repos: {total}",
        f"Average Health Score: {average:.1f}/100",
        "",
        "Health Distribution:",
    ]
    for name, low, high in BANDS:
        count = sum(1 for s in scored if s.health and low <= s.health.score <= high)
        share = count / total * 100 if total else 0.0
        lines.append(f"- {name.capitalize()} ({low}-{high}): {count} ({share:.1f}%)")
    critical = [s for s in scored if s.health and s.health.score < 50]
    if critical:
        lines += ["", "## Critical Issues"]
        for s in critical:
            assert s.health is not None
            lines += [
                "",
                f"### {_label(s)} ({s.health.score}/100) ❌",
                f"**Path:** {md(s.path)}",
                "**Issues:**",
            ]
            lines += [f"  - {md(issue)}" for issue in s.health.issues]
    warned = [s for s in scored if s.health and 50 <= s.health.score < 70]
    if warned:
        lines += ["", "## Warnings"]
        for s in warned:
            assert s.health is not None
            # every finding that took points off: issues too (a score of 50-69 may
            # come from an issue alone, with no lesser warning)
            findings = ", ".join(md(f) for f in [*s.health.issues, *s.health.warnings])
            lines.append(
                f"- {_label(s)} ({s.health.score}/100)" + (f": {findings}" if findings else "")
            )
    errors = [s for s in statuses if s.error]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- {_label(s)}: {md(s.error)} ({md(s.path)})" for s in errors]
    uninit = [s for s in statuses if not s.initialised]
    if uninit:
        lines += ["", "## Uninitialised submodules", ""]
        lines += [f"- {_label(s)} ({md(s.path)})" for s in uninit]
    if scored:
        lines += [
            "",
            "## Repos",
            "",
            "| repo | branch | state | ahead/behind | score | last commit |",
            "|---|---|---|---|---|---|",
        ]
        for s in scored:
            assert s.health is not None
            branch = md(s.branch) if s.branch else f"(detached {md((s.head_oid or '')[:7])})"
            commit = s.last_commit
            last = f"{commit.short_sha} {md(commit.subject)}" if commit else ""
            lines.append(
                f"| {_label(s)} | {branch} | {s.state} | {s.ahead}/{s.behind} | "
                f"{s.health.score} | {last} |"
            )
    return "\n".join(lines) + "\n"
