"""The dashboard as Markdown, CSV and JSON (``coditect report status``, exports from the pane).

Built on :mod:`coditect_tui.core.git.report`: the Markdown report is its health dashboard
(the status-report.py layout) with the dashboard's sections inserted before the overview;
the CSV is its per-repo CSV with the dashboard's columns appended; JSON goes through its
terminal-safe encoder. Untrusted text passes through ``safe_text`` (Markdown: ``md``).

The advisor's aggregate view has its own renderers, fed only an :class:`AdvisorView`, so
nothing they print can name a repo, a file or a person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coditect_tui.core.git import report
from coditect_tui.core.git.report import md
from coditect_tui.core.sparkline import sparkline
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.dashboard import Dashboard
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.portfolio import Portfolio
    from coditect_tui.core.views import AdvisorView

ALL_SECTIONS: tuple[str, ...] = ("kpis", "distribution", "commits", "trend", "stale", "attention")
#: Columns appended to core/git/report.py's per-repo CSV.
EXTRA_CSV_COLUMNS: tuple[str, ...] = ("days_since_commit", "stale", "needs_attention")
KPI_LABELS: tuple[tuple[str, str], ...] = (
    ("repos", "Repos"),
    ("read", "Read"),
    ("uninitialised", "Uninitialised submodules"),
    ("dirty", "Dirty"),
    ("ahead", "Ahead of upstream"),
    ("behind", "Behind upstream"),
    ("detached", "Detached HEAD"),
    ("conflicted", "Conflicted"),
    ("errored", "Errored"),
    ("active_sessions", "Active sessions"),
    ("average_health", "Average health"),
)


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _kpi_lines(kpis: Any) -> list[str]:
    lines = ["| figure | value |", "|---|---|"]
    lines += [f"| {label} | {_value(getattr(kpis, key))} |" for key, label in KPI_LABELS]
    return lines


def _commit_lines(days: Sequence[Any], window: int) -> list[str]:
    total = sum(d.commits for d in days)
    lines = [
        f"## Commits per day (last {plural(window, 'day')})",
        "",
        f"`{sparkline([d.commits for d in days])}` {plural(total, 'commit')}",
    ]
    active = [d for d in days if d.commits]
    if active:
        lines += ["", "| day | commits |", "|---|---|"]
        lines += [
            f"| {d.day.isoformat()} | {d.commits}"
            + (f" ({d.estimated} from snapshots)" if getattr(d, "estimated", 0) else "")
            + " |"
            for d in active
        ]
    return lines


def _trend_lines(points: Sequence[Any]) -> list[str]:
    seen = [p for p in points if p.repos is not None or p.average_health is not None]
    lines = ["## Trend (status snapshots)", ""]
    if not seen:
        return [*lines, "No status snapshots in the window (`coditect status` records one)."]
    lines += [
        f"`{sparkline([p.average_health for p in points])}` average health",
        "",
        "| day | repos | dirty | behind | errored | average health |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.day.isoformat()} | {_value(p.repos)} | {_value(p.dirty)} | "
        f"{_value(p.behind)} | {_value(p.errored)} | {_value(p.average_health)} |"
        for p in seen
    ]
    return lines


def _label(project: str | None, name: str) -> str:
    if project and project != name:
        return f"{md(project)} / {md(name)}"
    return md(name)


def dashboard_markdown_sections(
    dashboard: Dashboard, sections: Sequence[str] = ALL_SECTIONS
) -> list[str]:
    """The dashboard's own Markdown sections (KPIs, activity, trend, stale, attention)."""
    options = dashboard.options
    lines: list[str] = []
    if "kpis" in sections:
        lines += ["## Key figures", "", *_kpi_lines(dashboard.kpis), ""]
    if "commits" in sections:
        lines += [*_commit_lines(dashboard.commits, options.window_days), ""]
    if "trend" in sections:
        lines += [*_trend_lines(dashboard.trend), ""]
    if "stale" in sections:
        lines += [f"## Stale repos (no commit in {plural(options.stale_days, 'day')})", ""]
        if dashboard.stale:
            lines += [
                f"- {_label(s.project, s.name)}: {plural(s.days, 'day')} (last commit "
                f"{_iso(s.last_commit_at)}) — {md(s.path)}"
                for s in dashboard.stale
            ]
        else:
            lines.append("None.")
        lines.append("")
    if "attention" in sections:
        lines += [
            f"## Needs attention (errors, conflicts, health below {options.attention_below})",
            "",
        ]
        if dashboard.attention:
            lines += ["| repo | score | state | reasons | path |", "|---|---|---|---|---|"]
            lines += [
                f"| {_label(a.project, a.name)} | {_value(a.score)} | {a.state} | "
                f"{'; '.join(md(r) for r in a.reasons)} | {md(a.path)} |"
                for a in dashboard.attention
            ]
        else:
            lines.append("None.")
        lines.append("")
    if dashboard.notes:
        lines += ["## Notes", "", *(f"- {md(n)}" for n in dashboard.notes), ""]
    return lines


