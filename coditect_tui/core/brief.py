""" "Since you were last here": what changed in a tenant since this principal last left it.

The last-seen state is kept locally (``$XDG_STATE_HOME/coditect/seen-<tenant>-<principal>
.json``): leaving a tenant must not need a write to its backend, so it works for read-only
auditors too. The comparison uses the backend for sessions, memory and audit, and the
workspace view (HEADs, dirty and behind flags) for repos.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import BackendError
from coditect_tui.core.models import AuditFilter, format_ts, utcnow
from coditect_tui.core.paths import state_dir, write_private_file
from coditect_tui.core.wording import plural
from coditect_tui.core.workspace_view import WorkspaceView

_PAGE = 1000


@dataclass
class SeenState:
    """What the principal saw when they last left the tenant."""

    seen_at: datetime
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Brief:
    """The changes since the last visit, one line each (empty when nothing changed)."""

    first_visit: bool
    since: datetime | None
    lines: list[str] = field(default_factory=list)
    moved: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _state_file(tenant: str, principal: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{tenant}-{principal}")
    return state_dir() / f"seen-{safe}.json"


def snapshot(view: WorkspaceView) -> dict[str, dict[str, Any]]:
    """The per-repo facts the next brief compares against."""
    return {
        r.path: {"name": r.name, "head": s.head_oid, "dirty": s.dirty, "behind": s.behind}
        for r in view.repos()
        if (s := r.status) is not None
    }


def save_seen(tenant: str, principal: str, view: WorkspaceView) -> None:
    """Remember now and the repos' state (ignored when the state dir is unwritable)."""
    path = _state_file(tenant, principal)
    data = orjson.dumps({"seen_at": format_ts(utcnow()), "repos": snapshot(view)})
    with contextlib.suppress(OSError):
        write_private_file(path, data, durable=False)


def load_seen(tenant: str, principal: str) -> SeenState | None:
    """The state saved when the principal last left the tenant, if any."""
    try:
        raw = orjson.loads(_state_file(tenant, principal).read_bytes())
        return SeenState(
            seen_at=datetime.fromisoformat(raw["seen_at"].replace("Z", "+00:00")),
            repos=dict(raw.get("repos", {})),
        )
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None


async def _count_since(
    backend: Backend, since: datetime, may_read: Callable[[str], bool]
) -> dict[str, int | str]:
    # What the role may not read is not asked (the backend would record each refusal):
    # sessions and memory are then left out, the audit log says so.
    counts: dict[str, int | str] = {"sessions": 0, "memory": 0}
    if may_read("SESSIONS"):
        counts["sessions"] = await _newer(backend.list_sessions(limit=_PAGE), "started_at", since)
    if may_read("MEMORY"):
        entries = backend.list_memory_entries(limit=_PAGE)
        counts["memory"] = await _newer(entries, "indexed_at", since)
    if not may_read("AUDIT"):
        counts["audit"] = "not visible to your role"
    else:
        try:
            events = await backend.query_audit(AuditFilter(since=since), limit=_PAGE)
            counts["audit"] = len(events.items) if events.next_cursor is None else f"{_PAGE}+"
        except BackendError:
            counts["audit"] = "not visible to your role"
    return counts


async def _newer(page: Awaitable[Any], stamp: str, since: datetime) -> int | str:
    """How many items of ``page`` have ``stamp`` at or after ``since`` ("?" on an error)."""
    try:
        items = (await page).items
    except BackendError:
        return "?"
    return sum(getattr(item, stamp) >= since for item in items)


def _names(paths: list[str], seen: dict[str, dict[str, Any]], view: WorkspaceView) -> str:
    names = []
    for path in paths[:5]:
        repo = view.repo(path)
        names.append(repo.name if repo else str(seen.get(path, {}).get("name", path)))
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return ", ".join(names) + more


async def compute_brief(
    backend: Backend,
    view: WorkspaceView,
    seen: SeenState | None,
    may_read: Callable[[str], bool] = lambda resource: True,
) -> Brief:
    """Compare the tenant now with the principal's last visit.

    Args:
        backend: the tenant's backend (sessions, memory and audit counts).
        view: the workspace with fresh statuses.
        seen: the saved state (None on a first visit).
        may_read: whether the principal may read a resource (a name of ``Resource``);
            what it may not is not asked.

    Returns:
        The brief; ``moved`` maps repo path -> (old HEAD, new HEAD) so a caller with the
        git engine can count the new commits. Its lines name only what changed (none
        when nothing did).
    """
    if seen is None:
        repos = [r for r in view.repos() if r.initialised]
        return Brief(
            first_visit=True,
            since=None,
            lines=[
                f"First visit: {plural(len(view.projects), 'project')}, "
                f"{plural(len(repos), 'repo')}."
            ],
        )
    brief = Brief(first_visit=False, since=seen.seen_at)
    now = {r.path: r.status for r in view.repos() if r.status is not None}
    moved = {
        path: (old["head"], now[path].head_oid)
        for path, old in seen.repos.items()
        if path in now
        and old.get("head")
        and now[path].head_oid
        and old["head"] != now[path].head_oid
    }
    brief.moved = moved
    turned_dirty = [
        p for p, r in now.items() if r.dirty and not seen.repos.get(p, {}).get("dirty", r.dirty)
    ]
    turned_behind = [
        p for p, r in now.items() if r.behind and not seen.repos.get(p, {}).get("behind", r.behind)
    ]
    added = [p for p in now if p not in seen.repos]
    if moved:
        names = _names(list(moved), seen.repos, view)
        brief.lines.append(f"New commits in {plural(len(moved), 'repo')}: {names}")
    if turned_dirty:
        brief.lines.append(f"Turned dirty: {_names(turned_dirty, seen.repos, view)}")
    if turned_behind:
        brief.lines.append(f"Fell behind upstream: {_names(turned_behind, seen.repos, view)}")
    if added:
        brief.lines.append(f"New repos: {_names(added, seen.repos, view)}")
    counts = await _count_since(backend, seen.seen_at, may_read)
    for key, label in (
        ("sessions", "New git sessions"),
        ("memory", "New memory entries"),
        ("audit", "New audit events"),
    ):
        if counts[key]:  # a zero is no news: a brief of zeros would read as one
            brief.lines.append(f"{label}: {counts[key]}")
    return brief
