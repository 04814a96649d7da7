"""The one opening point: backends, stores and the server, found through entry points.

No backend package is named here. Each package declares its openers in pyproject.toml
(``[project.entry-points."coditect.backends"]`` and friends, see
:mod:`coditect_tui.core.contract.opening`); this module looks them up with
:func:`importlib.metadata.entry_points` once per group (cached) and imports a backend
package only when something is opened.

A missing or broken entry point ends in one line: ``ConfigError`` when nothing of that
name is installed (e.g. a profile's ``kind`` that no package provides),
``BackendUnavailable`` when it is installed but cannot be loaded.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any, cast

from coditect_tui.core.contract.opening import Provision

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from coditect_tui.core.backend import Backend
    from coditect_tui.core.contract.migration import StoreMigrator
    from coditect_tui.core.contract.opening import BackendOpener, ServerLauncher, StoreOpener
    from coditect_tui.core.policy import Policy
    from coditect_tui.core.settings import TenantProfile

__all__ = [
    "BACKENDS_GROUP",
    "MIGRATORS_GROUP",
    "SERVER_GROUP",
    "STORES_GROUP",
    "Provision",
    "backend_kinds",
    "clear_cache",
    "open_backend",
    "open_store",
    "preload_backend",
    "server_launcher",
    "store_migrator",
]

#: Entry point group of the profile backends (one per ``backend.kind``).
BACKENDS_GROUP = "coditect.backends"
#: Entry point group of the store openers for a database named by path or URL.
STORES_GROUP = "coditect.stores"
#: Entry point group of the tenant API server launcher.
SERVER_GROUP = "coditect.server"
#: Entry point group of the store migrators (``coditect migrate``).
MIGRATORS_GROUP = "coditect.migrators"
#: The store opener used by :func:`open_store`.
DEFAULT_STORE = "sql"
#: The launcher used by :func:`server_launcher`.
DEFAULT_SERVER = "serve"


@functools.cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    """The installed entry points of ``group`` by name (read once per process)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=group)}


@functools.cache
def _load(group: str, name: str) -> Any:
    """The object entry point ``name`` of ``group`` names (imported once).

    Raises:
        ConfigError: no such entry point is installed.
        BackendUnavailable: it is installed but cannot be imported.
    """
    from coditect_tui.core.errors import BackendUnavailable, ConfigError

    found = _entry_points(group)
    entry = found.get(name)
    if entry is None:
        known = ", ".join(sorted(found)) or "none"
        raise ConfigError(
            f"no {name!r} in entry point group {group!r} (installed: {known}); "
            "reinstall coditect-tui"
        )
    try:
        return entry.load()
    except Exception as exc:  # ImportError, AttributeError, or whatever the import raised
        first = (str(exc).splitlines() or [""])[0]
        raise BackendUnavailable(
            f"{group} {name!r} ({entry.value}) cannot be loaded: {type(exc).__name__}: {first}"
        ) from None


def clear_cache() -> None:
    """Forget the entry points read so far (after installing a package, and in tests)."""
    _entry_points.cache_clear()
    _load.cache_clear()


def preload_backend(kind: str) -> None:
    """Look up and import the opener of backend ``kind`` now, for a later :func:`open_backend`.

    Reading the entry points and importing the opener take a while; a caller with other
    work to do (``coditect status`` runs git meanwhile) calls this in a worker thread.
    A failure is left for :func:`open_backend` to raise, in its own words.

    Args:
        kind: a profile's ``backend.kind``.
    """
    from coditect_tui.core.errors import CoditectError

    with contextlib.suppress(CoditectError):
        _load(BACKENDS_GROUP, kind)


def backend_kinds() -> list[str]:
    """The backend kinds a profile may name (the installed ``coditect.backends``).

    Returns:
        The kinds, sorted.
    """
    return sorted(_entry_points(BACKENDS_GROUP))


async def open_backend(
    profile: TenantProfile, *, read_only: bool = False, policy: Policy | None = None
) -> Backend:
    """Open ``profile``'s backend for its principal in its tenant.

    A local profile provisions its tenant and membership on first use (the file's owner
    is trusted; see docs/security.md) unless read-only. A remote profile (``backend:
    {kind: remote, url, token_env | token_file | keyring}``) gets an httpx client of the
    tenant API; it contacts the server on its first call, not here (docs/server.md).

    Args:
        profile: the tenant profile; ``profile.backend.kind`` picks the entry point.
        read_only: refuse every change.
        policy: roles and tiers for a local store (default: the shipped ones).

    Returns:
        The open backend.

    Raises:
        ConfigError: no backend of that kind is installed; or a remote profile without a
            usable token (missing variable, keyring entry or file, or a token file
            readable by group or others).
        BackendUnavailable: the backend cannot be loaded, or the store cannot be opened.
        NotFound, PermissionDenied: read-only and the tenant or membership does not exist.
    """
    opener = cast("BackendOpener", _load(BACKENDS_GROUP, profile.backend.kind))
    return await opener(profile, read_only=read_only, policy=policy)


async def open_store(
    db: str,
    *,
    tenant: str,
    principal: str,
    read_only: bool = False,
    provision: Provision | None = None,
    policy: Policy | None = None,
) -> Backend:
    """Open a store database directly, by path or URL (administration, portfolios).

    Args:
        db: a SQLite file path, or a ``postgresql://`` URL of the app role.
        tenant: the tenant's name.
        principal: who acts.
        read_only: refuse every change.
        provision: create a missing tenant or membership this way (None: both must
            exist, and the principal acts in its membership's role).
        policy: roles and tiers (default: the shipped ones).

    Returns:
        The open store.

    Raises:
        ConfigError: no store opener is installed.
        BackendUnavailable: it cannot be loaded, or the database cannot be opened.
        NotFound: the tenant does not exist (no provision).
        PermissionDenied: the principal is not a member (no provision).
    """
    opener = cast("StoreOpener", _load(STORES_GROUP, DEFAULT_STORE))
    return await opener(
        db,
        tenant=tenant,
        principal=principal,
        read_only=read_only,
        provision=provision,
        policy=policy,
    )


def server_launcher() -> ServerLauncher:
    """The tenant API's launcher (``coditect serve``).

    Returns:
        An object with ``check`` and ``serve`` (see ``ServerLauncher``).

    Raises:
        ConfigError: no server is installed.
        BackendUnavailable: it cannot be loaded.
    """
    return cast("ServerLauncher", _load(SERVER_GROUP, DEFAULT_SERVER))


def store_migrator() -> StoreMigrator:
    """The store's migrator (``coditect migrate``).

    Returns:
        A coroutine function (see ``StoreMigrator``).

    Raises:
        ConfigError: no migrator is installed.
        BackendUnavailable: it cannot be loaded.
    """
    return cast("StoreMigrator", _load(MIGRATORS_GROUP, DEFAULT_STORE))
