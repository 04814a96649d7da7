"""Invitations to the open tenant: a one-time token that makes its holder a member.

Part of the Backend contract (coditect_tui.core.backend). Nothing is mailed: the token
is returned once and shown to copy; only its sha256 is stored.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.invitations import DEFAULT_VALIDITY, Invitation, Joined, NewInvitation


class InvitationsApi(ABC):
    """Invitations to the open tenant."""

    @mutates
    @abstractmethod
    async def create_invitation(
        self,
        name: str,
        role: str,
        *,
        expires_at: datetime | None = None,
        valid_for: timedelta = DEFAULT_VALIDITY,
    ) -> NewInvitation:
        """Invite a principal into the open tenant (audited: ``members.invite``).

        Needs members.create, and members.admin for the roles owner and admin (as
        ``add_member``); nobody invites to a role above their own.

        Args:
            name: the principal the invitation makes a member.
            role: their role.
            expires_at: when the membership ends (aware); required for a role with
                ``requires_grant_expiry`` (auditor), and not before the invitation's end.
            valid_for: how long the token may be accepted (at most 90 days).

        Returns:
            The invitation and its token, shown once; only a sha256 of the token is stored.

        Raises:
            InvalidInput: unknown role, empty name, a validity out of range, or an expiry
                the role refuses (as ``add_member``) or that ends before the invitation.
            Conflict: already a member, or a pending invitation for the name exists.
            PermissionDenied: not an owner or admin, or a role above the caller's
                (audited as denied).
        """

    @reads
    @abstractmethod
    async def list_invitations(self) -> list[Invitation]:
        """Pending invitations (neither used, revoked nor expired), newest first. Needs
        members.create (those who may invite)."""

    @mutates
    @abstractmethod
    async def revoke_invitation(self, invitation_id: str) -> None:
        """Revoke a pending invitation (audited: ``members.invite_revoke``). Needs
        members.create, and members.admin for an invitation to owner or admin.

        Raises:
            NotFound: no pending invitation with that id.
        """

    @mutates
    @abstractmethod
    async def accept_invitation(self, token: str) -> Joined:
        """Accept an invitation of the open tenant: the token is the credential, whoever
        calls (on the tenant API, ``POST /api/v1/join`` needs no key). Creates the
        membership with the invitation's role and end, and an API key of the new member,
        and spends the token. Audited (``members.join``, by the new member; a refused
        known token is audited as denied).

        Args:
            token: the invitation's token.

        Returns:
            The tenant, the membership and its API key (secret shown once).

        Raises:
            PermissionDenied: ``INVALID_TOKEN``, one message for an unknown, used,
                revoked or expired token.
            Conflict: the invited name became a member meanwhile.
            QuotaExceeded: the tier's member quota is reached.
        """
