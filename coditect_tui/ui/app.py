"""The minimal app of [1/6]: header with tenant, role, read-only and backend; what is coming.

The workspace (project tree, git sessions, memory, dashboard, audit panes) replaces the
body in issue [3/6]; until then the body says so and shows only real numbers.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.factory import open_backend
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.settings import TenantProfile

PLACEHOLDER = (
    "The workspace panes arrive in the next release:\n"
    "  Projects - tenant > project > repos > submodules with live git state\n"
    "  Git sessions - start / commit / push / sync / pr / end, live\n"
    "  Memory - MEMORY-CONTEXT checkpoints, sessions, exports; full-text search\n"
    "  Dashboard - cross-project status, health scores, trends\n"
    "  Audit - who did what, when; verify the chain; export evidence\n"
)


class CoditectApp(App[None]):
    """The full-screen app."""

    TITLE = "CODITECT"
    BINDINGS = [Binding("q", "quit", "Quit", id="app.quit")]

    def __init__(self, profile: TenantProfile, *, read_only: bool = False,
                 exit_after_paint: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only
        self.exit_after_paint = exit_after_paint
        self.backend: Backend | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Opening the store…"), id="tenant")
        yield Static(Text(PLACEHOLDER), id="placeholder")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = safe_text(self.profile.title)
        self.open_store()

    @work(exclusive=True)
    async def open_store(self) -> None:
        panel = self.query_one("#tenant", Static)
        try:
            self.backend = await open_backend(self.profile, read_only=self.read_only)
            me = await self.backend.whoami()
            projects = await self.backend.list_projects(limit=1000)
        except CoditectError as exc:
            panel.update(Text(f"Cannot open tenant {safe_text(self.profile.name)}: "
                              f"{safe_text(exc)}"))
            return
        badge = "  READ-ONLY" if me.read_only else ""
        self.sub_title = (f"{safe_text(self.profile.title)} · {me.role} · "
                          f"{self.backend.kind}{badge}")
        panel.update(Text(
            f"Tenant {safe_text(self.profile.title)} as {safe_text(me.name)} ({me.role})"
            f"{badge}\nProjects registered: {len(projects.items)}"
            f"{'+' if projects.next_cursor else ''}\n"))
        if self.exit_after_paint:
            self.call_after_refresh(self.exit)

    async def on_unmount(self) -> None:
        if self.backend is not None:
            await self.backend.close()
