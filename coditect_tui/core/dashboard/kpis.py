"""The KPI cards: one model for the team dashboard, the advisor's view and exports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from coditect_tui.core.dashboard.repos import health_score

if TYPE_CHECKING:
    from coditect_tui.core.git.status import RepoStatus


class Kpis(BaseModel):
    """The KPI cards: counts and an average only, never a name.

    The one KPI model: the team dashboard, the advisor's aggregate view and every export
    use it. Strict (no coercion) and closed (no extra fields), so it cannot carry text.

    Attributes:
        repos: every listed repo (uninitialised submodules included).
        read: repos git read.
        uninitialised: listed submodules without a working tree.
        dirty: read repos that are dirty (``RepoStatus.dirty``: git status lists a
            tracked change, conflicts included, or an untracked entry).
        ahead: read repos ahead of their upstream.
        behind: read repos behind their upstream.
        detached: read repos on a detached HEAD.
        conflicted: read repos with unmerged entries.
        errored: repos git could not read.
        active_sessions: git sessions in state ``active`` (None: not known).
        average_health: mean score of read repos, one decimal (None: none scored).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
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


def compute_kpis(repos: Sequence[RepoStatus], *, active_sessions: int | None = None) -> Kpis:
    """The KPI cards of ``repos`` (see the module docstring for each definition).

    Args:
        repos: every listed repo.
        active_sessions: the number of active git sessions, when known.

    Returns:
        The KPIs.
    """
    read = [r for r in repos if r.read]
    scored = [v for v in map(health_score, read) if v is not None]
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
