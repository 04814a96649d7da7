"""What the dashboard reads of a repo's :class:`RepoStatus` beyond its fields."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.git.status import RepoStatus


def health_score(status: RepoStatus) -> int | None:
    """The repo's health score; None when git could not read it."""
    return status.health.score if status.health is not None and status.read else None


def health_reasons(status: RepoStatus) -> tuple[str, ...]:
    """The repo's health issues then warnings (untrusted: they quote branch names)."""
    health = status.health
    return (*health.issues, *health.warnings) if health is not None else ()


def last_commit_at(status: RepoStatus) -> datetime | None:
    """The HEAD commit's committer time (None without a commit or when unknown)."""
    return status.last_commit.time if status.last_commit is not None else None
