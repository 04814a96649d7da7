"""What the open tenant holds against its tier's quotas (the admin pane's usage).

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import reads
from coditect_tui.core.models import Usage


class UsageApi(ABC):
    """The tenant's usage."""

    @reads
    @abstractmethod
    async def usage(self) -> Usage:
        """Counts of what the tenant holds, with the tier's quotas.

        An administrator's view: needs members.update (owners and admins), but is a read
        (a read-only owner sees it). A refusal is audited as ``members.usage``.

        Returns:
            Projects and members (with their quotas), repos, git sessions, memory
            documents and their bytes, audit events.

        Raises:
            PermissionDenied: not an owner or admin (audited as denied).
        """