def render_markdown(
    dashboard: Dashboard,
    statuses: Sequence[RepoStatus],
    *,
    sections: Sequence[str] = ALL_SECTIONS,
    title: str = "CODITECT Workspace Health Dashboard",
) -> str:
    """The full report: core/git/report.py's health dashboard with the dashboard's
    sections before its overview.

    Args:
        dashboard: the dashboard of ``statuses``.
        statuses: the repos (for the health dashboard's per-repo sections).
        sections: the dashboard sections to include (a view's ``sections``);
            ``distribution`` keeps the health dashboard's own overview.
        title: the heading.

    Returns:
        Markdown text.
    """
    base = report.render_markdown(statuses, title=title, generated_at=dashboard.generated_at)
    lines = base.rstrip("\n").split("\n")
    ours = dashboard_markdown_sections(dashboard, sections)
    at = lines.index("## Overview") if "## Overview" in lines else len(lines)
    if "distribution" not in sections and at < len(lines):
        end = next((i for i in range(at + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        del lines[at:end]
    return "\n".join(lines[:at] + ours + lines[at:]).rstrip("\n") + "\n"


def render_csv(dashboard: Dashboard, statuses: Sequence[RepoStatus]) -> str:
    """core/git/report.py's per-repo CSV plus days since the last commit, stale and
    needs-attention columns.

    Returns:
        CSV text (``\\r\\n`` line ends, as report.csv_text).
    """
    stale = {s.path for s in dashboard.stale}
    attention = {a.path for a in dashboard.attention}
    rows = list(csv.reader(io.StringIO(report.csv_text(statuses), newline="")))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*rows[0], *EXTRA_CSV_COLUMNS])
    now = dashboard.generated_at
    for status, row in zip(statuses, rows[1:], strict=True):
        commit = status.last_commit
        days = (now - commit.time).days if commit and not status.error else None
        writer.writerow(
            [*row, "" if days is None else days, status.path in stale, status.path in attention]
        )
    return out.getvalue()


def render_json(
    dashboard: Dashboard,
    statuses: Sequence[RepoStatus],
    *,
    tenant: str | None,
    view: str,
    roots: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> str:
    """The dashboard, the status summary and every repo as terminal-safe JSON."""
    return report.to_json(
        {
            "tenant": tenant,
            "view": view,
            "roots": list(roots),
            "generated_at": _iso(dashboard.generated_at),
            "dashboard": dashboard.to_dict(),
            "summary": report.summarise(statuses),
            "repos": [s.to_dict() for s in statuses],
            "warnings": list(warnings),
        }
    )


# -- the advisor's aggregate view ------------------------------------------------------------


def advisor_markdown(view: AdvisorView, *, title: str = "Workspace overview") -> str:
    """The aggregate view as Markdown: counts and trends only.

    Args:
        view: the aggregate view (it holds no names).
        title: the heading (shown as given: a constant, never a repo or tenant name).

    Returns:
        Markdown text.
    """
    lines = [f"# {title}", f"**Generated:** {_iso(view.generated_at)}", ""]
    if view.kpis is not None:
        lines += ["## Key figures", "", *_kpi_lines(view.kpis), ""]
    if view.distribution is not None:
        lines += [
            "## Health distribution",
            "",
            "| band | scores | repos | share |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {b.band} | {b.low}-{b.high} | {b.count} | {b.share:.1f}% |"
            for b in view.distribution
        ]
        lines.append("")
    if view.commits is not None:
        lines += [*_commit_lines(view.commits, view.window_days), ""]
    if view.trend is not None:
        lines += [*_trend_lines(view.trend), ""]
    if view.stale_count is not None:
        lines.append(
            f"- Stale repos (no commit in {plural(view.stale_days, 'day')}): {view.stale_count}"
        )
    if view.attention_count is not None:
        lines.append(
            f"- Repos needing attention (health below {view.attention_below}, "
            f"errors or conflicts): {view.attention_count}"
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def advisor_csv(view: AdvisorView) -> str:
    """The aggregate view as ``section,key,value`` CSV rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "key", "value"))
    if view.kpis is not None:
        for key, value in view.kpis.model_dump().items():
            writer.writerow(("kpis", key, "" if value is None else _value(value)))
    for band in view.distribution or ():
        writer.writerow(("distribution", band.band, band.count))
    for day in view.commits or ():
        writer.writerow(("commits", day.day.isoformat(), day.commits))
    for point in view.trend or ():
        if point.average_health is not None:
            writer.writerow(
                ("trend_average_health", point.day.isoformat(), _value(point.average_health))
            )
    if view.stale_count is not None:
        writer.writerow(("counts", "stale", view.stale_count))
    if view.attention_count is not None:
        writer.writerow(("counts", "needs_attention", view.attention_count))
    return out.getvalue()


def advisor_json(view: AdvisorView) -> str:
    """The aggregate view as JSON."""
    return report.to_json({"view": "aggregate", **view.model_dump(mode="json")})


# -- the portfolio -----------------------------------------------------------------------------

PORTFOLIO_LABELS: dict[str, str] = {
    "repos": "repos",
    "dirty": "dirty",
    "ahead": "ahead",
    "behind": "behind",
    "detached": "detached",
    "conflicted": "conflicted",
    "errored": "errored",
    "average_health": "avg health",
    "active_sessions": "active sessions",
    "snapshot_at": "snapshot",
}


def _portfolio_cell(row: Any, column: str) -> str:
    value = getattr(row, column)
    if isinstance(value, datetime):
        return _iso(value)
    return _value(value)


def portfolio_markdown(portfolio: Portfolio, columns: Sequence[str]) -> str:
    """The portfolio as a Markdown table, one row per tenant (labelled with its name)."""
    lines = [
        f"# Portfolio of {md(portfolio.principal)}",
        f"**Generated:** {_iso(portfolio.generated_at)}",
        "",
        "| tenant | role | " + " | ".join(PORTFOLIO_LABELS[c] for c in columns) + " | note |",
        "|---|---|" + "---|" * len(columns) + "---|",
    ]
    for row in portfolio.rows:
        label = md(row.tenant) + (
            f" ({md(row.display_name)})" if row.display_name != row.tenant else ""
        )
        note = (
            md(row.error) if row.error else ("no snapshot yet" if row.snapshot_at is None else "")
        )
        lines.append(
            f"| {label} | {_value(row.role)} | "
            + " | ".join(_portfolio_cell(row, c) for c in columns)
            + f" | {note} |"
        )
    if portfolio.left_out:
        refused = plural(portfolio.left_out, "tenant")
        verb = "was" if portfolio.left_out == 1 else "were"
        lines += ["", f"{refused} refused access and {verb} not shown."]
    return "\n".join(lines) + "\n"


def portfolio_csv(portfolio: Portfolio, columns: Sequence[str]) -> str:
    """The portfolio as CSV (text cells through ``safe_text``)."""
    from coditect_tui.core.safe_text import safe_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("tenant", "display_name", "tier", "role", *columns, "error"))
    for row in portfolio.rows:
        cells = [safe_text(row.tenant), safe_text(row.display_name), row.tier, row.role or ""]
        cells += ["" if getattr(row, c) is None else _portfolio_cell(row, c) for c in columns]
        cells.append(safe_text(row.error or ""))
        writer.writerow([("'" + c) if c[:1] in ("=", "+", "-", "@") else c for c in cells])
    return out.getvalue()
