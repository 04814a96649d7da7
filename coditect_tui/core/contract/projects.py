"""Projects and their repos.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    Page,
    Project,
    ProjectSpec,
    Repo,
    RepoSpec,
)


class ProjectsApi(ABC):
    """Projects and their repos."""

    @reads
    @abstractmethod
    async def list_projects(self, *, cursor: str | None = None, limit: int = 100) -> Page[Project]:
        """Projects ordered by name. Needs projects.read."""

    @reads
    @abstractmethod
    async def get_project(self, project_id: str) -> Project:
        """One project. Needs projects.read.

        Raises:
            NotFound: no such project in this tenant.
        """

    @mutates
    @abstractmethod
    async def upsert_project(self, spec: ProjectSpec) -> Project:
        """Register a project, or update the one with the same name (idempotent).

        Needs projects.create for a new name, projects.update for an existing one.

        Raises:
            QuotaExceeded: a new project beyond the tier's quota.
        """

    @mutates
    @abstractmethod
    async def delete_project(self, project_id: str) -> None:
        """Delete a project with its repos, sessions and memory links. Needs projects.delete.

        Raises:
            NotFound: no such project in this tenant.
        """

    @reads
    @abstractmethod
    async def list_repos(
        self, *, project_id: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Repo]:
        """Repos ordered by (project, path); optionally of one project. Needs repos.read."""

    @reads
    @abstractmethod
    async def get_repo(self, repo_id: str) -> Repo:
        """One repo. Needs repos.read.

        Raises:
            NotFound: no such repo in this tenant.
        """

    @mutates
    @abstractmethod
    async def upsert_repo(self, spec: RepoSpec) -> Repo:
        """Register a repo, or update the one with the same (project, path) (idempotent).

        Needs repos.create for a new one, repos.update for an existing one.

        Raises:
            NotFound: the project or parent repo is not in this tenant.
        """

    @mutates
    @abstractmethod
    async def delete_repo(self, repo_id: str) -> None:
        """Delete a repo, its submodule records and its sessions. Needs repos.delete.

        Raises:
            NotFound: no such repo in this tenant.
        """
