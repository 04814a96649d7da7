"""The header: brand, tenant, role, READ-ONLY badge, backend and connection state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant import events as ev
from coditect_tui.ui.tenant_link import TenantPane

if TYPE_CHECKING:
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

    def watch_read_only(self, value: bool) -> None:
        self.set_class(value, "read-only")

    def session_bound(self, session: TenantSession | None) -> None:
        self.connection, self.note = "opening", ""

    def session_event(self, event: ev.SessionEvent) -> None:
        if isinstance(event, ev.ConnectionChanged):
            self.connection = {"offline": "OFFLINE, retrying"}.get(event.state, event.state)
        elif isinstance(event, ev.BackendOpened):
            self.role, self.read_only = event.principal.role, event.read_only
        elif isinstance(event, ev.DemoWorkspace):
            self.note = "DEMO workspace"

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {safe_text(self.brand, max_length=24)} ", style="bold")
        text.append("▸ ")
        text.append(safe_text(self.tenant, max_length=28), style="bold")
        if self.role:
            text.append(f" │ {safe_text(self.role)}")
        if self.read_only:
            text.append(" │ ")
            text.append("READ-ONLY", style="bold reverse")
        if self.backend:
            text.append(f" │ {safe_text(self.backend)}: {safe_text(self.connection)}")
        if self.note:
            text.append(f" │ {safe_text(self.note, max_length=30)}")
        return text
