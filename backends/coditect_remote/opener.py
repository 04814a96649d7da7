"""The ``remote`` backend opener (entry point group ``coditect.backends``)."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.policy import Policy
    from coditect_tui.core.settings import TenantProfile


async def open_profile(
    profile: TenantProfile, *, read_only: bool = False, policy: Policy | None = None
) -> Backend:
    """An httpx client of the tenant API for ``profile`` (``backend: {kind: remote, ...}``).

    Opening does not contact the server; the first call does (docs/server.md).

    Args:
        profile: a profile whose backend is ``{kind: remote, url, token_…}``.
        read_only: ask the server to refuse every change (it enforces it).
        policy: ignored (the server's roles and tiers decide).

    Returns:
        The remote backend.

    Raises:
        ConfigError: not a remote profile, or no usable token (a missing variable,
            keyring entry or file, or a token file readable by group or others).
    """
    # httpx's import takes a while: in a thread, so the caller's event loop keeps running
    await asyncio.to_thread(importlib.import_module, "coditect_remote.client")
    from coditect_remote.client import open_remote
    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.settings import RemoteBackendConfig

    if not isinstance(profile.backend, RemoteBackendConfig):
        raise ConfigError(f"profile {profile.name!r} is not a remote profile")
    return await open_remote(profile, read_only=read_only)
