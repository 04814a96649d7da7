"""What every command needs: the run context (core/run_context.py) from the parsed options,
and printing helpers."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.run_context import RunContext

if TYPE_CHECKING:  # pydantic models load on first use, not at `coditect` start-up
    from pydantic import BaseModel


@dataclass
class CliContext(RunContext):
    """A :class:`~coditect_tui.core.run_context.RunContext` made from the parsed options."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CliContext:
        """Read the common options (they may come before or after the sub-command)."""
        config = getattr(args, "config", None)
        return cls(
            config_path=Path(config) if config else None,
            tenant=getattr(args, "tenant", None),
            read_only_flag=bool(getattr(args, "read_only", False)),
        )


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
        from coditect_tui.core.safe_text import safe_json

        print(safe_json([item.model_dump(mode="json") for item in items], indent=True))
        return
    for item in items:
        print(line(item))
    if not items and empty is not None:
        print(empty)
