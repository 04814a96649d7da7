"""The dashboard's figures (bands, days, trend, stale repos, attention) and :class:`Dashboard`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from coditect_tui.core.dashboard.kpis import Kpis
from coditect_tui.core.dashboard.options import DashboardOptions
from coditect_tui.core.git.health import Band


@dataclass(frozen=True, slots=True)
class BandCount:
    """One band of the health distribution.

    Attributes:
        band: excellent, good, fair or poor.
        low: lowest score of the band.
        high: highest score of the band.
        count: read repos scoring in the band.
        share: percentage of scored repos (0 when none scored).
    """

    band: Band
    low: int
    high: int
    count: int
    share: float


@dataclass(frozen=True, slots=True)
class CommitDay:
    """Activity of one calendar day.

    Attributes:
        day: the day (in the options' time zone).
        commits: distinct commits seen in git history plus ``estimated``.
        estimated: head moves seen only in status snapshots (a lower bound: a move may
            hide several commits).
    """

    day: date
    commits: int
    estimated: int = 0


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The last status snapshot of one day (all None on days without one).

    Attributes:
        day: the day.
        snapshots: snapshots recorded that day.
        repos: repos in the last snapshot.
        dirty: dirty repos in it.
        behind: repos behind in it.
        errored: errored repos in it.
        average_health: its average score.
    """

    day: date
    snapshots: int = 0
    repos: int | None = None
    dirty: int | None = None
    behind: int | None = None
    errored: int | None = None
    average_health: float | None = None


@dataclass(frozen=True, slots=True)
class StaleRepo:
    """A repo without a commit for ``days`` days.

    Attributes:
        path: working tree (jump target).
        name: display name (untrusted).
        project: project name (untrusted).
        last_commit_at: the HEAD commit's time.
        days: whole days since then.
    """

    path: str
    name: str
    project: str | None
    last_commit_at: datetime
    days: int


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """A repo that needs attention.

    Attributes:
        path: working tree (jump target).
        name: display name (untrusted).
        project: project name (untrusted).
        score: health score (None when git could not read it).
        band: the score's band (None without a score).
        state: error, conflict, dirty or clean.
        reasons: what is wrong, most serious first (untrusted text).
    """

    path: str
    name: str
    project: str | None
    score: int | None
    band: Band | None
    state: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard pane shows.

    Attributes:
        generated_at: the reference time (aware).
        options: how it was computed.
        kpis: the KPI cards.
        distribution: health bands, best first.
        commits: one entry per day of the window, oldest first.
        trend: one entry per day of the window, oldest first.
        stale: stale repos, oldest commit first.
        attention: repos needing attention, worst first.
        notes: one line per input that could not be read (e.g. no permission to read
            sessions); the figures that depend on it are None or empty.
    """

    generated_at: datetime
    options: DashboardOptions
    kpis: Kpis
    distribution: tuple[BandCount, ...]
    commits: tuple[CommitDay, ...]
    trend: tuple[TrendPoint, ...]
    stale: tuple[StaleRepo, ...]
    attention: tuple[AttentionItem, ...]
    notes: tuple[str, ...] = ()

    @property
    def commits_total(self) -> int:
        """Commits over the whole window."""
        return sum(day.commits for day in self.commits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates and times as ISO 8601 text)."""

        def iso(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: iso(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [iso(v) for v in value]
            return value

        return {
            "generated_at": iso(self.generated_at),
            "options": {
                "window_days": self.options.window_days,
                "stale_days": self.options.stale_days,
                "attention_below": self.options.attention_below,
                "tz": str(self.options.tz),
            },
            "kpis": self.kpis.model_dump(),
            "distribution": [asdict(b) for b in self.distribution],
            "commits": [iso(asdict(d)) for d in self.commits],
            "commits_total": self.commits_total,
            "trend": [iso(asdict(t)) for t in self.trend],
            "stale": [iso(asdict(s)) for s in self.stale],
            "attention": [iso(asdict(a)) for a in self.attention],
            "notes": list(self.notes),
        }


#: Commit ids and committer times (unix seconds) of one repo, newest first.
CommitLog = tuple[tuple[str, int], ...]
