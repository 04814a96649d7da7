"""Dashboard figures of one tenant: KPIs, health distribution, activity, stale repos, attention.

UI-free and cheap to recompute: :func:`build_dashboard` is a pure function of the repos'
statuses, their commit history, the backend's status snapshots and the active-session
count, so a pane can rebuild it on every watcher event. :func:`load_dashboard` gathers
those inputs (git history through the hardened :class:`GitRunner`, snapshots and sessions
through the Backend) and calls it. :class:`CommitHistory` keeps the per-repo history
between calls and re-reads only repos whose refs moved.

How every figure is computed is in docs/dashboard.md; in short:

* **repos** counts every listed repo (uninitialised submodules included, as
  ``coditect status`` does); **dirty**, **ahead**, **behind**, **detached**, **conflicted**
  count repos git could read; **errored** counts repos git could not read; **average
  health** is the mean score of readable repos (one decimal).
* **distribution** uses the bands of :mod:`coditect_tui.core.git.health`.
* **commits per day**: distinct commit ids reachable from HEAD, local branches or
  remote-tracking branches of any repo, bucketed by committer date (a commit shared by a
  submodule and its own clone counts once). Repos known only from snapshots (not on this
  machine now) add the head moves the snapshots saw, counted as ``estimated``.
* **stale**: readable repos whose HEAD commit is at least ``stale_days`` old.
* **needs attention**: errored or conflicted repos and repos scoring below
  ``attention_below``, lowest score first (errors first), then by path.

Text fields (names, paths, reasons) are untrusted: show them through ``safe_text``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.git.health import BANDS, Band, band_of

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.models import StatusSnapshot
    from coditect_tui.core.workspace_view import RepoView

DEFAULT_WINDOW_DAYS = 30
DEFAULT_STALE_DAYS = 30
DEFAULT_ATTENTION_BELOW = 70
#: Page size used when reading snapshots and sessions from a backend.
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """How the dashboard is computed (shipped defaults in config/views.yaml).

    Attributes:
        window_days: days of activity and trend shown, today included.
        stale_days: a repo whose HEAD commit is at least this many days old is stale.
        attention_below: repos scoring below this need attention.
        tz: the time zone whose calendar days bucket the activity.
    """

    window_days: int = DEFAULT_WINDOW_DAYS
    stale_days: int = DEFAULT_STALE_DAYS
    attention_below: int = DEFAULT_ATTENTION_BELOW
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 366:
            raise ValueError("window_days must be between 1 and 366")
        if self.stale_days < 1:
            raise ValueError("stale_days must be at least 1")
        if not 0 <= self.attention_below <= 101:
            raise ValueError("attention_below must be between 0 and 101")


@dataclass(frozen=True, slots=True)
class RepoFacts:
    """What the dashboard needs of one repo, from a RepoStatus or a RepoView.

    Attributes:
        path: working tree path (the key a UI jumps to).
        name: display name (untrusted).
        project: project name (untrusted).
        is_submodule: a submodule of another repo.
        initialised: has a working tree (False for a listed, uninitialised submodule).
        error: why git could not read it, if it could not.
        head: the HEAD commit id.
        dirty: tracked changes or untracked entries.
        ahead: commits ahead of the upstream.
        behind: commits behind the upstream.
        detached: HEAD is detached.
        conflicted: unmerged entries.
        score: health score (None when not read).
        reasons: health issues then warnings (untrusted: they quote branch names).
        last_commit_at: the HEAD commit's committer time (None when unknown).
        pending: a view whose status has not been read yet (neither read nor errored).
    """

    path: str
    name: str
    project: str | None = None
    is_submodule: bool = False
    initialised: bool = True
    error: str | None = None
    head: str | None = None
    dirty: bool = False
    ahead: int = 0
    behind: int = 0
    detached: bool = False
    conflicted: int = 0
    score: int | None = None
    reasons: tuple[str, ...] = ()
    last_commit_at: datetime | None = None
    pending: bool = False

    @property
    def read(self) -> bool:
        """Git read it: initialised, no error, not pending."""
        return self.initialised and self.error is None and not self.pending

    @property
    def state(self) -> str:
        """error, uninitialised, conflict, dirty or clean (as RepoStatus.state)."""
        if self.error:
            return "error"
        if not self.initialised:
            return "uninitialised"
        if self.conflicted:
            return "conflict"
        return "dirty" if self.dirty else "clean"

    @classmethod
    def from_status(cls, status: RepoStatus) -> RepoFacts:
        """The facts of a fresh status."""
        health = status.health
        return cls(
            path=status.path,
            name=status.name,
            project=status.project,
            is_submodule=status.is_submodule,
            initialised=status.initialised,
            error=status.error,
            head=status.head_oid,
            dirty=status.dirty,
            ahead=status.ahead,
            behind=status.behind,
            detached=status.detached,
            conflicted=status.conflicted,
            score=health.score if health and not status.error else None,
            reasons=tuple(health.issues) + tuple(health.warnings) if health else (),
            last_commit_at=status.last_commit.time if status.last_commit else None,
        )

    @classmethod
    def from_view(cls, view: RepoView, *, last_commit_at: datetime | None = None) -> RepoFacts:
        """The facts of a pane's RepoView (it carries no health reasons or commit time).

        Args:
            view: the view; one never read (``known`` False) is ``pending``: listed, but
                neither read nor errored.
            last_commit_at: the HEAD commit's time when the caller knows it.
        """
        pending = view.initialised and not view.known and view.error is None
        return cls(
            path=view.path,
            name=view.name,
            project=view.project,
            is_submodule=view.is_submodule,
            initialised=view.initialised,
            error=view.error,
            head=view.head,
            dirty=view.dirty,
            ahead=view.ahead,
            behind=view.behind,
            detached=view.detached,
            conflicted=view.conflicted,
            score=None if view.error or pending else view.health,
            last_commit_at=last_commit_at,
            pending=pending,
        )


def as_facts(repos: Iterable[RepoStatus | RepoView | RepoFacts]) -> list[RepoFacts]:
    """Normalise statuses, views or facts into facts (in order)."""
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.workspace_view import RepoView

    out: list[RepoFacts] = []
    for repo in repos:
        if isinstance(repo, RepoFacts):
            out.append(repo)
        elif isinstance(repo, RepoStatus):
            out.append(RepoFacts.from_status(repo))
        elif isinstance(repo, RepoView):
            out.append(RepoFacts.from_view(repo))
        else:
            raise TypeError(f"not a repo status or view: {type(repo).__name__}")
    return out


@dataclass(frozen=True, slots=True)
class Kpis:
    """The KPI cards.

    Attributes:
        repos: every listed repo (uninitialised submodules included).
        read: repos git read.
        uninitialised: listed submodules without a working tree.
        dirty: read repos with tracked changes or untracked entries.
        ahead: read repos ahead of their upstream.
        behind: read repos behind their upstream.
        detached: read repos on a detached HEAD.
        conflicted: read repos with unmerged entries.
        errored: repos git could not read.
        active_sessions: git sessions in state ``active`` (None: not known).
        average_health: mean score of read repos, one decimal (None: none scored).
    """

    repos: int
    read: int
    uninitialised: int
    dirty: int
    ahead: int
    behind: int
    detached: int
    conflicted: int
    errored: int
    active_sessions: int | None
    average_health: float | None


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
            "kpis": asdict(self.kpis),
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


# -- pure computations -----------------------------------------------------------------


def compute_kpis(repos: Sequence[RepoFacts], *, active_sessions: int | None = None) -> Kpis:
    """The KPI cards of ``repos`` (see the module docstring for each definition).

    Args:
        repos: every listed repo.
        active_sessions: the number of active git sessions, when known.

    Returns:
        The KPIs.
    """
    read = [r for r in repos if r.read]
    scored = [r.score for r in read if r.score is not None]
    return Kpis(
        repos=len(repos),
        read=len(read),
        uninitialised=sum(1 for r in repos if not r.initialised),
        dirty=sum(1 for r in read if r.dirty),
        ahead=sum(1 for r in read if r.ahead > 0),
        behind=sum(1 for r in read if r.behind > 0),
        detached=sum(1 for r in read if r.detached),
        conflicted=sum(1 for r in read if r.conflicted > 0),
        errored=sum(1 for r in repos if r.error is not None),
        active_sessions=active_sessions,
        average_health=round(sum(scored) / len(scored), 1) if scored else None,
    )


def compute_distribution(repos: Sequence[RepoFacts]) -> tuple[BandCount, ...]:
    """Read repos per health band (bands of core/git/health.py), best band first."""
    scored = [r.score for r in repos if r.read and r.score is not None]
    total = len(scored)
    out = []
    for name, low, high in BANDS:
        count = sum(1 for v in scored if low <= v <= high)
        out.append(
            BandCount(name, low, high, count, round(count / total * 100, 1) if total else 0.0)
        )
    return tuple(out)


def window_days(now: datetime, options: DashboardOptions) -> list[date]:
    """The calendar days of the window, oldest first, ending with ``now``'s day."""
    today = now.astimezone(options.tz).date()
    return [today - timedelta(days=offset) for offset in range(options.window_days - 1, -1, -1)]


