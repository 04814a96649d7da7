"""What every command needs: the run context (core/run_context.py) from the parsed options.

Printing helpers (one output style for every command) are in ``output.py``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from coditect_tui.core.run_context import RunContext

if TYPE_CHECKING:  # argparse is not imported for a plain app start (cli.app_options)
    import argparse
    from types import SimpleNamespace


class AddCommon(Protocol):
    """What ``register(sub, add_common)`` is given: adds the common options to a parser."""

    def __call__(
        self, parser: argparse.ArgumentParser, only: Collection[str] | None = None
    ) -> None:
        """Add ``--config``, ``--tenant``, ``--read-only`` (``only`` those named)."""


@dataclass
class CliContext(RunContext):
    """A :class:`~coditect_tui.core.run_context.RunContext` made from the parsed options."""

    @classmethod
    def from_args(cls, args: argparse.Namespace | SimpleNamespace) -> CliContext:
        """Read the common options (they may come before or after the sub-command)."""
        config = getattr(args, "config", None)
        return cls(
            config_path=Path(config) if config else None,
            tenant=getattr(args, "tenant", None),
            read_only_flag=bool(getattr(args, "read_only", False)),
        )
