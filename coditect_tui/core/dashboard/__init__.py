"""Dashboard figures of one tenant: KPIs, health distribution, activity, stale repos, attention.

UI-free and cheap to recompute: :func:`build_dashboard` is a pure function of the repos'
statuses, their commit history, the backend's status snapshots and the active-session
count, so a pane can rebuild it on every watcher event. :func:`load_dashboard` gathers
those inputs (git history through the hardened :class:`GitRunner`, snapshots and sessions
through the Backend) and calls it. :class:`CommitHistory` keeps the per-repo history
between calls and re-reads only repos whose refs moved.

How every figure is computed is in docs/dashboard.md; in short:

* **repos** counts every listed repo (uninitialised submodules included, as
  ``coditect status`` does); **dirty** (``RepoStatus.dirty``: git status lists any entry,
  conflicts and untracked ones included), **ahead**, **behind**, **detached**,
  **conflicted** count repos git could read; **errored** counts repos git could not read; **average
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

The package, one job per module:

* ``options``: :class:`DashboardOptions` and the window's days;
* ``repos``: what the dashboard reads of a :class:`RepoStatus` (score, reasons, commit time);
* ``kpis``: :class:`Kpis`, the one KPI model, and :func:`compute_kpis`;
* ``model``: the other figures and :class:`Dashboard`;
* ``compute``: the pure computations and :func:`build_dashboard`;
* ``history``: commit logs through the hardened runner, cached in :class:`CommitHistory`;
* ``load``: snapshots and sessions from the backend, and :func:`load_dashboard`.
"""

from __future__ import annotations

from coditect_tui.core.dashboard.compute import (
    build_dashboard,
    compute_attention,
    compute_commits,
    compute_distribution,
    compute_stale,
    compute_trend,
)
from coditect_tui.core.dashboard.history import CommitHistory, parse_commit_log, read_commit_log
from coditect_tui.core.dashboard.kpis import Kpis, compute_kpis
from coditect_tui.core.dashboard.load import count_active_sessions, load_dashboard, read_snapshots
from coditect_tui.core.dashboard.model import (
    AttentionItem,
    BandCount,
    CommitDay,
    CommitLog,
    Dashboard,
    StaleRepo,
    TrendPoint,
)
from coditect_tui.core.dashboard.options import (
    DEFAULT_ATTENTION_BELOW,
    DEFAULT_STALE_DAYS,
    DEFAULT_WINDOW_DAYS,
    DashboardOptions,
    window_days,
    window_start,
)
from coditect_tui.core.dashboard.repos import health_reasons, health_score, last_commit_at

__all__ = [
    "DEFAULT_ATTENTION_BELOW",
    "DEFAULT_STALE_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "AttentionItem",
    "BandCount",
    "CommitDay",
    "CommitHistory",
    "CommitLog",
    "Dashboard",
    "DashboardOptions",
    "Kpis",
    "StaleRepo",
    "TrendPoint",
    "build_dashboard",
    "compute_attention",
    "compute_commits",
    "compute_distribution",
    "compute_kpis",
    "compute_stale",
    "compute_trend",
    "count_active_sessions",
    "health_reasons",
    "health_score",
    "last_commit_at",
    "load_dashboard",
    "parse_commit_log",
    "read_commit_log",
    "read_snapshots",
    "window_days",
    "window_start",
]
