"""The open tenant and who acts in it.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    Principal,
    Tenant,
    TenantState,
)


class TenantsApi(ABC):
    """The open tenant and who acts in it."""

    @reads
    @abstractmethod
    async def whoami(self) -> Principal:
        """Who this backend acts as.

        Returns:
            The principal's name, role in the open tenant, the tenant's name and whether
            the backend is read-only. Needs no permission.
        """

    @reads
    @abstractmethod
    async def get_tenant(self) -> Tenant:
        """The open tenant. Needs no permission."""

    @reads
    @abstractmethod
    async def list_tenants(self) -> list[Tenant]:
        """Every tenant in which this principal holds a membership (for portfolios).

        Returns:
            Tenants ordered by name; the open tenant is always among them.
        """

    @mutates
    @abstractmethod
    async def create_tenant(
        self, name: str, *, tier: str, owner: str, display_name: str | None = None
    ) -> Tenant:
        """Create another tenant, ``active``, in ``tier``, with ``owner`` as its first
        owner. Only a platform administrator may (docs/security.md, "Tenant lifecycle");
        a refusal is audited in the open tenant as ``tenants.create`` denied. The tier's
        quotas and features apply to the new tenant from its first call. Audited in the
        new tenant's chain (``tenants.create``, then ``members.create`` of the owner).

        Args:
            name: the new tenant's name (unique in the deployment).
            tier: a tier of tiers.yaml.
            owner: the principal who becomes its owner.
            display_name: shown in headers (default: ``name``).

        Returns:
            The new tenant.

        Raises:
            InvalidInput: an empty or too long name or owner, or an unknown tier.
            Conflict: a tenant of that name exists.
            PermissionDenied: not a platform administrator (audited as denied).
        """

    @mutates
    @abstractmethod
    async def set_tenant_state(self, name: str, state: TenantState) -> Tenant:
        """Move another tenant through its lifecycle: ``active`` -> ``suspended`` (resume
        back to ``active``) -> ``offboarded`` (read-only; can still be made ``active``)
        -> ``archived`` (for good). Only a platform administrator may, and never on the
        tenant it acts in; a refusal is audited in the open tenant as
        ``tenants.<verb>`` denied. Audited in that tenant's chain as ``tenants.suspend``,
        ``tenants.resume``, ``tenants.offboard`` or ``tenants.archive`` (details: the old
        and new state). Asking for the state it is in changes and records nothing.

        Args:
            name: the tenant's name.
            state: the state it moves to.

        Returns:
            The tenant in its new state.

        Raises:
            InvalidInput: an unknown state, or the open tenant.
            NotFound: no tenant of that name.
            Conflict: a move the lifecycle does not allow (e.g. out of ``archived``).
            PermissionDenied: not a platform administrator (audited as denied).
        """
