"""The Invitations tab: pending invitations, inviting (the join line shown once) and
withdrawing, all through the Backend contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.screens.admin.common import Row, cells, day, parse_day

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.tenant.session import TenantSession


async def invite_rows(backend: Backend) -> list[Row]:
    """Who is invited, as what, when their membership would end, until when the token
    may be accepted, who invited and when."""
    return [
        (
            (i.id, None),
            cells(
                i.name,
                i.role,
                day(i.expires_at),
                day(i.valid_until),
                i.created_by,
                day(i.created_at),
            ),
        )
        for i in await backend.list_invitations()
    ]


def join_line(session: TenantSession, token: str) -> str:
    """The command the invited person runs: the tenant API's URL (a placeholder for a
    local tenant, which is joined through its tenant API) and the token."""
    from coditect_tui.core.settings import RemoteBackendConfig

    backend = session.profile.backend
    url = backend.url if isinstance(backend, RemoteBackendConfig) else "<tenant API URL>"
    return f"coditect join {url} {token}"


class InvitesTab:
    """The AdminScreen's invitation actions (a mixin of the screen)."""

    app: Any
    session: TenantSession
    _apply: Callable[..., Any]
    _show_once: Callable[[str, str, str], None]
    ask_role: Callable[[str, Callable[[str], None]], None]

    def action_invite(self) -> None:
        """Ask for a name, a role and when the membership ends, then invite."""
        from coditect_tui.ui.screens.dialogs import TextPrompt

        def ends(name: str, role: str) -> None:
            prompt = TextPrompt(
                "Invitation",
                f"When the membership of {safe_text(name)} as {safe_text(role)} ends "
                "(YYYY-MM-DD; empty for never, which an auditor may not have):",
                placeholder="YYYY-MM-DD",
                allow_empty=True,
            )

            def given(value: str | None) -> None:
                if value is not None:
                    self._apply(self._invite(name, role, value))

            self.app.push_screen(prompt, given)

        def named(name: str | None) -> None:
            if name:
                self.ask_role(name, lambda role: ends(name, role))

        self.app.push_screen(TextPrompt("Invite", "The invited person's name:"), named)

    def _invite(self, name: str, role: str, value: str) -> Callable[[Backend], Any]:
        async def change(backend: Backend) -> str:
            new = await backend.create_invitation(name, role, expires_at=parse_day(value))
            self._show_once(
                f"Invitation for {safe_text(name)}",
                f"Give {safe_text(name)} this line before {day(new.info.valid_until)}: it is "
                "shown once and only its hash is stored (enter or escape closes).",
                join_line(self.session, new.token),
            )
            return f"Invited {name} as {role}."

        return change


def withdraw(invitation_id: str) -> Callable[[Backend], Any]:
    """The change that withdraws (revokes) a pending invitation."""

    async def change(backend: Backend) -> str:
        await backend.revoke_invitation(invitation_id)
        return "Withdrew the invitation: its token no longer works."

    return change
