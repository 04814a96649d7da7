"""What a run of the CLI or the app needs: settings, the chosen profile, its backend.

Shared by ``coditect_tui.commands`` (``CliContext`` adds the argparse side) and
``coditect_tui.ui.run`` (the app), so the UI never imports the CLI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pydantic models load on first use, not at `coditect` start-up
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.settings import LoadedSettings, TenantProfile

T = TypeVar("T")


@dataclass
class RunContext:
    """Lazily loaded settings and profile for one run.

    Attributes:
        config_path: ``--config`` (None: the user's config file).
        tenant: ``--tenant`` (None: ``$CODITECT_TENANT`` or the default profile).
        read_only_flag: ``--read-only``.
    """

    config_path: Path | None
    tenant: str | None
    read_only_flag: bool
    _loaded: LoadedSettings | None = field(default=None, repr=False)

    @property
    def loaded(self) -> LoadedSettings:
        """The settings (loaded on first use).

        Raises:
            ConfigError: invalid configuration.
        """
        if self._loaded is None:
            from coditect_tui.core.settings import load_settings

            self._loaded = load_settings(self.config_path)
        return self._loaded

    @property
    def read_only(self) -> bool:
        """``--read-only``, ``CODITECT_READ_ONLY`` or ``read_only: true`` in the config."""
        return self.read_only_flag or self.loaded.settings.read_only

    def profile(self, name: str | None = None) -> TenantProfile:
        """The profile to act in: ``name``, ``--tenant``, ``$CODITECT_TENANT`` or the default.

        Args:
            name: a profile name that overrides the others.

        Returns:
            The profile.

        Raises:
            ConfigError: no such tenant.
        """
        return self.loaded.settings.profile(name or self.tenant or self.loaded.tenant_override)

    async def open_backend(self, name: str | None = None) -> Backend:
        """Open the chosen profile's backend (read-only when asked), through the factory.

        Args:
            name: a profile name (default: :meth:`profile`'s choice).

        Returns:
            The open backend; the caller closes it.

        Raises:
            ConfigError, BackendUnavailable, NotFound, PermissionDenied: see
                :func:`coditect_tui.core.factory.open_backend`.
        """
        from coditect_tui.core.factory import open_backend

        return await open_backend(self.profile(name), read_only=self.read_only)

    def run(self, work: Callable[[Backend], Awaitable[T]], name: str | None = None) -> T:
        """Open the backend, run ``work`` with it, close it, return the result.

        Args:
            work: what to do with the open backend.
            name: a profile name (default: :meth:`profile`'s choice).

        Returns:
            What ``work`` returned.

        Raises:
            CoditectError: whatever opening or ``work`` raised.
        """
        import asyncio

        async def main() -> T:
            backend = await self.open_backend(name)
            try:
                return await work(backend)
            finally:
                await backend.close()

        return asyncio.run(main())
