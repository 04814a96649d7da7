"""What every command needs: settings, the chosen profile, and a way to open its backend."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pydantic models load on first use, not at `coditect` start-up
    from pydantic import BaseModel

    from coditect_tui.core.backend import Backend
    from coditect_tui.core.settings import LoadedSettings, TenantProfile

T = TypeVar("T")


@dataclass
class CliContext:
    """Lazily loaded settings and profile for one command run."""

    config_path: Path | None
    tenant: str | None
    read_only_flag: bool
    _loaded: LoadedSettings | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CliContext:
        """Read the common options (they may come before or after the sub-command)."""
        config = getattr(args, "config", None)
        return cls(
            config_path=Path(config) if config else None,
            tenant=getattr(args, "tenant", None),
            read_only_flag=bool(getattr(args, "read_only", False)),
        )

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

        Raises:
            ConfigError: no such tenant.
        """
        return self.loaded.settings.profile(name or self.tenant or self.loaded.tenant_override)

    async def open_backend(self, name: str | None = None) -> Backend:
        """Open the chosen profile's backend (read-only when asked)."""
        from coditect_tui.core.factory import open_backend

        return await open_backend(self.profile(name), read_only=self.read_only)

    def run(self, work: Callable[[Backend], Awaitable[T]], name: str | None = None) -> T:
        """Open the backend, run ``work`` with it, close it, return the result."""
        import asyncio

        async def main() -> T:
            backend = await self.open_backend(name)
            try:
                return await work(backend)
            finally:
                await backend.close()

        return asyncio.run(main())


def print_items(
    items: Sequence[BaseModel],
    *,
    as_json: bool,
    line: Callable[[Any], str],
    empty: str | None = None,
) -> None:
    """Print ``items`` as an indented JSON array, or one ``line(item)`` each (``empty``
    when there are none)."""
    if as_json:
        import orjson

        print(
            orjson.dumps(
                [item.model_dump(mode="json") for item in items], option=orjson.OPT_INDENT_2
            ).decode()
        )
        return
    for item in items:
        print(line(item))
    if not items and empty is not None:
        print(empty)