def window_start(now: datetime, options: DashboardOptions) -> datetime:
    """The first instant of the window (midnight of its first day, in ``options.tz``)."""
    first = window_days(now, options)[0]
    return datetime(first.year, first.month, first.day, tzinfo=options.tz)


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
    repos: Sequence[RepoFacts], *, now: datetime, options: DashboardOptions
) -> tuple[StaleRepo, ...]:
    """Read repos whose HEAD commit is at least ``stale_days`` old, oldest first.

    Repos without a commit (unborn) or without a known commit time are not listed.
    """
    out = []
    for repo in repos:
        if not repo.read or repo.last_commit_at is None:
            continue
        days = (now - repo.last_commit_at).days
        if days >= options.stale_days:
            out.append(StaleRepo(repo.path, repo.name, repo.project, repo.last_commit_at, days))
    out.sort(key=lambda s: (-s.days, s.path))
    return tuple(out)


def compute_attention(
    repos: Sequence[RepoFacts], *, options: DashboardOptions
) -> tuple[AttentionItem, ...]:
    """Errored and conflicted repos and repos scoring below ``attention_below``.

    Returns:
        Worst first: errors (no score), then ascending score, then path.
    """
    out = []
    for repo in repos:
        if not repo.initialised:
            continue
        low = repo.score is not None and repo.score < options.attention_below
        if repo.error is None and not repo.conflicted and not low:
            continue
        reasons: list[str] = []
        if repo.error is not None:
            reasons.append(repo.error)
        if repo.conflicted:
            reasons.append(f"{repo.conflicted} conflicted entries")
        reasons.extend(repo.reasons)
        out.append(
            AttentionItem(
                path=repo.path,
                name=repo.name,
                project=repo.project,
                score=repo.score,
                band=band_of(repo.score) if repo.score is not None else None,
                state=repo.state,
                reasons=tuple(reasons),
            )
        )
    out.sort(key=lambda a: (-1 if a.score is None else a.score, a.path))
    return tuple(out)


