"""The tenant's audit chain: query, export, verify, record, import.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator
from typing import Any

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.contract.types import ProgressCallback
from coditect_tui.core.models import (
    Action,
    AuditEvent,
    AuditEventSpec,
    AuditFilter,
    AuditHead,
    Outcome,
    Page,
    Resource,
    VerifyReport,
)

#: Events a read-only backend still records with ``record_event`` when their action is
#: read: the run of a custom command that changes nothing (every run is audited, and
#: the append changes none of the tenant's data, as an auditor's recorded reads do).
READ_ONLY_RECORDS = frozenset({"repos.command"})


class AuditApi(ABC):
    """The tenant's audit chain: query, export, verify, record, import."""

    @reads
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

    @reads
    @abstractmethod
    def export_audit(self, filter: AuditFilter | None = None) -> AsyncGenerator[AuditEvent, None]:
        """Every matching event, oldest first, streamed. Needs audit.export.

        The export itself is recorded in the audit log before the first event is yielded.
        """

    @reads
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

    @mutates
    @abstractmethod
    async def audit_head(self) -> AuditHead:
        """The newest link, for a signed checkpoint. Needs audit.admin.

        The request is itself audited first, so the head certifies it. Classified as
        mutating: it is an administrative act that extends the chain, and a read-only
        backend refuses it (ReadOnly) like every change.

        Returns:
            The head's seq and hash, the certification event included.
        """

    @mutates
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
            ReadOnly: a read-only backend, unless ``action`` is read and ``name`` is one
                of :data:`READ_ONLY_RECORDS`.
        """

    @reads
    @abstractmethod
    async def authorize_event(
        self, resource: Resource, action: Action, name: str, resource_id: str | None = None
    ) -> None:
        """Ask whether ``record_event(resource, action, name, ...)`` would be allowed, before
        doing the work it would record (git work on the operator's machine).

        The backend decides with the tenant's tier and the role, exactly as for the event
        itself; nothing is written when allowed (an auditor's question is audited as a
        read), a refusal is audited as ``denied`` under ``name``. A read: it changes
        nothing, and a read-only backend answers it (refusing a mutating ``action`` with
        ReadOnly).

        Args:
            resource: what would be acted on (e.g. sessions).
            action: the permission the work needs (e.g. update).
            name: the event's action name, ``<resource>.<verb>`` (e.g. "sessions.commit").
            resource_id: the session, repo or project id, when known.

        Raises:
            InvalidInput: ``name`` does not start with ``<resource>.``.
            ReadOnly: a mutating ``action`` on a read-only backend (or role).
        """

    @mutates
    @abstractmethod
    async def import_audit_events(self, events: list[AuditEventSpec]) -> int:
        """Append events brought in from elsewhere, each marked with its ``source``.

        Idempotent: an event whose (source, ts, action, resource_id, details) is already in
        the chain is skipped. Needs audit.admin.

        Returns:
            How many were appended.
        """
