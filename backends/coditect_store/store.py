"""``SqlStore``: the SQLAlchemy 2 async store behind the Backend contract."""

from __future__ import annotations

from coditect_store.audit import AuditMixin
from coditect_store.base import Provision
from coditect_store.erasure import ErasureMixin
from coditect_store.export import ExportMixin
from coditect_store.flags import FlagsMixin
from coditect_store.grants import GrantsMixin
from coditect_store.invitations import InvitationsMixin
from coditect_store.lifecycle import LifecycleMixin
from coditect_store.members import MembersMixin
from coditect_store.memory import MemoryMixin
from coditect_store.projects import ProjectsMixin
from coditect_store.sessions import SessionsMixin
from coditect_store.status import StatusMixin
from coditect_store.usage import UsageMixin
from coditect_store.webhooks import WebhooksMixin
from coditect_tui.core.backend import Backend


class SqlStore(
    MembersMixin,
    ErasureMixin,
    LifecycleMixin,
    GrantsMixin,
    InvitationsMixin,
    FlagsMixin,
    ProjectsMixin,
    SessionsMixin,
    MemoryMixin,
    StatusMixin,
    AuditMixin,
    ExportMixin,
    WebhooksMixin,
    UsageMixin,
    Backend,
):
    """The local store: one SQLite file (WAL), opened for one principal in one tenant.

    Open with ``await SqlStore.open_sqlite(path, tenant=..., principal=..., ...)``.
    """


__all__ = ["Provision", "SqlStore"]
