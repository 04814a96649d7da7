"""What ``core/factory.py`` and the backend packages' openers agree on.

The factory finds openers through entry points (pyproject ``[project.entry-points]``):

* ``coditect.backends``: one :class:`BackendOpener` per profile kind (``local``,
  ``remote``), called with a tenant profile;
* ``coditect.stores``: a :class:`StoreOpener` (``sql``) that opens a store database named
  by a path or URL for an administrator (``coditect keys create --db``, portfolios);
* ``coditect.server``: a :class:`ServerLauncher` (``serve``) for ``coditect serve``;
* ``coditect.migrators``: a ``StoreMigrator`` (``sql``, ``core/contract/migration.py``)
  for ``coditect migrate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coditect_tui.core.contract.backend import Backend
    from coditect_tui.core.policy import Policy
    from coditect_tui.core.settings import TenantProfile


@dataclass(frozen=True)
class Provision:
    """How to create a tenant and membership that do not exist yet (local profiles).

    Attributes:
        display_name: the tenant's display name.
        tier: the tenant's tier (tiers.yaml).
        role: the role the local principal acts in (roles.yaml).
        new_tenant_only: create a missing tenant (its creator its owner) but never a
            membership in an existing one; an existing tenant must be in ``tier``
            (``keys create --db --tier``, the bootstrap of a tenant's first owner).
    """

    display_name: str
    tier: str
    role: str
    new_tenant_only: bool = False


class BackendOpener(Protocol):
    """Opens the backend of one profile kind (entry point group ``coditect.backends``)."""

    async def __call__(
        self, profile: TenantProfile, *, read_only: bool = False, policy: Policy | None = None
    ) -> Backend:
        """Open ``profile``'s backend for its principal in its tenant.

        Args:
            profile: the tenant profile (its ``backend.kind`` chose this opener).
            read_only: refuse every change.
            policy: roles and tiers (default: the shipped ones; a remote backend ignores
                it, its server decides).

        Returns:
            The open backend.

        Raises:
            BackendUnavailable: the storage cannot be opened.
            ConfigError: the profile's backend settings are unusable.
            NotFound, PermissionDenied: the tenant or membership does not exist.
        """
        ...


class StoreOpener(Protocol):
    """Opens a store database directly (entry point group ``coditect.stores``)."""

    async def __call__(
        self,
        db: str,
        *,
        tenant: str,
        principal: str,
        read_only: bool = False,
        provision: Provision | None = None,
        policy: Policy | None = None,
    ) -> Backend:
        """Open the store at ``db`` for ``principal`` in ``tenant``.

        Args:
            db: a SQLite file path, or a ``postgresql://`` URL of the app role.
            tenant: the tenant's name.
            principal: who acts.
            read_only: refuse every change.
            provision: create a missing tenant or membership this way (None: both must
                exist, and the principal acts in its membership's role).
            policy: roles and tiers (default: the shipped ones).

        Returns:
            The open backend.

        Raises:
            BackendUnavailable: the database cannot be opened.
            NotFound: the tenant does not exist (no provision).
            PermissionDenied: the principal is not a member (no provision).
        """
        ...


class ServerLauncher(Protocol):
    """Runs the tenant API (entry point group ``coditect.server``)."""

    async def check(self, db: str, *, migrate_url: str | None = None) -> None:
        """Migrate first when asked, then open and close the database as the server would.

        Args:
            db: the server's database (``postgresql://`` URL or SQLite path).
            migrate_url: the schema owner's URL to migrate with first (None: no migration).

        Raises:
            BackendUnavailable: unreachable, not migrated, or an unsafe database role.
            ConfigError: a server setting in the environment is invalid.
        """
        ...

    def serve(
        self,
        db: str,
        *,
        host: str,
        port: int,
        workers: int,
        pool_size: int,
        log_level: str,
        access_log: bool = True,
        metrics: bool = True,
        webhook_allow: tuple[str, ...] = (),
        platform_admins: tuple[str, ...] = (),
    ) -> None:
        """Serve until interrupted (SIGINT/SIGTERM).

        Args:
            db: the server's database.
            host: the address to bind.
            port: the port to bind.
            workers: worker processes.
            pool_size: database connections per worker.
            log_level: uvicorn's log level.
            access_log: write one JSON line per request to stderr (docs/server.md).
            metrics: serve ``/metrics`` (docs/server.md).
            webhook_allow: networks (CIDR) webhooks may reach although private,
                loopback or link-local (docs/security.md).
            platform_admins: ``tenant/principal`` entries who create tenants and
                change their state, beside ``$CODITECT_PLATFORM_ADMINS``.
        """
        ...