def build_dashboard(
    repos: Iterable[RepoStatus | RepoView | RepoFacts],
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
        repos: statuses (or views, or facts) of every listed repo.
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
    facts = as_facts(repos)
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


# -- inputs: git history, snapshots, sessions ----------------------------------------------

_LOG_FORMAT = "--format=%H%x00%ct"


def _since_arg(since: datetime) -> str:
    return "--since=" + since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def parse_commit_log(data: bytes) -> CommitLog:
    """Parse ``git log -z --format=%H%x00%ct`` output into (sha, unix time) pairs."""
    parts = data.decode("ascii", errors="replace").split("\x00")
    out: list[tuple[str, int]] = []
    for index in range(0, len(parts) - 1, 2):
        sha = parts[index].strip()
        try:
            stamp = int(parts[index + 1].strip())
        except ValueError:
            continue
        if sha:
            out.append((sha, stamp))
    return tuple(out)


async def read_commit_log(
    runner: GitRunner, repo: Path | str, *, since: datetime, head: str | None = None
) -> CommitLog:
    """Commits of one repo since ``since``: reachable from HEAD, branches or remotes.

    Runs one hardened ``git log`` (no pager, hooks, fsmonitor or drivers: see
    :mod:`coditect_tui.core.git.runner`).

    Args:
        runner: the hardened runner.
        repo: the working tree.
        since: the window start (aware).
        head: the HEAD commit, when known (HEAD is walked only then, so an unborn
            branch is no error).

    Returns:
        (sha, committer unix time) pairs, newest first.

    Raises:
        GitError: git failed, could not start or timed out.
    """
    from coditect_tui.core.git.runner import GitError

    path = Path(repo)
    args = [
        "log",
        "-z",
        "--no-show-signature",
        _LOG_FORMAT,
        _since_arg(since),
        "--branches",
        "--remotes",
    ]
    if head:
        args.append("HEAD")
    args.append("--")
    result = await runner.run(path, args)
    if not result.ok:
        raise GitError(
            f"git log failed in {path}: {result.error_line()}",
            repo=path,
            returncode=result.returncode,
        )
    return parse_commit_log(result.stdout)


@dataclass
class CommitHistory:
    """Per-repo commit logs kept between dashboard refreshes.

    A repo is re-read when its HEAD or ahead/behind counts changed since the last read,
    when the window now starts earlier than the cached read, or after :meth:`invalidate`
    (call it for the paths a watcher reports: a branch other than HEAD may have moved).

    Attributes:
        problems: one line per repo whose history could not be read last time.
    """

    _cache: dict[str, tuple[tuple[Any, ...], datetime, CommitLog]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def invalidate(self, path: str | None = None) -> None:
        """Forget one repo's log (or every log when ``path`` is None)."""
        if path is None:
            self._cache.clear()
        else:
            self._cache.pop(path, None)

    async def refresh(
        self,
        runner: GitRunner,
        repos: Iterable[RepoStatus | RepoView | RepoFacts],
        *,
        since: datetime,
    ) -> dict[str, CommitLog]:
        """The logs of every readable repo, reading only those that changed.

        Args:
            runner: the hardened runner (bounds how many git processes run at once).
            repos: the repos.
            since: the window start.

        Returns:
            Commit log per repo path (repos whose log could not be read are left out and
            named in :attr:`problems`).
        """
        from coditect_tui.core.git.runner import GitError

        facts = [r for r in as_facts(repos) if r.read]
        wanted = {r.path for r in facts}
        for stale in set(self._cache) - wanted:
            del self._cache[stale]
        todo = []
        for repo in facts:
            key = (repo.head, repo.ahead, repo.behind)
            cached = self._cache.get(repo.path)
            if cached is None or cached[0] != key or cached[1] > since:
                todo.append(repo)

        async def one(repo: RepoFacts) -> None:
            try:
                log = await read_commit_log(runner, repo.path, since=since, head=repo.head)
            except GitError as exc:
                self._cache.pop(repo.path, None)
                self.problems[repo.path] = str(exc)
                return
            self.problems.pop(repo.path, None)
            self._cache[repo.path] = ((repo.head, repo.ahead, repo.behind), since, log)

        await runner.map(one, todo)
        return {path: entry[2] for path, entry in self._cache.items() if path in wanted}


async def read_snapshots(backend: Backend, *, since: datetime) -> list[StatusSnapshot]:
    """Every status snapshot taken since ``since`` (keyset pages of 1000).

    Raises:
        BackendError: as Backend.list_status.
    """
    out: list[StatusSnapshot] = []
    cursor: str | None = None
    while True:
        page = await backend.list_status(since=since, cursor=cursor, limit=_PAGE)
        out.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


async def count_active_sessions(backend: Backend) -> int:
    """How many of the tenant's git sessions are active.

    Raises:
        BackendError: as Backend.list_sessions.
    """
    active = 0
    cursor: str | None = None
    while True:
        page = await backend.list_sessions(cursor=cursor, limit=_PAGE)
        active += sum(1 for s in page.items if s.state == "active")
        cursor = page.next_cursor
        if cursor is None:
            return active


async def load_dashboard(
    repos: Iterable[RepoStatus | RepoView | RepoFacts],
    *,
    backend: Backend | None = None,
    runner: GitRunner | None = None,
    history: CommitHistory | None = None,
    options: DashboardOptions | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """Gather git history, snapshots and sessions, then :func:`build_dashboard`.

    Backend and git problems never raise: the figure stays empty and a line is added to
    ``Dashboard.notes`` (e.g. a role without ``sessions.read``).

    Args:
        repos: statuses (or views) of every listed repo.
        backend: the tenant's backend (None: no snapshots, sessions unknown).
        runner: runs ``git log`` (None: no git history; snapshots only).
        history: a cache kept between calls (default: a fresh one).
        options: window, stale threshold, attention threshold, time zone.
        now: the reference time (default: now).

    Returns:
        The dashboard.
    """
    from coditect_tui.core.errors import CoditectError
    from coditect_tui.core.safe_text import safe_text

    options = options or DashboardOptions()
    now = now or datetime.now(UTC)
    facts = as_facts(repos)
    since = window_start(now, options)
    notes: list[str] = []
    snapshots: list[StatusSnapshot] = []
    active: int | None = None
    logs: dict[str, CommitLog] = {}

    async def from_backend() -> None:
        nonlocal snapshots, active
        if backend is None:
            return
        try:
            snapshots = await read_snapshots(backend, since=since)
        except CoditectError as exc:
            notes.append(f"status snapshots not read: {safe_text(exc)}")
        try:
            active = await count_active_sessions(backend)
        except CoditectError as exc:
            notes.append(f"sessions not read: {safe_text(exc)}")

    async def from_git() -> None:
        nonlocal logs
        if runner is None:
            return
        cache = history if history is not None else CommitHistory()
        logs = await cache.refresh(runner, facts, since=since)
        if cache.problems:
            notes.append(f"git history not read for {len(cache.problems)} repo(s)")

    await asyncio.gather(from_backend(), from_git())
    return build_dashboard(
        facts,
        history=logs,
        snapshots=snapshots,
        active_sessions=active,
        now=now,
        options=options,
        notes=notes,
    )
