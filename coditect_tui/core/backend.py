"""The Backend contract: the one async interface every storage implementation honours.

A backend instance is opened for **one principal in one tenant**. No method takes a
tenant id: nothing a caller passes can reach another tenant's rows. Every method
authorizes through :class:`coditect_tui.core.policy.Policy` before it touches data, and
every change is written to the tenant's audit chain in the same transaction.

Lists are keyset-paginated: pass ``cursor=None`` for the first page and the returned
``Page.next_cursor`` for the next; cursors are opaque text, valid for the same list and
filter only. ``limit`` is clamped to 1..1000.

Errors (coditect_tui.core.errors), common to every method:
    PermissionDenied: the role does not allow it (see config/roles.yaml).
    ReadOnly: the backend is open read-only and the method changes something.
    BackendUnavailable: the storage cannot be reached.
    InvalidInput: a malformed argument (cursor, query, field value).
Only the additional errors are listed per method.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from coditect_tui.core.models import (
    Action,
    ApiKeyInfo,
    AuditEvent,
    AuditEventSpec,
    AuditFilter,
    AuditHead,
    GitSession,
    GitSessionSpec,
    GitSessionUpdate,
    Member,
    MemoryEntry,
    MemoryEntrySpec,
    MemoryFilter,
    NewApiKey,
    Outcome,
    Page,
    Principal,
    Project,
    ProjectSpec,
    Repo,
    RepoSpec,
    Resource,
    SearchHit,
    StatusSnapshot,
    StatusSnapshotSpec,
    Tenant,
    VerifyReport,
)

#: Called with (rows checked, rows in total) while a chain is verified.
ProgressCallback = Callable[[int, int], None]


class Backend(ABC):
    """Storage for one principal in one tenant. See the module docstring for the rules."""

    #: Short name for the header ("local", "remote").
    kind: str = "backend"

    # -- lifecycle --------------------------------------------------------------------

    @abstractmethod
    async def close(self) -> None:
        """Release connections. The instance is unusable afterwards. Never raises."""

    async def __aenter__(self) -> Backend:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- tenants and principals --------------------------------------------------------

    @abstractmethod
    async def whoami(self) -> Principal:
        """Who this backend acts as.

        Returns:
            The principal's name, role in the open tenant, the tenant's name and whether
            the backend is read-only. Needs no permission.
        """

    @abstractmethod
    async def get_tenant(self) -> Tenant:
        """The open tenant. Needs no permission."""

    @abstractmethod
    async def list_tenants(self) -> list[Tenant]:
        """Every tenant in which this principal holds a membership (for portfolios).

        Returns:
            Tenants ordered by name; the open tenant is always among them.
        """

    # -- members and API keys ----------------------------------------------------------

    @abstractmethod
    async def list_members(self) -> list[Member]:
        """Members of the open tenant, ordered by name. Needs members.read."""

    @abstractmethod
    async def add_member(self, name: str, role: str) -> Member:
        """Add a principal to the open tenant.

        Needs members.create, and members.admin for the roles owner and admin.

        Raises:
            Conflict: already a member.
            QuotaExceeded: the tier's member quota is reached.
            InvalidInput: unknown role.
        """

    @abstractmethod
    async def set_member_role(self, name: str, role: str) -> Member:
        """Change a member's role.

        Needs members.update, and members.admin when the old or new role is owner or
        admin.

        Raises:
            NotFound: not a member.
            InvalidInput: unknown role.
            Conflict: it would leave the tenant without an owner.
        """

    @abstractmethod
    async def remove_member(self, name: str) -> None:
        """Remove a member (and revoke their keys in this tenant).

        Needs members.delete, and members.admin for an owner or admin.

        Raises:
            NotFound: not a member.
            Conflict: it would leave the tenant without an owner.
        """

    @abstractmethod
    async def create_api_key(
        self,
        *,
        principal: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewApiKey:
        """Create an API key bound to a principal, this tenant and a role.

        Args:
            principal: the key's principal (default: the caller). Another principal needs
                api_keys.admin.
            role: the key's role (default: the principal's role); never above the
                principal's own role.
            expires_at: expiry; required for the auditor role.

        Returns:
            The key's listing and its secret, shown once; only a sha256 is stored.

        Raises:
            NotFound: the principal is not a member.
            InvalidInput: unknown role, a role above the principal's, an expiry in the
                past, or an auditor key without expiry.
        """

    @abstractmethod
    async def list_api_keys(self) -> list[ApiKeyInfo]:
        """Keys of the tenant (only the caller's own with an ``own`` scope), newest first."""

    @abstractmethod
    async def revoke_api_key(self, key_id: str) -> ApiKeyInfo:
        """Revoke a key (needs api_keys.delete; own keys only with an ``own`` scope).

        Raises:
            NotFound: no such key in this tenant.
        """

    # -- projects and repos -------------------------------------------------------------

    @abstractmethod
    async def list_projects(self, *, cursor: str | None = None, limit: int = 100) -> Page[Project]:
        """Projects ordered by name. Needs projects.read."""

    @abstractmethod
    async def get_project(self, project_id: str) -> Project:
        """One project. Needs projects.read.

        Raises:
            NotFound: no such project in this tenant.
        """

    @abstractmethod
    async def upsert_project(self, spec: ProjectSpec) -> Project:
        """Register a project, or update the one with the same name (idempotent).

        Needs projects.create for a new name, projects.update for an existing one.

        Raises:
            QuotaExceeded: a new project beyond the tier's quota.
        """

    @abstractmethod
    async def delete_project(self, project_id: str) -> None:
        """Delete a project with its repos, sessions and memory links. Needs projects.delete.

        Raises:
            NotFound: no such project in this tenant.
        """

    @abstractmethod
    async def list_repos(
        self, *, project_id: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Repo]:
        """Repos ordered by (project, path); optionally of one project. Needs repos.read."""

    @abstractmethod
    async def get_repo(self, repo_id: str) -> Repo:
        """One repo. Needs repos.read.

        Raises:
            NotFound: no such repo in this tenant.
        """

    @abstractmethod
    async def upsert_repo(self, spec: RepoSpec) -> Repo:
        """Register a repo, or update the one with the same (project, path) (idempotent).

        Needs repos.create for a new one, repos.update for an existing one.

        Raises:
            NotFound: the project or parent repo is not in this tenant.
        """

    @abstractmethod
    async def delete_repo(self, repo_id: str) -> None:
        """Delete a repo, its submodule records and its sessions. Needs repos.delete.

        Raises:
            NotFound: no such repo in this tenant.
        """

    # -- git sessions -------------------------------------------------------------------

    @abstractmethod
    async def create_session(self, spec: GitSessionSpec) -> GitSession:
        """Record a started git session. Needs sessions.create.

        Raises:
            NotFound: the repo is not in this tenant.
            Conflict: a session with the same key already exists for the repo.
        """

    @abstractmethod
    async def update_session(self, session_id: str, update: GitSessionUpdate) -> GitSession:
        """Change a session's counters or end it. Needs sessions.update (own or tenant).

        Raises:
            NotFound: no such session in this tenant.
        """

    @abstractmethod
    async def get_session(self, session_id: str) -> GitSession:
        """One session. Needs sessions.read.

        Raises:
            NotFound: no such session in this tenant.
        """

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

    @abstractmethod
    async def delete_session(self, session_id: str) -> None:
        """Delete a session record. Needs sessions.delete (own or tenant).

        Raises:
            NotFound: no such session in this tenant.
        """

    # -- memory -------------------------------------------------------------------------

    @abstractmethod
    async def upsert_memory_entry(self, spec: MemoryEntrySpec) -> MemoryEntry:
        """Index an entry, or replace the one with the same path (idempotent).

        Needs memory.create for a new path, memory.update for an existing one.

        Raises:
            NotFound: the project is not in this tenant.
        """

    @abstractmethod
    async def upsert_memory_entries(self, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        """``upsert_memory_entry`` for many entries in one transaction (all or nothing).

        Returns:
            The entries, in the order of ``specs``.

        Raises:
            PermissionDenied: one entry may not be created or updated (nothing is written).
            NotFound: a project is not in this tenant (nothing is written).
        """

    @abstractmethod
    async def get_memory_entry(self, entry_id: str) -> MemoryEntry:
        """One entry. Needs memory.read.

        Raises:
            NotFound: no such entry in this tenant.
        """

    @abstractmethod
    async def get_memory_body(self, entry_id: str) -> str:
        """The indexed text of an entry. Needs memory.read.

        Raises:
            NotFound: no such entry in this tenant.
        """

    @abstractmethod
    async def list_memory_entries(
        self, filter: MemoryFilter | None = None, *, cursor: str | None = None, limit: int = 100
    ) -> Page[MemoryEntry]:
        """Entries, newest timestamp first (undated last). Needs memory.read."""

    @abstractmethod
    async def search_memory(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> list[SearchHit]:
        """Full-text search, best match first. Needs memory.read.

        Args:
            query: words (all must match), ``"a phrase"``, ``prefix*``, ``OR``, ``NOT``.

        Raises:
            InvalidInput: the query is not valid syntax (the message says why).
        """

    @abstractmethod
    async def delete_memory_entry(self, entry_id: str) -> None:
        """Drop an entry from the index. Needs memory.delete (own or tenant).

        Raises:
            NotFound: no such entry in this tenant.
        """

    @abstractmethod
    def export_memory(self, filter: MemoryFilter | None = None) -> AsyncIterator[MemoryEntry]:
        """Every matching entry, newest first, streamed. Needs memory.export."""

    # -- status snapshots ---------------------------------------------------------------

    @abstractmethod
    async def record_status(self, spec: StatusSnapshotSpec) -> StatusSnapshot:
        """Record a status run (trend history). Needs status.create."""

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

    @abstractmethod
    async def prune_status(self, before: datetime) -> int:
        """Delete snapshots taken before ``before``. Needs status.delete.

        Returns:
            How many were deleted.
        """

    # -- audit --------------------------------------------------------------------------

    @abstractmethod
    async def query_audit(
        self,
        filter: AuditFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = 100,
        ascending: bool = False,
    ) -> Page[AuditEvent]:
        """Audit events matching ``filter``, newest first (or oldest first). Needs audit.read.

        Never loads more than one page: keyset pagination on seq.
        """

    @abstractmethod
    def export_audit(self, filter: AuditFilter | None = None) -> AsyncIterator[AuditEvent]:
        """Every matching event, oldest first, streamed. Needs audit.export.

        The export itself is recorded in the audit log before the first event is yielded.
        """

    @abstractmethod
    async def verify_audit(
        self, *, checkpoint: tuple[int, str] | None = None, progress: ProgressCallback | None = None
    ) -> VerifyReport:
        """Re-hash the whole chain and report the first broken link. Needs audit.read.

        Args:
            checkpoint: (seq, hash) certified by a signed checkpoint the caller has
                already checked the signature of; a mismatch or a shorter chain fails.
            progress: called now and then with (rows checked, rows in total).
        """

    @abstractmethod
    async def audit_head(self) -> AuditHead:
        """The newest link, for a signed checkpoint. Needs audit.admin.

        The request is itself audited first, so the head certifies it.
        """

    @abstractmethod
    async def record_event(
        self,
        resource: Resource,
        action: Action,
        name: str,
        resource_id: str | None,
        *,
        outcome: Outcome = "ok",
        details: dict[str, Any] | None = None,
    ) -> int:
        """Audit something done outside the backend (git work on the operator's machine).

        Args:
            resource: what was acted on (e.g. sessions for a push).
            action: the permission it needs, checked like any other (e.g. update).
            name: the event's action name, ``<resource>.<verb>`` (e.g. "sessions.push").
            resource_id: the session, repo or project id.
            outcome: ok, denied or error (failures are audited too).
            details: repo, branch, sha and whatever explains the outcome.

        Returns:
            The event's seq in the chain.

        Raises:
            InvalidInput: ``name`` does not start with ``<resource>.``.
        """

    @abstractmethod
    async def import_audit_events(self, events: list[AuditEventSpec]) -> int:
        """Append events brought in from elsewhere, each marked with its ``source``.

        Idempotent: an event whose (source, ts, action, resource_id, details) is already in
        the chain is skipped. Needs audit.admin.

        Returns:
            How many were appended.
        """


#: Methods that change stored state (read-only backends refuse every one of them).
MUTATING_METHODS: frozenset[str] = frozenset(
    {
        "add_member",
        "set_member_role",
        "remove_member",
        "create_api_key",
        "revoke_api_key",
        "upsert_project",
        "delete_project",
        "upsert_repo",
        "delete_repo",
        "create_session",
        "update_session",
        "delete_session",
        "upsert_memory_entry",
        "upsert_memory_entries",
        "delete_memory_entry",
        "record_status",
        "prune_status",
        "import_audit_events",
        "record_event",
    }
)

#: Methods that only read (an auditor's call of any of them is itself audited).
READ_METHODS: frozenset[str] = frozenset(
    {
        "whoami",
        "get_tenant",
        "list_tenants",
        "list_members",
        "list_api_keys",
        "list_projects",
        "get_project",
        "list_repos",
        "get_repo",
        "get_session",
        "list_sessions",
        "get_memory_entry",
        "get_memory_body",
        "list_memory_entries",
        "search_memory",
        "export_memory",
        "list_status",
        "query_audit",
        "export_audit",
        "verify_audit",
        "audit_head",
    }
)
