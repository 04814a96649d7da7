"""The Members and API keys tabs: rows, and adding, changing and removing members and
creating keys (whose secret is shown once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.screens.admin.common import Row, cells, day, parse_day

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.tenant.session import TenantSession


async def member_rows(session: TenantSession, backend: Backend) -> list[Row]:
    """Name, role, grant end, since, and the day of their last recorded action."""
    members = await backend.list_members()
    seen = await _last_seen(session, backend, [m.name for m in members])
    return [
        (
            (m.name, None),
            cells(m.name, m.role, day(m.expires_at), day(m.created_at), seen.get(m.name, "—")),
        )
        for m in members
    ]


async def _last_seen(session: TenantSession, backend: Backend, names: list[str]) -> dict[str, str]:
    """Each member's last recorded action (the newest audit event they made), by day;
    reads are not recorded, so a member who only reads is not "seen"."""
    from coditect_tui.core.models import AuditFilter

    if not session.may("READ", "AUDIT"):
        return {}
    seen: dict[str, str] = {}
    for name in names:  # one indexed lookup each (tenant, actor, seq)
        page = await backend.query_audit(AuditFilter(actor=name), limit=1)
        if page.items:
            seen[name] = day(datetime.fromisoformat(page.items[0].ts))
    return seen


async def key_rows(backend: Backend) -> list[Row]:
    """Prefix, principal, role, created, expiry, state."""
    return [
        (
            (k.id, None),
            cells(
                f"{k.prefix}…",
                k.principal,
                k.role,
                day(k.created_at),
                day(k.expires_at),
                "revoked" if k.revoked_at is not None else "active",
            ),
        )
        for k in await backend.list_api_keys()
    ]


class MembersTab:
    """The AdminScreen's member and key actions (a mixin of the screen)."""

    app: Any
    _apply: Callable[..., Any]
    _selected: Callable[[str], tuple[str, str | None] | None]
    _show_once: Callable[[str, str, str], None]

    def action_add(self) -> None:
        from coditect_tui.ui.screens.dialogs import TextPrompt

        def named(name: str | None) -> None:
            if name:
                self.ask_role(name, lambda role: self._apply(_add(name, role)))

        self.app.push_screen(TextPrompt("Add member", "The new member's name:"), named)

    def action_role(self) -> None:
        selected = self._selected("admin-members")
        if selected is not None:
            name = selected[0]
            self.ask_role(name, lambda role: self._apply(_role(name, role)))

    def ask_role(self, name: str, then: Callable[[str], None]) -> None:
        """Offer the roles for ``name``, then call ``then`` with the chosen one."""
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
                self._apply(_expiry(name, value))

        prompt = TextPrompt(
            "Grant expiry",
            f"When the grant of {safe_text(name)} ends (YYYY-MM-DD, empty for never):",
            placeholder="YYYY-MM-DD",
            allow_empty=True,
        )
        self.app.push_screen(prompt, given)

    def action_new_key(self) -> None:
        async def create(backend: Backend) -> str:
            new = await backend.create_api_key()
            self._show_once(
                f"New API key {safe_text(new.info.prefix)}…",
                "Copy the secret now: it is shown once and stored nowhere "
                "(enter or escape closes).",
                new.secret,
            )
            return f"Created key {new.info.prefix}…."

        self._apply(create)


def _add(name: str, role: str) -> Callable[[Backend], Any]:
    async def change(backend: Backend) -> str:
        await backend.add_member(name, role)
        return f"Added {name} as {role}."

    return change


def _role(name: str, role: str) -> Callable[[Backend], Any]:
    async def change(backend: Backend) -> str:
        await backend.set_member_role(name, role)
        return f"{name} is now {role}."

    return change


def _expiry(name: str, value: str) -> Callable[[Backend], Any]:
    async def change(backend: Backend) -> str:
        ends = parse_day(value)
        await backend.set_member_expiry(name, ends)
        return f"The grant of {name} ends {day(ends)}."

    return change
