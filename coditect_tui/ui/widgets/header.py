"""The header: brand, tenant, role, READ-ONLY badge, backend and connection state."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from coditect_tui.core.safe_text import safe_text


class TenantHeader(Widget):
    """One line, always readable without colour: every state is a word, not just a hue."""

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
