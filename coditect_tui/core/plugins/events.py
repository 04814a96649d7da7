"""What plugins receive: one frozen payload per hook, plain data only.

Every field is a ``str``, ``int``, ``bool``, ``None`` or a tuple of those: a plugin never
gets a live object of the app, a store handle, a connection or a model it could change.
Text fields are raw (untrusted: repo names, branch names, descriptions); a plugin that
shows them escapes them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from coditect_tui.core.audit_chain import AuditNotice


@dataclass(frozen=True, slots=True)
class TenantOpened:
    """A tenant session opened in the app (``tenant_opened``).

    Attributes:
        tenant: the tenant's name.
        principal: who acts in it (None: the backend did not open).
        role: the principal's role (the profile's when the backend did not open).
        read_only: the session refuses every change.
        backend: the profile's backend kind (``local``, ``remote``).
        repos: how many repos the workspace holds.
    """

    tenant: str
    principal: str | None
    role: str
    read_only: bool
    backend: str
    repos: int


@dataclass(frozen=True, slots=True)
class ProjectCreated:
    """A project was created in a tenant's store (``project_created``).

    Attributes:
        tenant: the tenant's name.
        project_id: the new project's id.
        name: the project's name.
        actor: who created it.
    """

    tenant: str
    project_id: str
    name: str
    actor: str


@dataclass(frozen=True, slots=True)
class GitSessionEvent:
    """What the session events share.

    Attributes:
        repo: the working tree's path.
        repo_id: the repo's backend id (None: not registered).
        session_key: the session's ``YYYYMMDD-HHMMSS`` id (``.coditect-session.json``).
        branch: the session branch.
    """

    repo: str
    repo_id: str | None
    session_key: str
    branch: str


@dataclass(frozen=True, slots=True)
class SessionStarted(GitSessionEvent):
    """A git session started in a working tree (``session_started``); ``description``
    says what it is about."""

    description: str


@dataclass(frozen=True, slots=True)
class SessionEnded(GitSessionEvent):
    """A git session ended (``session_ended``): ``commits`` made in it, and whether it
    was ``merged`` into the main branch."""

    commits: int
    merged: bool


@dataclass(frozen=True, slots=True)
class RepoStatusChanged:
    """The live status of a repo changed (``repo_status_changed``).

    Attributes:
        tenant: the tenant whose workspace holds the repo.
        repo: the working tree's path.
        name: the repo's name.
        project: the project it belongs to.
        branch: the checked-out branch (None: detached or unreadable).
        state: the one-word state the tree shows (``clean``, ``dirty``, ``ahead``...).
        ahead: commits ahead of the upstream.
        behind: commits behind it.
        dirty: changed, staged, untracked or conflicted files exist.
        error: why the status could not be read (None: it was).
    """

    tenant: str
    repo: str
    name: str
    project: str
    branch: str | None
    state: str
    ahead: int
    behind: int
    dirty: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class AuditAppended(AuditNotice):
    """An audit event was committed to a tenant's chain (``audit_appended``): the fields
    a live stream shows (``AuditNotice``: seq, ts, actor, action, resource_type,
    resource_id, outcome; never details or hashes), and the tenant's name (``tenant``)."""

    tenant: str


PluginEvent = (
    TenantOpened
    | ProjectCreated
    | SessionStarted
    | SessionEnded
    | RepoStatusChanged
    | AuditAppended
)

#: Every hook and the payload it receives; a plugin implements ``on_<hook>``.
HOOKS: dict[str, type] = {
    "tenant_opened": TenantOpened,
    "project_created": ProjectCreated,
    "session_started": SessionStarted,
    "session_ended": SessionEnded,
    "repo_status_changed": RepoStatusChanged,
    "audit_appended": AuditAppended,
}
