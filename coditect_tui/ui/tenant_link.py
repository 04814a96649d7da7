"""How panes follow the open tenant session: a Textual message per session event, and a
mixin that binds a widget to one session at a time.

A pane bound to a session subscribes to it; each event is posted to the pane as a
:class:`TenantEvent` (on the app's loop, in order) and handled in ``session_event``.
Events from a session the pane is no longer bound to are dropped, so nothing of the
previous tenant reaches the screen after a switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.message import Message

from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.tenant.events import SessionEvent
    from coditect_tui.core.tenant.session import TenantSession


class TenantEvent(Message, bubble=False):
    """One event of a tenant session, delivered to one widget."""

    def __init__(self, session: TenantSession, event: SessionEvent) -> None:
        super().__init__()
        self.session = session
        self.event = event


class JumpTo(Message):
    """Select the repo at ``path`` in the tree and show pane ``tab`` (the app does it)."""

    def __init__(self, path: str, tab: str) -> None:
        super().__init__()
        self.path = path
        self.tab = tab


def unreachable(session: TenantSession | None) -> str | None:
    """What a pane shows instead of an empty state when the tenant's store could not be
    opened (None when it is open, or still opening)."""
    if session is None or session.backend is not None or not session.backend_error:
        return None
    return f"Tenant unreachable: {safe_text(session.backend_error)}"


class TenantPane:
    """Mixed into a pane widget: ``bind(session)`` and ``session_event(event)``.

    Subclasses implement :meth:`session_bound` (clear, then load what they show from the
    new session) and :meth:`session_event`.
    """

    session: TenantSession | None = None
    _unsubscribe: Callable[[], None] | None = None
    #: The pane shows the repo selected in the tree and has no list of its own: its key
    #: shows it and leaves the focus on the tree (the arrows pick the repo it shows).
    follows_tree: ClassVar[bool] = False
    #: The pane lists the tenant's repos by name: an advisor (aggregate-only) never has
    #: it bound, so not even a hidden widget holds a repo name.
    names_repos: ClassVar[bool] = False

    def bind(self, session: TenantSession | None) -> None:
        """Follow ``session`` (None: the tenant is closing; show nothing of it)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.session = session
        if session is not None:
            post = self.post_message  # type: ignore[attr-defined]
            self._unsubscribe = session.subscribe(lambda event: post(TenantEvent(session, event)))
        self.session_bound(session)

    def on_tenant_event(self, message: TenantEvent) -> None:
        if message.session is self.session:
            self.session_event(message.event)

    def session_bound(self, session: TenantSession | None) -> None:
        """Clear what the previous session showed; load from ``session``."""

    def session_event(self, event: SessionEvent) -> None:
        """React to one event of the bound session."""

    def take_focus(self) -> None:
        """Focus what the keys of this pane act on (the pane itself by default)."""
        self.focus()  # type: ignore[attr-defined]
