"""Open the backend a tenant profile names (imports backend packages only when needed)."""

from __future__ import annotations

from coditect_tui.core.backend import Backend
from coditect_tui.core.policy import Policy
from coditect_tui.core.settings import LocalBackendConfig, TenantProfile


async def open_backend(
    profile: TenantProfile, *, read_only: bool = False, policy: Policy | None = None
) -> Backend:
    """Open ``profile``'s backend for its principal in its tenant.

    A local profile provisions its tenant and membership on first use (the file's owner
    is trusted; see docs/security.md) unless read-only. A remote profile (``backend:
    {kind: remote, url, token_env | token_file | keyring}``) gets an httpx client of the
    tenant API; it contacts the server on its first call, not here (docs/server.md).

    Raises:
        BackendUnavailable: the store cannot be opened.
        ConfigError: a remote profile without a usable token (missing variable, keyring
            entry or file, or a token file readable by group or others).
        NotFound, PermissionDenied: read-only and the tenant or membership does not exist.
    """
    backend = profile.backend
    if isinstance(backend, LocalBackendConfig):
        from coditect_store.base import Provision
        from coditect_store.store import SqlStore

        return await SqlStore.open_sqlite(
            backend.store_path(),
            tenant=profile.name,
            principal=profile.principal_name(),
            read_only=read_only,
            policy=policy,
            provision=Provision(display_name=profile.title, tier=profile.tier, role=profile.role),
        )
    from coditect_remote.client import open_remote

    return await open_remote(profile, read_only=read_only)
