"""Status snapshots (trend history of status runs).

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    Page,
    StatusSnapshot,
    StatusSnapshotSpec,
)


class StatusApi(ABC):
    """Status snapshots (trend history of status runs)."""

    @mutates
    @abstractmethod
    async def record_status(self, spec: StatusSnapshotSpec) -> StatusSnapshot:
        """Record a status run (trend history). Needs status.create."""

    @reads
    @abstractmethod
    async def list_status(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[StatusSnapshot]:
        """Snapshots, newest first, ``since`` inclusive, ``until`` exclusive. Needs status.read."""

    @mutates
    @abstractmethod
    async def prune_status(self, before: datetime) -> int:
        """Delete snapshots taken before ``before``. Needs status.delete.

        Returns:
            How many were deleted.
        """
