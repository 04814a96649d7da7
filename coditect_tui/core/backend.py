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

The contract is split by resource (``coditect_tui.core.contract``): ``TenantsApi``,
``MembersApi`` (members and API keys), ``FlagsApi`` (feature flag overrides),
``ProjectsApi`` (projects and repos), ``SessionsApi``, ``MemoryApi``, ``StatusApi``,
``AuditApi`` and ``ExportApi``, composed into :class:`Backend` together with
``BackendBase`` (lifecycle and optional abilities).
Each method is marked ``@reads`` or ``@mutates`` where it is defined;
``MUTATING_METHODS`` and ``READ_METHODS`` are derived from those marks.

Optional abilities, with defaults on every backend (no ``hasattr`` needed):
    supports_live_events: bool, False unless ``events`` works.
    events(*, ready=None): async iterator of live events; by default raises
        ``NotSupported`` (a ``BackendError``) when called.
    online: bool property, True unless the storage stopped answering.
    last_error: ``str | None`` property, why it is offline.
    on_state: ``Callable[[], None] | None``, called by the backend when ``online`` changes.

``export_audit``, ``export_memory`` and ``export_tenant`` return async generators: stop early with
``await stream.aclose()`` (or ``contextlib.aclosing``) to release their transaction.
"""

from __future__ import annotations

from coditect_tui.core.contract.abilities import BackendBase, NotSupported
from coditect_tui.core.contract.audit import AuditApi
from coditect_tui.core.contract.backend import (
    MUTATING_METHODS,
    READ_METHODS,
    RESOURCE_INTERFACES,
    Backend,
)
from coditect_tui.core.contract.export import (
    EXPORT_KINDS,
    OMITTED,
    ExportApi,
    ExportKind,
    ExportOmission,
    TenantRecord,
)
from coditect_tui.core.contract.flags import FlagsApi
from coditect_tui.core.contract.kinds import classify, kind_of, mutates, reads, unclassified
from coditect_tui.core.contract.members import MembersApi
from coditect_tui.core.contract.memory import MemoryApi
from coditect_tui.core.contract.projects import ProjectsApi
from coditect_tui.core.contract.sessions import SessionsApi
from coditect_tui.core.contract.status import StatusApi
from coditect_tui.core.contract.tenants import TenantsApi
from coditect_tui.core.contract.types import ProgressCallback

__all__ = [
    "EXPORT_KINDS",
    "MUTATING_METHODS",
    "OMITTED",
    "READ_METHODS",
    "RESOURCE_INTERFACES",
    "AuditApi",
    "Backend",
    "BackendBase",
    "ExportApi",
    "ExportKind",
    "ExportOmission",
    "FlagsApi",
    "MembersApi",
    "MemoryApi",
    "NotSupported",
    "ProgressCallback",
    "ProjectsApi",
    "SessionsApi",
    "StatusApi",
    "TenantRecord",
    "TenantsApi",
    "classify",
    "kind_of",
    "mutates",
    "reads",
    "unclassified",
]
