"""Gathering the inputs (git history, snapshots, sessions), then building the dashboard."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coditect_tui.core.dashboard.compute import build_dashboard
from coditect_tui.core.dashboard.history import CommitHistory
from coditect_tui.core.dashboard.model import CommitLog, Dashboard
from coditect_tui.core.dashboard.options import DashboardOptions, window_start
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus
    from coditect_tui.core.models import StatusSnapshot


#: Page size used when reading snapshots and sessions from a backend.
_PAGE = 1000


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


async def count_active_sessions(backend: Backend, *, write: bool = True) -> int:
    """How many of the tenant's git sessions are active, checked against their repos.

    A stored session ended outside this tool, or whose repo or branch is gone, is not
    counted, and is ended in the store where the principal may write
    (:func:`coditect_tui.core.git.sessions.reconcile.reconcile_sessions`).

    Args:
        backend: the tenant's backend.
        write: end stale sessions where allowed (False: only leave them uncounted).

    Raises:
        BackendError: as Backend.list_sessions and Backend.list_repos.
    """
    from coditect_tui.core.git.sessions.reconcile import reconcile_sessions

    return len((await reconcile_sessions(backend, write=write)).active)


async def load_dashboard(
    repos: Iterable[RepoStatus],
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
        repos: the status of every listed repo.
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
    facts = list(repos)
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
            notes.append(f"git history not read for {plural(len(cache.problems), 'repo')}")

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
