"""The pure computations: no git, no backend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from coditect_tui.core.dashboard.kpis import compute_kpis
from coditect_tui.core.dashboard.model import (
    AttentionItem,
    BandCount,
    CommitDay,
    CommitLog,
    Dashboard,
    StaleRepo,
    TrendPoint,
)
from coditect_tui.core.dashboard.options import DashboardOptions, window_days
from coditect_tui.core.dashboard.repos import health_reasons, health_score, last_commit_at
from coditect_tui.core.git.health import BANDS, band_of
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.models import StatusSnapshot


def compute_distribution(repos: Sequence[RepoStatus]) -> tuple[BandCount, ...]:
    """Read repos per health band (bands of core/git/health.py), best band first."""
    scored = [v for v in map(health_score, repos) if v is not None]
    total = len(scored)
    out = []
    for name, low, high in BANDS:
        count = sum(1 for v in scored if low <= v <= high)
        out.append(
            BandCount(name, low, high, count, round(count / total * 100, 1) if total else 0.0)
        )
    return tuple(out)


def compute_commits(
    history: Mapping[str, CommitLog],
    snapshots: Sequence[StatusSnapshot],
    *,
    now: datetime,
    options: DashboardOptions,
) -> tuple[CommitDay, ...]:
    """Commits per day over the window.

    Args:
        history: commit log per repo path (from :class:`CommitHistory`).
        snapshots: status snapshots (any order); their head moves count, as
            ``estimated``, only for repo paths missing from ``history``.
        now: the reference time.
        options: window and time zone.

    Returns:
        One entry per day, oldest first.
    """
    days = window_days(now, options)
    counts = dict.fromkeys(days, 0)
    estimated = dict.fromkeys(days, 0)
    seen: set[str] = set()
    tz = options.tz
    for log in history.values():
        for sha, stamp in log:
            if sha in seen:
                continue
            seen.add(sha)
            day = datetime.fromtimestamp(stamp, tz).date()
            if day in counts:
                counts[day] += 1
    last_head: dict[str, str] = {}
    for snap in sorted(snapshots, key=lambda s: s.taken_at):
        day = snap.taken_at.astimezone(tz).date()
        for record in snap.repos:
            path, head = record.get("path"), record.get("head")
            if not isinstance(path, str) or not isinstance(head, str) or path in history:
                continue
            before = last_head.get(path)
            last_head[path] = head
            if before is not None and before != head and head not in seen and day in estimated:
                seen.add(head)
                estimated[day] += 1
    return tuple(CommitDay(d, counts[d] + estimated[d], estimated[d]) for d in days)


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def compute_trend(
    snapshots: Sequence[StatusSnapshot], *, now: datetime, options: DashboardOptions
) -> tuple[TrendPoint, ...]:
    """The last snapshot's summary for each day of the window (None on days without one).

    Args:
        snapshots: status snapshots (any order); summaries as ``report.summarise`` writes
            them (repos, dirty, behind, errors, average_score).
        now: the reference time.
        options: window and time zone.

    Returns:
        One point per day, oldest first.
    """
    days = window_days(now, options)
    last: dict[date, StatusSnapshot] = {}
    count: dict[date, int] = {}
    for snap in sorted(snapshots, key=lambda s: s.taken_at):
        day = snap.taken_at.astimezone(options.tz).date()
        last[day] = snap
        count[day] = count.get(day, 0) + 1
    points = []
    for day in days:
        latest = last.get(day)
        if latest is None:
            points.append(TrendPoint(day))
            continue
        summary = latest.summary
        average = summary.get("average_score")
        points.append(
            TrendPoint(
                day,
                snapshots=count[day],
                repos=_number(summary.get("repos")),
                dirty=_number(summary.get("dirty")),
                behind=_number(summary.get("behind")),
                errored=_number(summary.get("errors")),
                average_health=float(average)
                if isinstance(average, int | float) and not isinstance(average, bool)
                else None,
            )
        )
    return tuple(points)


def compute_stale(
    repos: Sequence[RepoStatus], *, now: datetime, options: DashboardOptions
) -> tuple[StaleRepo, ...]:
    """Read repos whose HEAD commit is at least ``stale_days`` old, oldest first.

    Repos without a commit (unborn) or without a known commit time are not listed.
    """
    out = []
    for repo in repos:
        when = last_commit_at(repo)
        if not repo.read or when is None:
            continue
        days = (now - when).days
        if days >= options.stale_days:
            out.append(StaleRepo(repo.path, repo.name, repo.project, when, days))
    out.sort(key=lambda s: (-s.days, s.path))
    return tuple(out)


def compute_attention(
    repos: Sequence[RepoStatus], *, options: DashboardOptions
) -> tuple[AttentionItem, ...]:
    """Errored and conflicted repos and repos scoring below ``attention_below``.

    Returns:
        Worst first: errors (no score), then ascending score, then path.
    """
    out = []
    for repo in repos:
        if not repo.initialised:
            continue
        score = health_score(repo)
        low = score is not None and score < options.attention_below
        if repo.error is None and not repo.conflicted and not low:
            continue
        reasons: list[str] = []
        if repo.error is not None:
            reasons.append(repo.error)
        if repo.conflicted:
            reasons.append(plural(repo.conflicted, "conflicted file"))
        reasons.extend(health_reasons(repo))
        out.append(
            AttentionItem(
                path=repo.path,
                name=repo.name,
                project=repo.project,
                score=score,
                band=band_of(score) if score is not None else None,
                state=repo.state,
                reasons=tuple(reasons),
            )
        )
    out.sort(key=lambda a: (-1 if a.score is None else a.score, a.path))
    return tuple(out)


def build_dashboard(
    repos: Iterable[RepoStatus],
    *,
    history: Mapping[str, CommitLog] | None = None,
    snapshots: Sequence[StatusSnapshot] = (),
    active_sessions: int | None = None,
    now: datetime | None = None,
    options: DashboardOptions | None = None,
    notes: Sequence[str] = (),
) -> Dashboard:
    """The dashboard of a set of repos (pure: no git, no backend).

    Args:
        repos: the status of every listed repo.
        history: commit log per repo path for the activity chart.
        snapshots: status snapshots of the window (trend, and activity of repos that
            are not in ``history``).
        active_sessions: active git sessions, when known.
        now: the reference time (default: now).
        options: window, stale threshold, attention threshold, time zone.
        notes: lines to carry along (inputs that could not be read).

    Returns:
        The dashboard.
    """
    options = options or DashboardOptions()
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    facts = list(repos)
    return Dashboard(
        generated_at=now,
        options=options,
        kpis=compute_kpis(facts, active_sessions=active_sessions),
        distribution=compute_distribution(facts),
        commits=compute_commits(history or {}, snapshots, now=now, options=options),
        trend=compute_trend(snapshots, now=now, options=options),
        stale=compute_stale(facts, now=now, options=options),
        attention=compute_attention(facts, options=options),
        notes=tuple(notes),
    )
