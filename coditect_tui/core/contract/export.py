"""The tenant's data export (everything, or one person's data: subject access).

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from typing import Any, Literal

from coditect_tui.core.contract.kinds import reads
from coditect_tui.core.models import Model

#: The kinds of record a tenant export streams, in the order it streams them.
ExportKind = Literal["members", "projects", "repos", "sessions", "memory", "status", "audit"]
EXPORT_KINDS: tuple[ExportKind, ...] = (
    "members",
    "projects",
    "repos",
    "sessions",
    "memory",
    "status",
    "audit",
)


#: The record that names a kind left out of the export (always before the data).
OMITTED: Literal["omitted"] = "omitted"


class ExportOmission(Model):
    """A kind of record the export leaves out, and why.

    Attributes:
        kind: the kind left out.
        reason: ``tier``: the tenant's tier (or a feature flag) does not include it;
            ``role``: the caller's role may not read (or, for memory, export) it.
        detail: the refusal's message.
    """

    kind: ExportKind
    reason: Literal["tier", "role"]
    detail: str


class TenantRecord(Model):
    """One record of a tenant export.

    Attributes:
        kind: what it is (one file per kind in an export directory), or ``omitted``: an
            :class:`ExportOmission` (a kind the caller may not read, so not exported).
        item: the record as the contract's model dumps it in JSON mode (``Member``,
            ``Project``, ``Repo``, ``GitSession``, ``MemoryEntry``, ``StatusSnapshot``,
            ``AuditEvent``, ``ExportOmission``); a memory entry also carries its indexed
            text as ``body``. Never a secret, key hash or token.
    """

    kind: ExportKind | Literal["omitted"]
    item: dict[str, Any]


class ExportApi(ABC):
    """The tenant's data export."""

    @reads
    @abstractmethod
    def export_tenant(self, person: str | None = None) -> AsyncGenerator[TenantRecord, None]:
        """Everything of the open tenant, or of one person, streamed kind by kind.

        Needs audit.export. Every other kind is exported when the tier and the role
        allow reading it (memory: memory.export); a kind they do not is left out, and
        named first by one ``omitted`` record each (an :class:`ExportOmission`). The
        export is recorded as one ``audit.tenant_export`` event (naming what it left out)
        before the first record is yielded, so the exported audit records end with it
        (or later events).

        Args:
            person: only what this principal created (``created_by``), their membership,
                and the audit events they acted in or that name them (``resource_id``):
                a subject access export. None: everything.

        Returns:
            The ``omitted`` records, then records in the order of :data:`EXPORT_KINDS`:
            members by name, audit events by seq, the other kinds by id.

        Raises:
            InvalidInput: ``person`` is empty.
            PermissionDenied: the tier or the role has no audit.export (audited).
        """
