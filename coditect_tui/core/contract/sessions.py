"""Git sessions (work on a repo, recorded).

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    GitSession,
    GitSessionSpec,
    GitSessionUpdate,
    Page,
)


class SessionsApi(ABC):
    """Git sessions (work on a repo, recorded)."""

    @mutates
    @abstractmethod
    async def create_session(self, spec: GitSessionSpec) -> GitSession:
        """Record a started git session. Needs sessions.create.

        Raises:
            NotFound: the repo is not in this tenant.
            Conflict: a session with the same key already exists for the repo.
        """

    @mutates
    @abstractmethod
    async def update_session(self, session_id: str, update: GitSessionUpdate) -> GitSession:
        """Change a session's counters or end it. Needs sessions.update (own or tenant).

        Raises:
            NotFound: no such session in this tenant.
        """

    @reads
    @abstractmethod
    async def get_session(self, session_id: str) -> GitSession:
        """One session. Needs sessions.read.

        Raises:
            NotFound: no such session in this tenant.
        """

    @reads
    @abstractmethod
    async def list_sessions(
        self,
        *,
        project_id: str | None = None,
        repo_id: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[GitSession]:
        """Sessions, newest start first. Needs sessions.read."""

    @mutates
    @abstractmethod
    async def delete_session(self, session_id: str) -> None:
        """Delete a session record. Needs sessions.delete (own or tenant).

        Raises:
            NotFound: no such session in this tenant.
        """
