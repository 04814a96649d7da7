"""The audit filter form: actor, action, resource, outcome, time window, free text."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from coditect_tui.core.models import AuditFilter

#: (field, label, placeholder) of each row of the form.
FIELDS = (
    ("actor", "actor", "exact principal name"),
    ("action", "action", "e.g. projects.create"),
    ("resource_type", "resource", "projects, repos, sessions, memory, audit..."),
    ("outcome", "outcome", "ok, denied or error"),
    ("since", "since", "2026-11-01 or 2026-11-01T08:00"),
    ("until", "until", "exclusive, same forms as since"),
    ("text", "text", "in action, resource id or details"),
)


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AuditFilterForm(ModalScreen[AuditFilter | None | bool]):
    """Enter applies (empty fields = no filter), escape keeps the current filter."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="audit_filter.cancel")]
    DEFAULT_CSS = """
    AuditFilterForm { align: center middle; }
    AuditFilterForm > Vertical {
        width: 80%; max-width: 80; height: auto; max-height: 95%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    AuditFilterForm .filter-row { height: 1; }
    AuditFilterForm .filter-label { width: 10; }
    AuditFilterForm Input { width: 1fr; padding: 0 1; }
    AuditFilterForm #filter-error { color: $error; height: auto; }
    """

    def __init__(self, current: AuditFilter | None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    "Filter the audit log (tab: next field, enter: apply, "
                    "empty: no filter, escape: cancel)",
                    style="dim",
                )
            )
            for name, label, placeholder in FIELDS:
                value = getattr(self.current, name, None) if self.current else None
                if isinstance(value, datetime):
                    value = value.strftime("%Y-%m-%dT%H:%M")
                with Horizontal(classes="filter-row"):
                    yield Label(label, classes="filter-label")
                    # compact: one row and no border, so the focused field shows its text
                    yield Input(
                        value=str(value or ""),
                        placeholder=placeholder,
                        compact=True,
                        id=f"filter-{name}",
                    )
            yield Static("", id="filter-error")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Audit filter"

    @on(Input.Submitted)
    def _apply(self) -> None:
        values = {
            name: self.query_one(f"#filter-{name}", Input).value.strip() for name, _, _ in FIELDS
        }
        try:
            data: dict[str, object] = {
                k: v for k, v in values.items() if v and k not in ("since", "until")
            }
            if values["since"]:
                data["since"] = _when(values["since"])
            if values["until"]:
                data["until"] = _when(values["until"])
            flt = AuditFilter.model_validate(data)
        except ValueError as exc:
            first = str(exc).splitlines()
            message = first[2].strip() if len(first) > 2 else first[0]
            self.query_one("#filter-error", Static).update(Text(f"! {message}"))
            return
        self.dismiss(flt if data else None)

    def action_cancel(self) -> None:
        self.dismiss(False)
