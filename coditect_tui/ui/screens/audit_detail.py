"""One audit event in full: every field, the details, and the hash links."""

from __future__ import annotations

import orjson
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from coditect_tui.core.models import AuditEvent
from coditect_tui.core.safe_text import safe_text


def render_event(event: AuditEvent) -> Text:
    """The event as labelled lines (untrusted values through safe_text)."""
    out = Text()
    for label, value in (
        ("seq", event.seq),
        ("time (UTC)", event.ts),
        ("actor", event.shown(event.actor)),
        ("role", event.role),
        ("action", event.action),
        ("resource", f"{event.resource_type} {event.shown(event.resource_id)}"),
        ("outcome", event.outcome),
        ("source", event.source or "-"),
    ):
        out.append(f"{label:<12}", style="bold")
        out.append(safe_text(value) + "\n")
    out.append("\ndetails\n", style="bold")
    pretty = orjson.dumps(event.details, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    out.append(safe_text(event.shown(pretty.decode()), keep_newlines=True) + "\n")
    for pid, name in sorted(event.names.items()):  # the ids the chain holds
        out.append(f"{pid:<16}", style="dim")
        out.append(safe_text(name) + "\n")
    out.append("\nprev_hash   ", style="bold")
    out.append(event.prev_hash + "\n", style="dim")
    out.append("hash        ", style="bold")
    out.append(event.hash + "\n", style="dim")
    return out


class AuditDetail(ModalScreen[None]):
    """Escape or enter closes it."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="audit_detail.close")]
    DEFAULT_CSS = """
    AuditDetail { align: center middle; }
    AuditDetail > VerticalScroll {
        width: 90%; max-width: 100; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.event = event

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(render_event(self.event))

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = Text(f"Audit event {self.event.seq}")

    def action_close(self) -> None:
        self.dismiss(None)
