"""The header: brand, tenant, selected repos, role (and the time left of a grant that
ends), READ-ONLY badge, backend and connection state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant import events as ev
from coditect_tui.core.wording import time_left
from coditect_tui.ui.tenant_link import TenantPane

if TYPE_CHECKING:
    from textual.timer import Timer

    from coditect_tui.core.tenant.session import TenantSession


class TenantHeader(TenantPane, Widget):
    """One line, always readable without colour: every state is a word, not just a hue.

    The app sets brand, tenant, role and read-only when a tenant is chosen; the bound
    session's events then update the connection, the role and read-only the backend
    reports, and the demo note.
    """

    DEFAULT_CSS = """
    TenantHeader {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
    }
    TenantHeader.read-only {
        background: $warning;
        color: $background;
    }
    """

    brand: reactive[str] = reactive("CODITECT")
    tenant: reactive[str] = reactive("")
    role: reactive[str] = reactive("")
    read_only: reactive[bool] = reactive(False)
    backend: reactive[str] = reactive("")
    connection: reactive[str] = reactive("opening")
    note: reactive[str] = reactive("")
    #: the tenant's lifecycle state when it is not active ("suspended", "offboarded", …)
    lifecycle: reactive[str] = reactive("")
    selected: reactive[int] = reactive(0)  # repos marked (the app's selection)
    #: when the principal's grant in this tenant ends (whoami); None: it does not
    expires_at: reactive[datetime | None] = reactive(None)
    #: "now" for the time left (tests move it)
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))
    _tick: Timer | None = None

    def watch_read_only(self, value: bool) -> None:
        self.set_class(value, "read-only")

    def watch_expires_at(self, _value: datetime | None) -> None:
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        """Redraw when the time left shown would change (each hour, in the last day each
        minute), and not otherwise: an idle header writes nothing."""
        if self._tick is not None:
            self._tick.stop()
            self._tick = None
        if self.expires_at is None or not self.is_mounted:
            return
        left = (self.expires_at - self.clock()).total_seconds()
        if left <= 0:
            return
        step = 3600.0 if left >= 86400 else 60.0
        self._tick = self.set_timer((left % step) or step, self._on_tick)

    def _on_tick(self) -> None:
        self.refresh()
        self._schedule_tick()

    def session_bound(self, session: TenantSession | None) -> None:
        self.connection, self.note, self.expires_at = "opening", "", None
        self.lifecycle = ""

    def session_event(self, event: ev.SessionEvent) -> None:
        if isinstance(event, ev.ConnectionChanged):
            self.connection = {"offline": "OFFLINE, retrying"}.get(event.state, event.state)
        elif isinstance(event, ev.BackendOpened):
            self.role, self.read_only = event.principal.role, event.read_only
            self.expires_at = event.principal.expires_at
        elif isinstance(event, ev.TenantLifecycle):
            self.lifecycle = event.state
        elif isinstance(event, ev.DemoWorkspace):
            self.note = "DEMO workspace"

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {safe_text(self.brand, max_length=24)} ", style="bold")
        text.append("▸ ")
        text.append(safe_text(self.tenant, max_length=28), style="bold")
        if self.selected:  # right after the tenant: an 80-column header still shows it
            text.append(" │ ")
            text.append(f"✔ {self.selected:,} selected", style="bold")
        if self.role:
            text.append(f" │ {safe_text(self.role)}")
            if self.expires_at is not None:
                left = time_left(self.expires_at, self.clock())
                text.append(f" · {left}" if left == "expired" else f" · {left} left", style="bold")
        if self.lifecycle:
            text.append(" │ ")
            text.append(safe_text(self.lifecycle).upper(), style="bold reverse")
        if self.read_only and self.lifecycle not in ("suspended", "archived"):
            text.append(" │ ")
            text.append("READ-ONLY", style="bold reverse")
        if self.backend:
            text.append(f" │ {safe_text(self.backend)}: {safe_text(self.connection)}")
        if self.note:
            text.append(f" │ {safe_text(self.note, max_length=30)}")
        return text
