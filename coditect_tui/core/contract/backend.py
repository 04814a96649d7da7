"""``Backend``: the resource interfaces composed, and the derived read/mutating sets."""

from __future__ import annotations

from coditect_tui.core.contract.abilities import BackendBase
from coditect_tui.core.contract.audit import AuditApi
from coditect_tui.core.contract.export import ExportApi
from coditect_tui.core.contract.flags import FlagsApi
from coditect_tui.core.contract.invitations import InvitationsApi
from coditect_tui.core.contract.kinds import classify
from coditect_tui.core.contract.members import MembersApi
from coditect_tui.core.contract.memory import MemoryApi
from coditect_tui.core.contract.projects import ProjectsApi
from coditect_tui.core.contract.sessions import SessionsApi
from coditect_tui.core.contract.status import StatusApi
from coditect_tui.core.contract.tenants import TenantsApi
from coditect_tui.core.contract.usage import UsageApi
from coditect_tui.core.contract.webhooks import WebhooksApi

#: The resource interfaces, in the order ``Backend`` composes them.
RESOURCE_INTERFACES: tuple[type, ...] = (
    TenantsApi,
    MembersApi,
    InvitationsApi,
    FlagsApi,
    ProjectsApi,
    SessionsApi,
    MemoryApi,
    StatusApi,
    AuditApi,
    ExportApi,
    WebhooksApi,
    UsageApi,
)


class Backend(
    BackendBase,
    TenantsApi,
    MembersApi,
    InvitationsApi,
    FlagsApi,
    ProjectsApi,
    SessionsApi,
    MemoryApi,
    StatusApi,
    AuditApi,
    ExportApi,
    WebhooksApi,
    UsageApi,
):
    """Storage for one principal in one tenant (see coditect_tui.core.backend for the rules).

    Every resource method is abstract and marked read or mutating where it is defined;
    the lifecycle and the optional abilities come from :class:`BackendBase` with
    defaults.
    """


MUTATING_METHODS: frozenset[str]
READ_METHODS: frozenset[str]
#: Methods that change stored state (read-only backends refuse every one of them) and
#: methods that only read (an auditor's call of any of them is itself audited), as marked
#: by ``@mutates`` / ``@reads`` at their definitions.
MUTATING_METHODS, READ_METHODS = classify(Backend)
