"""The administration screen (owners and admins): members, invitations, API keys, usage,
feature flags, webhooks.

It loads its own data from the tenant session's backend; every change goes through the
backend, which refuses anyone else (and records the refusal) whatever this screen shows.
A new API key's secret and an invitation's join line are shown once, in a dialog, and
kept nowhere. Each tab's rows and actions live in their own module (see the package).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.screens.admin.common import Row
from coditect_tui.ui.screens.admin.flags import FlagsTab, clear_flag, flag_rows
from coditect_tui.ui.screens.admin.invites import InvitesTab, invite_rows, withdraw
from coditect_tui.ui.screens.admin.members import MembersTab, key_rows, member_rows
from coditect_tui.ui.screens.admin.usage import hook_rows, usage_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.tenant.session import TenantSession

#: Each tab's keys, as the hint line shows them.
HINTS = {
    "members": "a add  i invite  r role  e expiry  x remove",
    "invites": "i invite  x withdraw",
    "keys": "n new key  x revoke",
    "usage": "",
    "flags": "s set  x clear override",
    "hooks": "x remove webhook",
}
#: Each table's columns.
COLUMNS = {
    "admin-members": ("Member", "Role", "Expires", "Since", "Last action"),
    "admin-invites": ("Invited", "Role", "Grant ends", "Valid until", "By", "Created"),
    "admin-keys": ("Key", "Principal", "Role", "Created", "Expires", "State"),
    "admin-flags": ("Feature", "For", "State", "By", "When"),
    "admin-hooks": ("URL", "Events", "State", "Failures", "Created"),
}
#: The actions each tab offers (others are not run there).
TAB_ACTIONS = {
    "members": {"add", "invite", "role", "expiry", "remove"},
    "invites": {"invite", "remove"},
    "keys": {"new_key", "remove"},
    "usage": set(),
    "flags": {"set_flag", "remove"},
    "hooks": {"remove"},
}
#: What ``x`` does on each tab: the dialog's title and line, and what must be typed
#: (None: the selected row's name).
_REMOVALS: dict[str, tuple[str, str, str | None]] = {
    "members": ("Remove member", "Their API keys in this tenant are revoked too.", None),
    "invites": ("Withdraw invitation", "Its token stops working at once.", "withdraw"),
    "keys": ("Revoke API key", "Programs using it stop working at once.", "revoke"),
    "flags": ("Clear override", "The tier and flags.yaml decide again.", None),
    "hooks": ("Remove webhook", "Its queued and logged deliveries are deleted.", "remove"),
}

Change = Callable[["Backend"], Awaitable[str]]


class AdminScreen(MembersTab, InvitesTab, FlagsTab, ModalScreen[None]):
    """Members, invitations, API keys, usage, feature flags and webhooks of the open
    tenant."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="admin.close"),
        Binding("a", "add", "Add member", id="admin.add"),
        Binding("i", "invite", "Invite", id="admin.invite"),
        Binding("r", "role", "Change role", id="admin.role"),
        Binding("e", "expiry", "Expiry", id="admin.expiry"),
        Binding("x", "remove", "Remove", id="admin.remove"),
        Binding("n", "new_key", "New key", id="admin.new_key"),
        Binding("s", "set_flag", "Set flag", id="admin.set_flag"),
    ]
    DEFAULT_CSS = """
    AdminScreen { align: center middle; }
    AdminScreen > Vertical {
        width: 100%; height: 100%; border: round $primary; background: $surface;
    }
    AdminScreen TabbedContent { height: 1fr; }
    AdminScreen TabPane { height: 1fr; padding: 0; }
    AdminScreen DataTable { height: 1fr; }
    AdminScreen #admin-usage { padding: 1 2; }
    AdminScreen #admin-hint, AdminScreen #admin-status { height: 1; padding: 0 1; }
    """

    def __init__(self, session: TenantSession) -> None:
        super().__init__()
        self.session = session
        #: the rows' keys, per table (a member's name, a key's id, a flag's target)
        self._keys: dict[str, list[tuple[str, str | None]]] = {}
        #: set once every tab shows what the last load read (tests await it)
        self.loaded = asyncio.Event()

    @property
    def backend(self) -> Backend:
        """The tenant's backend (the screen is opened only once it is open)."""
        assert self.session.backend is not None
        return self.session.backend

    def compose(self) -> ComposeResult:
        with Vertical():
            with TabbedContent(id="admin-tabs"):
                with TabPane("Members", id="members"):
                    yield DataTable(id="admin-members", cursor_type="row", zebra_stripes=True)
                with TabPane("Invitations", id="invites"):
                    yield DataTable(id="admin-invites", cursor_type="row", zebra_stripes=True)
                with TabPane("API keys", id="keys"):
                    yield DataTable(id="admin-keys", cursor_type="row", zebra_stripes=True)
                with TabPane("Usage", id="usage"):
                    yield Static(id="admin-usage")
                with TabPane("Flags", id="flags"):
                    yield DataTable(id="admin-flags", cursor_type="row", zebra_stripes=True)
                with TabPane("Webhooks", id="hooks"):
                    yield DataTable(id="admin-hooks", cursor_type="row", zebra_stripes=True)
            yield Static(id="admin-status")
            yield Static(id="admin-hint")

    def on_mount(self) -> None:
        role = self.session.principal.role if self.session.principal else "?"
        self.query_one(Vertical).border_title = Text(
            f"Administration · {safe_text(self.session.profile.title)} ({safe_text(role)})"
        )
        for table_id, labels in COLUMNS.items():
            self.query_one(f"#{table_id}", DataTable).add_columns(*labels)
        if not self.session.may("READ", "WEBHOOKS"):
            self.query_one(TabbedContent).hide_tab("hooks")
        self._hint()
        self.reload()

    # -- what is shown ----------------------------------------------------------------------

    @property
    def tab(self) -> str:
        """The active tab's id."""
        return self.query_one(TabbedContent).active or "members"

    def on_tabbed_content_tab_activated(self, _event: TabbedContent.TabActivated) -> None:
        self._hint()
        self.refresh_bindings()

    def _hint(self) -> None:
        keys = HINTS.get(self.tab, "")
        line = f"{keys}  escape close" if keys else "escape close"
        self.query_one("#admin-hint", Static).update(Text(line, style="dim", no_wrap=True))

    def _status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#admin-status", Static).update(
            Text(text, style="bold" if error else "", no_wrap=True, overflow="ellipsis")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close" or not self.is_mounted:
            return True
        return action in TAB_ACTIONS.get(self.tab, set())

    def _fill(self, table_id: str, rows: list[Row]) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        row = table.cursor_row
        table.clear(columns=True)  # the columns' widths follow the new rows
        table.add_columns(*COLUMNS[table_id])
        self._keys[table_id] = [key for key, _ in rows]
        for _, cells in rows:
            table.add_row(*cells)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))

    def _selected(self, table_id: str) -> tuple[str, str | None] | None:
        keys = self._keys.get(table_id, [])
        row = self.query_one(f"#{table_id}", DataTable).cursor_row
        return keys[row] if 0 <= row < len(keys) else None

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every tab's data again."""
        self._load()

    @work(exclusive=True, group="admin-load")
    async def _load(self) -> None:
        self.loaded.clear()
        backend, failures = self.backend, []
        tables: list[tuple[str, str, Callable[[], Awaitable[list[Row]]]]] = [
            ("members", "admin-members", lambda: member_rows(self.session, backend)),
            ("invitations", "admin-invites", lambda: invite_rows(backend)),
            ("keys", "admin-keys", lambda: key_rows(backend)),
            ("flags", "admin-flags", lambda: flag_rows(backend)),
        ]
        if self.session.may("READ", "WEBHOOKS"):  # else not asked: no webhooks here
            tables.append(("webhooks", "admin-hooks", lambda: hook_rows(backend)))
        for label, table_id, rows in tables:
            try:
                self._fill(table_id, await rows())
            except CoditectError as exc:
                failures.append(f"{label}: {safe_text(exc)}")
        try:
            self.query_one("#admin-usage", Static).update(await usage_text(backend))
        except CoditectError as exc:
            failures.append(f"usage: {safe_text(exc)}")
        if failures:
            self._status("! " + "; ".join(failures), error=True)
        self.loaded.set()

    # -- changes ----------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_remove(self) -> None:
        from coditect_tui.ui.screens.dialogs import TypedConfirmation

        tab = self.tab
        selected = self._selected(f"admin-{tab}")
        if selected is None or tab not in _REMOVALS:
            return
        title, detail, typed = _REMOVALS[tab]
        key, extra = selected

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._apply(_removal(tab, key, extra))

        self.app.push_screen(TypedConfirmation(title, [detail], typed or key), confirmed)

    def _show_once(self, title: str, prompt: str, value: str) -> None:
        """Show a secret (a key's, an invitation's line) once, selectable to copy."""
        from coditect_tui.ui.screens.dialogs import TextPrompt

        self.app.push_screen(TextPrompt(title, prompt, value=value, allow_empty=True))

    @work(group="admin-change")
    async def _apply(self, change: Change) -> None:
        """Run one change through the backend: its outcome (or its refusal, in one line)
        in the status line, then every tab read again."""
        try:
            done = await change(self.backend)
        except (CoditectError, ValueError) as exc:
            self._status(f"! {safe_text(exc)}", error=True)
            return
        self._status(safe_text(done))
        self.reload()


def _removal(tab: str, key: str, extra: str | None) -> Change:
    """The change ``x`` makes on ``tab`` to the row ``key`` (``extra``: its second key)."""
    if tab == "invites":
        return withdraw(key)
    if tab == "flags":
        return clear_flag(key, extra)

    async def change(backend: Backend) -> str:
        if tab == "members":
            await backend.remove_member(key)
            return f"Removed {key}."
        if tab == "keys":
            revoked = await backend.revoke_api_key(key)
            return f"Revoked key {revoked.prefix}…."
        await backend.remove_webhook(key)
        return "Removed the webhook."

    return change
