"""What a tenant session tells its subscribers (the app relays them as Textual messages).

Every event is immutable and carries only what changed; subscribers read the rest from the
session. Text fields are raw (untrusted): whoever shows them goes through ``safe_text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from coditect_tui.core.models import Principal
    from coditect_tui.core.workspace_view import RepoView, WorkspaceView


@dataclass(frozen=True, slots=True)
class TreeDiscovered:
    """The workspace was discovered; repo glyphs are the cached ones until StatusesLive."""

    view: WorkspaceView


@dataclass(frozen=True, slots=True)
class StatusesLive:
    """Every repo's status has been read from git (the view is no longer cached)."""

    view: WorkspaceView


@dataclass(frozen=True, slots=True)
class RepoStatusChanged:
    """The watcher (or an action) re-read one repo and its state changed (the new state
    is ``repo.status``)."""

    repo: RepoView


@dataclass(frozen=True, slots=True)
class BackendOpened:
    """The tenant's backend answered: who we are, and whether we may write."""

    principal: Principal
    read_only: bool


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The backend's reachability changed (``detail`` says why when it is not ok)."""

    state: Literal["opening", "ok", "offline", "unavailable"]
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ReposRegistered:
    """Repo and project ids are known (registration, or lookup when read-only)."""


@dataclass(frozen=True, slots=True)
class MemoryChanged:
    """The memory index changed (files indexed, a note written, a teammate's write)."""


@dataclass(frozen=True, slots=True)
class MemoryIndexing:
    """The memory indexer's progress: ``done`` of the ``total`` changed files are
    indexed (the last event of a run has ``done == total``; MemoryChanged follows)."""

    done: int
    total: int


@dataclass(frozen=True, slots=True)
class AuditAppended:
    """New audit events exist (an action of ours, or a teammate's on a live server)."""

    resource: str | None = None


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    """No workspace roots: the session runs on the built-in demo workspace at ``root``."""

    root: Path
    fresh: bool


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the user should read (one line; ``message`` is raw text)."""

    message: str
    severity: Literal["information", "warning", "error"] = "information"
    title: str = ""
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class TenantLifecycle:
    """The tenant is not active: ``suspended`` or ``archived`` (the backend refuses all
    but its owners' data export, so the session does not use it) or ``offboarded``
    (read-only)."""

    state: str


SessionEvent = (
    TreeDiscovered
    | StatusesLive
    | RepoStatusChanged
    | BackendOpened
    | ConnectionChanged
    | ReposRegistered
    | MemoryChanged
    | MemoryIndexing
    | AuditAppended
    | DemoWorkspace
    | TenantLifecycle
    | Notice
)
