"""The open tenant and who acts in it.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from coditect_tui.core.contract.kinds import reads
from coditect_tui.core.models import (
    Principal,
    Tenant,
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
