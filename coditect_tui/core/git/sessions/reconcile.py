"""Stored sessions checked against their repos: one ended outside (by the helper, by
hand), or whose repo or branch is gone, is no longer counted as active.

Only this machine's file system is read (no git process): a stored session is *stale*
when, at its repo's recorded path,

* ``repo-missing``: the folder (or its ``.git``) is gone while its parent folder is
  there; a path whose parent is missing too is not on this machine (a shared remote
  tenant holds other machines' paths) and tells nothing;
* ``external``: the working tree has no ``.coditect-session.json``, or one naming another
  session (the session was ended, or replaced, outside this tool);
* ``branch-missing``: the session branch no longer exists (loose or packed refs).

A stale session is ended in the store (``state`` ended, ``ended_at``, ``summary.ended_by``
= the reason) with a ``sessions.reconcile`` audit event, but only where the principal
may write: never on a read-only backend or role (an auditor's read writes nothing), and
only for the principal's own sessions (others' are left to their owner). Where it is not
written it is still not counted. The check runs in the client because only the client
sees the repos; both backends store the result through the same contract.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.git import layout
from coditect_tui.core.git.sessions.errors import SessionFileError
from coditect_tui.core.git.sessions.state import read_session
from coditect_tui.core.git.status.main_branch import branch_exists

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import GitSession

#: Page size of the session and repo listings.
_PAGE = 1000


def stale_reason(repo_path: str, session_key: str, branch: str) -> str | None:
    """Why a stored active session is no longer active in its repo, if it is not.

    Args:
        repo_path: the repo's recorded working tree.
        session_key: the session's ``session_id``.
        branch: the session branch.

    Returns:
        ``repo-missing``, ``external`` or ``branch-missing``; None when the session is
        still there or nothing can be told from this machine.
    """
    path = Path(repo_path)
    if not path.is_absolute():
        return None
    git_dir = layout.git_dir_of(path) if path.is_dir() else None
    if git_dir is None:
        return "repo-missing" if path.parent.is_dir() else None
    try:
        state = read_session(path)
    except SessionFileError:
        return None  # unreadable: not ours to judge
    if state is None or state.session_id != session_key:
        return "external"
    common = layout.common_dir_of(git_dir)
    if not os.path.isdir(common / "reftable") and not branch_exists(common, branch):
        return "branch-missing"
    return None


@dataclass(slots=True)
class Reconciled:
    """What :func:`reconcile_sessions` found.

    Attributes:
        active: stored active sessions still active (or that cannot be checked here).
        stale: (session, reason) of those that are not.
        ended: ids of the stale sessions ended in the store by this call.
    """

    active: list[GitSession] = field(default_factory=list)
    stale: list[tuple[GitSession, str]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)


async def _active_sessions(backend: Backend) -> list[GitSession]:
    out: list[GitSession] = []
    cursor: str | None = None
    while True:
        page = await backend.list_sessions(cursor=cursor, limit=_PAGE)
        out.extend(s for s in page.items if s.state == "active")
        cursor = page.next_cursor
        if cursor is None:
            return out


async def _repo_paths(backend: Backend) -> dict[str, str]:
    out: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = await backend.list_repos(cursor=cursor, limit=_PAGE)
        out.update((r.id, r.path) for r in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return out


async def reconcile_sessions(
    backend: Backend, *, write: bool = True, now: datetime | None = None
) -> Reconciled:
    """Check every stored active session against its repo (see the module docstring).

    Args:
        backend: the tenant's backend.
        write: end stale sessions in the store where the principal may (False: only
            tell them apart).
        now: the end time recorded (default: now, UTC).

    Returns:
        Active and stale sessions, and which stale ones this call ended.

    Raises:
        BackendError: listing sessions or repos failed (a refused write is skipped).
    """
    from coditect_tui.core.models import Action, GitSessionUpdate, Resource

    result = Reconciled()
    active = await _active_sessions(backend)
    if not active:
        return result
    paths = await _repo_paths(backend)

    def check() -> list[str | None]:
        return [
            stale_reason(paths[s.repo_id], s.session_key, s.branch) if s.repo_id in paths else None
            for s in active
        ]

    reasons = await asyncio.to_thread(check)
    me = await backend.whoami()
    may_write = write and not me.read_only
    for session, reason in zip(active, reasons, strict=True):
        if reason is None:
            result.active.append(session)
            continue
        result.stale.append((session, reason))
        if not may_write or session.created_by != me.name:
            continue
        try:
            await backend.update_session(
                session.id,
                GitSessionUpdate(
                    state="ended",
                    ended_at=now or datetime.now(UTC),
                    summary={**session.summary, "ended_by": reason},
                ),
            )
            await backend.record_event(
                Resource.SESSIONS,
                Action.UPDATE,
                "sessions.reconcile",
                session.id,
                details={
                    "repo": paths.get(session.repo_id),
                    "branch": session.branch,
                    "session_key": session.session_key,
                    "ended_by": reason,
                },
            )
        except CoditectError:
            continue  # refused (role, tier) or gone meanwhile: still not counted
        result.ended.append(session.id)
    return result
