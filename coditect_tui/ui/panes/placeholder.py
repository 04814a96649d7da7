"""A pane that is not built yet says exactly what it will show; it shows no invented data."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

PLANNED = {
    "dashboard": (
        "Dashboard — arrives with issue [5/6]",
        "Will show: KPI cards (repos, dirty, ahead, behind, detached, conflicted, errored,\n"
        "active sessions, average health), the health-score distribution, commits per day\n"
        "over 30 days, stale repos and a 'needs attention' list sorted by health.\n"
        "Until then: the tree's glyphs and `coditect status --markdown`.",
    ),
    "memory": (
        "Memory — arrives with issue [4/6]",
        "Will show: MEMORY-CONTEXT checkpoints, sessions, exports and transcripts with\n"
        "filters, search-as-you-type with highlighted snippets, and previews.",
    ),
    "audit": (
        "Audit — arrives with issue [5/6]",
        "Will show: the tenant's audit log paged from the backend, filters, a detail panel,\n"
        "'verify chain' with progress and evidence-pack export.\n"
        "Until then: `coditect audit verify` and `coditect audit export`.",
    ),
}


class PlannedPane(Static):
    """Placeholder text for a pane of a later issue."""

    DEFAULT_CSS = """
    PlannedPane { padding: 1 2; color: $text-muted; }
    """

    def __init__(self, key: str, *, id: str | None = None) -> None:
        title, body = PLANNED[key]
        text = Text(title + "\n\n", style="bold")
        text.append(body)
        super().__init__(text, id=id)
