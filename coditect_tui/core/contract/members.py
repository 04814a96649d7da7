"""Members of the tenant and their API keys.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    ApiKeyInfo,
    Erasure,
    Member,
    NewApiKey,
)


class MembersApi(ABC):
    """Members of the tenant and their API keys."""

    @reads
    @abstractmethod
    async def list_members(self) -> list[Member]:
        """Members of the open tenant, ordered by name. Needs members.read."""

    @mutates
    @abstractmethod
    async def add_member(
        self, name: str, role: str, *, expires_at: datetime | None = None
    ) -> Member:
        """Add a principal to the open tenant.

        Needs members.create, and members.admin for the roles owner and admin.

        Args:
            name: the principal.
            role: their role.
            expires_at: when the grant ends (aware); required for a role with
                ``requires_grant_expiry`` (auditor), optional for the others. From then on
                every call of that principal in this tenant is refused, and its keys stop
                working.

        Raises:
            Conflict: already a member.
            QuotaExceeded: the tier's member quota is reached.
            InvalidInput: unknown role; an expiry missing where the role requires one, not
                in the future, or more than ten years away.
        """

    @mutates
    @abstractmethod
    async def set_member_role(self, name: str, role: str) -> Member:
        """Change a member's role.

        Needs members.update, and members.admin when the old or new role is owner or
        admin.

        Raises:
            NotFound: not a member.
            InvalidInput: unknown role, or a role requiring an expiry for a member whose
                grant has none (set one first with ``set_member_expiry``).
            Conflict: it would leave the tenant without an owner.
        """

    @mutates
    @abstractmethod
    async def set_member_expiry(self, name: str, expires_at: datetime | None) -> Member:
        """Extend or shorten a member's grant (one ``members.expiry`` audit event with the
        old and the new end).

        Needs members.update (owners and admins), and members.admin when the member is an
        owner or admin. Nobody changes their own grant.

        Args:
            name: the member.
            expires_at: the new end (aware, in the future); None for no end, refused for a
                role with ``requires_grant_expiry``.

        Returns:
            The member with the new end.

        Raises:
            NotFound: not a member.
            PermissionDenied: not an owner or admin, or the caller's own grant.
            InvalidInput: no end for a role that requires one; an end not in the future or
                more than ten years away.
        """

    @mutates
    @abstractmethod
    async def remove_member(self, name: str) -> None:
        """Remove a member (and revoke their keys in this tenant).

        Needs members.delete, and members.admin for an owner or admin.

        Raises:
            NotFound: not a member.
            Conflict: it would leave the tenant without an owner.
        """

    @mutates
    @abstractmethod
    async def erase_principal(self, name: str, *, keep_chained: bool = False) -> Erasure:
        """Erase a person's personal data from the tenant while the audit chain still
        verifies (docs/security.md, "Erasure").

        Removes the membership, revokes their keys, deletes pending invitations for them,
        rewrites every stored author column that holds the name to their pseudonymous
        id, empties the free text of their git sessions, deletes the memory entries they
        indexed, purges webhook payloads that name them, forgets the name (the id stays,
        shown as ``erased principal #<id>``) and appends ``members.erase`` naming only
        the id. A SQLite store is then rewritten so no stale page or WAL frame holds it.

        Needs members.delete, and members.admin for an owner or admin; nobody erases
        themselves. A former member may be erased too.

        Args:
            name: the person's principal name.
            keep_chained: erase even though audit events still hold the name inside the
                hash chain (``Erasure.chained_events``); without it such a person is
                refused with ``Conflict`` and nothing changes.

        Returns:
            What was done.

        Raises:
            NotFound: the tenant knows nothing of ``name``.
            Conflict: the tenant would be left without an owner, or events hold the name
                inside the chain and ``keep_chained`` is False.
            PermissionDenied: not allowed (audited), or the caller's own name.
        """

    @mutates
    @abstractmethod
    async def create_api_key(
        self,
        *,
        principal: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
    ) -> NewApiKey:
        """Create an API key bound to a principal, this tenant and a role.

        Args:
            principal: the key's principal (default: the caller). Another principal needs
                api_keys.admin.
            role: the key's role (default: the principal's role); never above the
                principal's own role.
            expires_at: expiry; required for the auditor role.

        Returns:
            The key's listing and its secret, shown once; only a sha256 is stored.

        Raises:
            NotFound: the principal is not a member.
            InvalidInput: unknown role, a role above the principal's, an expiry in the
                past, or an auditor key without expiry.
        """

    @reads
    @abstractmethod
    async def list_api_keys(self) -> list[ApiKeyInfo]:
        """Keys of the tenant (only the caller's own with an ``own`` scope), newest first."""

    @mutates
    @abstractmethod
    async def revoke_api_key(self, key_id: str) -> ApiKeyInfo:
        """Revoke a key (needs api_keys.delete; own keys only with an ``own`` scope).

        Raises:
            NotFound: no such key in this tenant.
        """
