"""The administration screen (owners and admins): members, API keys, usage, feature flags,
webhooks.

It loads its own data from the tenant session's backend; every change goes through the
backend, which refuses anyone else (and records the refusal) whatever this screen shows.
A new API key's secret is shown once, in a dialog, and kept nowhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.tenant.session import TenantSession

#: Each tab's keys, as the hint line shows them.
HINTS = {
    "members": "a add  r role  e expiry  x remove",
    "keys": "n new key  x revoke",
    "usage": "",
    "flags": "x clear override",
    "hooks": "x remove webhook",
}
#: Each table's columns.
COLUMNS = {
    "admin-members": ("Member", "Role", "Expires", "Since", "Last action"),
    "admin-keys": ("Key", "Principal", "Role", "Created", "Expires", "State"),
    "admin-flags": ("Feature", "For", "State", "By", "When"),
    "admin-hooks": ("URL", "Events", "State", "Failures", "Created"),
}
#: The actions each tab offers (others are not run there).
TAB_ACTIONS = {
    "members": {"add", "role", "expiry", "remove"},
    "keys": {"new_key", "remove"},
    "usage": set(),
    "flags": {"remove"},
    "hooks": {"remove"},
}


def _day(when: datetime | None, empty: str = "never") -> str:
    return when.astimezone().strftime("%Y-%m-%d") if when is not None else empty


def _cells(*values: str) -> list[Text]:
    return [Text(safe_text(value), no_wrap=True, overflow="ellipsis") for value in values]


class AdminScreen(ModalScreen[None]):
    """Members, API keys, usage and feature flags of the open tenant."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="admin.close"),
        Binding("a", "add", "Add member", id="admin.add"),
        Binding("r", "role", "Change role", id="admin.role"),
        Binding("e", "expiry", "Expiry", id="admin.expiry"),
        Binding("x", "remove", "Remove", id="admin.remove"),
        Binding("n", "new_key", "New key", id="admin.new_key"),
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

    def _fill(self, table_id: str, rows: list[tuple[tuple[str, str | None], list[Text]]]) -> None:
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
        """Read members, keys, usage and flags again."""
        self._load()

    @work(exclusive=True, group="admin-load")
    async def _load(self) -> None:
        backend, failures = self.backend, []
        try:
            members = await backend.list_members()
            seen = await self._last_seen([m.name for m in members])
            self._fill(
                "admin-members",
                [
                    (
                        (m.name, None),
                        _cells(
                            m.name,
                            m.role,
                            _day(m.expires_at),
                            _day(m.created_at),
                            seen.get(m.name, "—"),
                        ),
                    )
                    for m in members
                ],
            )
        except CoditectError as exc:
            failures.append(f"members: {safe_text(exc)}")
        try:
            keys = await backend.list_api_keys()
            self._fill(
                "admin-keys",
                [
                    (
                        (k.id, None),
                        _cells(
                            f"{k.prefix}…",
                            k.principal,
                            k.role,
                            _day(k.created_at),
                            _day(k.expires_at),
                            "revoked" if k.revoked_at is not None else "active",
                        ),
                    )
                    for k in keys
                ],
            )
        except CoditectError as exc:
            failures.append(f"keys: {safe_text(exc)}")
        await self._load_usage(failures)
        try:
            flags = await backend.list_flags()
            self._fill(
                "admin-flags",
                [
                    (
                        (f.feature, f.stakeholder),
                        _cells(
                            f.feature,
                            f.stakeholder or "(whole tenant)",
                            "on" if f.enabled else "off",
                            f.updated_by,
                            _day(f.updated_at),
                        ),
                    )
                    for f in flags
                ],
            )
        except CoditectError as exc:
            failures.append(f"flags: {safe_text(exc)}")
        await self._load_hooks(failures)
        if failures:
            self._status("! " + "; ".join(failures), error=True)

    async def _last_seen(self, names: list[str]) -> dict[str, str]:
        """Each member's last recorded action (the newest audit event they made), by day;
        reads are not recorded, so a member who only reads is not "seen"."""
        from coditect_tui.core.models import AuditFilter

        if not self.session.may("READ", "AUDIT"):
            return {}
        seen: dict[str, str] = {}
        for name in names:  # one indexed lookup each (tenant, actor, seq)
            page = await self.backend.query_audit(AuditFilter(actor=name), limit=1)
            if page.items:
                seen[name] = _day(datetime.fromisoformat(page.items[0].ts))
        return seen

    async def _load_hooks(self, failures: list[str]) -> None:
        if not self.session.may("READ", "WEBHOOKS"):
            return  # not asked: the tier or the role has no webhooks
        try:
            hooks = await self.backend.list_webhooks()
        except CoditectError as exc:
            failures.append(f"webhooks: {safe_text(exc)}")
            return
        self._fill(
            "admin-hooks",
            [
                (
                    (h.id, None),
                    _cells(
                        h.url,
                        ", ".join(h.events),
                        "on" if h.enabled else f"off: {h.disabled_reason or 'disabled'}",
                        str(h.failures),
                        _day(h.created_at),
                    ),
                )
                for h in hooks
            ],
        )

    async def _load_usage(self, failures: list[str]) -> None:
        from coditect_tui.core.usage_report import usage_lines

        try:
            usage = await self.backend.usage()
        except CoditectError as exc:
            failures.append(f"usage: {safe_text(exc)}")
            return
        self.query_one("#admin-usage", Static).update(Text("\n".join(usage_lines(usage))))

    # -- changes ----------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        from coditect_tui.ui.screens.dialogs import TextPrompt

        def named(name: str | None) -> None:
            if name:
                self._ask_role(name, lambda role: self._change("add", name, role))

        self.app.push_screen(TextPrompt("Add member", "The new member's name:"), named)

    def action_role(self) -> None:
        selected = self._selected("admin-members")
        if selected is not None:
            name = selected[0]
            self._ask_role(name, lambda role: self._change("role", name, role))

    def _ask_role(self, name: str, then: Any) -> None:
        from coditect_tui.core.policy import shipped_policy
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        roles = [(role, role) for role in shipped_policy().roles]

        def chosen(role: str | None) -> None:
            if role:
                then(role)

        self.app.push_screen(ChoiceDialog("Role", f"The role of {safe_text(name)}:", roles), chosen)

    def action_expiry(self) -> None:
        from coditect_tui.ui.screens.dialogs import TextPrompt

        selected = self._selected("admin-members")
        if selected is None:
            return
        name = selected[0]

        def given(value: str | None) -> None:
            if value is not None:
                self._change("expiry", name, value)

        prompt = TextPrompt(
            "Grant expiry",
            f"When the grant of {safe_text(name)} ends (YYYY-MM-DD, empty for never):",
            placeholder="YYYY-MM-DD",
            allow_empty=True,
        )
        self.app.push_screen(prompt, given)

    def action_remove(self) -> None:
        from coditect_tui.ui.screens.dialogs import TypedConfirmation

        table = {
            "members": "admin-members",
            "keys": "admin-keys",
            "flags": "admin-flags",
            "hooks": "admin-hooks",
        }
        selected = self._selected(table[self.tab])
        if selected is None:
            return
        what, detail = {
            "members": ("Remove member", "Their API keys in this tenant are revoked too."),
            "keys": ("Revoke API key", "Programs using it stop working at once."),
            "flags": ("Clear override", "The tier and flags.yaml decide again."),
            "hooks": ("Remove webhook", "Its queued and logged deliveries are deleted."),
        }[self.tab]
        expected = {"keys": "revoke", "hooks": "remove"}.get(self.tab, selected[0])
        tab = self.tab

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._change(f"remove-{tab}", *selected)

        self.app.push_screen(TypedConfirmation(what, [detail], expected), confirmed)

    def action_new_key(self) -> None:
        self._change("new-key", "", None)

    @work(group="admin-change")
    async def _change(self, kind: str, name: str, value: str | None) -> None:
        backend = self.backend
        try:
            if kind == "add":
                await backend.add_member(name, value or "viewer")
                done = f"Added {name} as {value}."
            elif kind == "role":
                await backend.set_member_role(name, value or "viewer")
                done = f"{name} is now {value}."
            elif kind == "expiry":
                ends = _parse_day(value or "")
                await backend.set_member_expiry(name, ends)
                done = f"The grant of {name} ends {_day(ends)}."
            elif kind == "remove-members":
                await backend.remove_member(name)
                done = f"Removed {name}."
            elif kind == "remove-keys":
                revoked = await backend.revoke_api_key(name)
                done = f"Revoked key {revoked.prefix}…."
            elif kind == "remove-flags":
                await backend.clear_flag(name, stakeholder=value)
                done = f"Cleared the override of {name}."
            elif kind == "remove-hooks":
                await backend.remove_webhook(name)
                done = "Removed the webhook."
            else:
                new = await backend.create_api_key()
                self._show_secret(new.info.prefix, new.secret)
                done = f"Created key {new.info.prefix}…."
        except (CoditectError, ValueError) as exc:
            self._status(f"! {safe_text(exc)}", error=True)
            return
        self._status(safe_text(done))
        self.reload()

    def _show_secret(self, prefix: str, secret: str) -> None:
        from coditect_tui.ui.screens.dialogs import TextPrompt

        prompt = TextPrompt(
            f"New API key {safe_text(prefix)}…",
            "Copy the secret now: it is shown once and stored nowhere (enter or escape closes).",
            value=secret,
            allow_empty=True,
        )
        self.app.push_screen(prompt)


def _parse_day(value: str) -> datetime | None:
    """``YYYY-MM-DD`` as the end of that day in UTC (None for an empty value).

    Raises:
        ValueError: not a date of that form.
    """
    if not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"not a date of the form YYYY-MM-DD: {value!r}") from None
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)
