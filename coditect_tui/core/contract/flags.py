"""Feature flags of the open tenant: overrides of tier features, stored per tenant.

Part of the Backend contract (coditect_tui.core.backend). The decision itself is the
policy's (``Policy.feature_decision``): stored overrides act below the ceiling that
the tier and flags.yaml set (coditect_tui.core.flags).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.flags import FeatureFlag


class FlagsApi(ABC):
    """Stored feature flag overrides of the open tenant."""

    @reads
    @abstractmethod
    async def list_flags(self) -> list[FeatureFlag]:
        """The tenant's stored overrides, by feature then stakeholder (the tenant-wide
        one first). Needs members.read.
        """

    @mutates
    @abstractmethod
    async def set_flag(
        self, feature: str, enabled: bool, *, stakeholder: str | None = None
    ) -> FeatureFlag:
        """Switch a tier feature on or off for the tenant, or for one member of it
        (replacing an override already stored for the same feature and stakeholder).

        Needs members.update (owners and admins), and members.admin when the stakeholder
        is an owner or admin. Audited (``members.flag_set``). Takes effect for the next
        call of every handle on the server, and of this handle; another local handle
        reads overrides when it opens. ``enabled=True`` switches a feature on only where
        the tier and flags.yaml leave it on (it undoes a stored tenant-wide "off" for a
        member).

        Args:
            feature: a tiers.yaml feature (not ``remote_api``: switching it off through
                the API would lock the tenant out of the API that switches it back).
            enabled: on or off.
            stakeholder: a member's name; None for the whole tenant.

        Returns:
            The stored override.

        Raises:
            InvalidInput: unknown feature, ``remote_api``, or an empty stakeholder.
            NotFound: the stakeholder is not a member.
            PermissionDenied: not an owner or admin (audited as denied).
        """

    @mutates
    @abstractmethod
    async def clear_flag(self, feature: str, *, stakeholder: str | None = None) -> None:
        """Remove a stored override (the layers below decide again). Same permissions as
        ``set_flag``; audited (``members.flag_clear``).

        Raises:
            NotFound: no such override.
            PermissionDenied: not an owner or admin (audited as denied).
        """
