"""The store's openers, found by ``coditect_tui.core.factory`` through entry points.

``open_local`` is the ``local`` backend (group ``coditect.backends``); ``open_database``
is the ``sql`` store opener (group ``coditect.stores``) for a database named by a path or
URL. SQLAlchemy is imported only when one of them runs.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.contract.opening import Provision
    from coditect_tui.core.policy import Policy
    from coditect_tui.core.settings import TenantProfile


async def open_local(
    profile: TenantProfile, *, read_only: bool = False, policy: Policy | None = None
) -> Backend:
    """Open a local profile's SQLite store for its principal in its tenant.

    The tenant and membership are provisioned on first use (the file's owner is trusted;
    see docs/security.md) unless read-only.

    Args:
        profile: a profile whose backend is ``{kind: local}``.
        read_only: refuse every change (and provision nothing).
        policy: roles and tiers (default: the shipped ones).

    Returns:
        The open store.

    Raises:
        BackendUnavailable: the store cannot be opened.
        ConfigError: the profile's backend is not local, or an unknown role or tier.
        NotFound, PermissionDenied: read-only and the tenant or membership does not exist.
    """
    # SQLAlchemy's import takes a while: in a thread, so the caller's event loop (the
    # app drawing the live tree) keeps running meanwhile
    await asyncio.to_thread(importlib.import_module, "coditect_store.store")
    from coditect_store.store import SqlStore
    from coditect_tui.core.contract.opening import Provision
    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.settings import LocalBackendConfig

    backend = profile.backend
    if not isinstance(backend, LocalBackendConfig):
        raise ConfigError(f"profile {profile.name!r} is not a local profile")
    store: Backend = await SqlStore.open_sqlite(
        backend.store_path(),
        tenant=profile.name,
        principal=profile.principal_name(),
        read_only=read_only,
        policy=policy,
        provision=Provision(display_name=profile.title, tier=profile.tier, role=profile.role),
        platform_admin=profile.platform_admin,
    )
    return store


async def open_database(
    db: str,
    *,
    tenant: str,
    principal: str,
    read_only: bool = False,
    provision: Provision | None = None,
    policy: Policy | None = None,
) -> Backend:
    """Open the store in ``db`` (a ``postgresql://`` URL or a SQLite file path).

    Args:
        db: the database; a PostgreSQL URL names the app role and needs a migrated schema.
        tenant: the tenant's name.
        principal: who acts.
        read_only: refuse every change.
        provision: create a missing tenant or membership (None: both must exist, and the
            principal acts in its membership's role).
        policy: roles and tiers (default: the shipped ones).

    Returns:
        The open store.

    Raises:
        BackendUnavailable: the database cannot be opened or is not migrated.
        NotFound: the tenant does not exist (no provision).
        PermissionDenied: the principal is not a member (no provision).
    """
    from coditect_store.engine import is_postgres_url
    from coditect_store.store import SqlStore

    store: Backend
    if is_postgres_url(db):
        store = await SqlStore.open_postgres(
            db,
            tenant=tenant,
            principal=principal,
            read_only=read_only,
            provision=provision,
            policy=policy,
        )
    else:
        store = await SqlStore.open_sqlite(
            db,
            tenant=tenant,
            principal=principal,
            read_only=read_only,
            provision=provision,
            policy=policy,
        )
    return store
