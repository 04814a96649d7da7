"""One output style for every command: ``--format FMT`` and its shorthands.

A command that prints a result declares the formats it supports with
:func:`add_format_options`; the first is its default (the human form: ``table`` or
``text``; Markdown for reports; JSON Lines for an audit export). ``--json``, ``--csv`` and
``--markdown`` are shorthands for ``--format json|csv|markdown`` where that format is
supported. Older spellings (``md``) keep working but are not shown in help.
Machine-readable output always goes through ``safe_json`` (or the CSV writers' cell
rule), never raw. docs/cli.md describes the style for users.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic models load on first use, not at `coditect` start-up
    from pydantic import BaseModel

#: Every format name a command may support, in the order help lists them.
FORMATS = ("table", "text", "markdown", "json", "jsonl", "csv")
#: The formats that have a shorthand flag of their own.
SHORTHANDS = ("json", "csv", "markdown")
#: Older spellings, accepted and never shown.
ALIASES = {"md": "markdown"}


def _format_type(formats: Sequence[str], several: bool) -> Callable[[str], str]:
    """argparse ``type=`` for ``--format``: a canonical name (or comma list) of ``formats``."""

    def one(value: str) -> str:
        name = value.strip().lower()
        name = ALIASES.get(name, name)
        if name not in formats:
            raise argparse.ArgumentTypeError(
                f"{value[:40]!r} is not a format of this command (choose {', '.join(formats)})"
            )
        return name

    def parse(value: str) -> str:
        if not several:
            return one(value)
        names = [one(part) for part in value.split(",")]
        return ",".join(dict.fromkeys(names))

    return parse


def add_format_options(
    parser: argparse.ArgumentParser,
    formats: Sequence[str],
    *,
    several: bool = False,
    note: str = "",
) -> None:
    """Add ``--format FMT`` and the shorthands of ``formats`` (mutually exclusive).

    Args:
        parser: the command's parser.
        formats: the formats the command supports (names of :data:`FORMATS`); the first
            is the default.
        several: ``--format`` also takes a comma-separated list (kept in order, canonical),
            and there is no default: ``args.format`` is ``None`` unless asked for, and the
            command picks by its other options (``note`` says how).
        note: extra help text for ``--format``.

    Raises:
        ValueError: a format that is not one of :data:`FORMATS` (a programming error).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown formats {unknown} (known: {FORMATS})")
    first = None if several else formats[0]
    group = parser.add_mutually_exclusive_group()
    shown = ", ".join(f"{f} (default)" if f == first else f for f in formats)
    group.add_argument(
        "--format",
        dest="format",
        type=_format_type(formats, several),
        default=first,
        metavar="FMT",
        help=f"output format: {note if first is None else shown + (f'; {note}' if note else '')}",
    )
    for name in SHORTHANDS:
        if name in formats:
            group.add_argument(
                f"--{name}",
                dest="format",
                action="store_const",
                const=name,
                help=f"same as --format {name}",
            )
    parser.set_defaults(output_formats=tuple(formats))


def print_json(value: Any) -> None:
    """Print JSON-ready ``value`` as indented JSON through ``safe_json``."""
    from coditect_tui.core.safe_text import safe_json

    print(safe_json(value, indent=True))


def print_items(
    items: Sequence[BaseModel],
    *,
    fmt: str,
    line: Callable[[Any], str],
    empty: str | None = None,
) -> None:
    """Print ``items`` as a JSON array (``fmt == "json"``), or one ``line(item)`` each
    (``empty`` when there are none)."""
    if fmt == "json":
        print_json([item.model_dump(mode="json") for item in items])
        return
    for item in items:
        print(line(item))
    if not items and empty is not None:
        print(empty)


def print_model(item: BaseModel, *, fmt: str, line: Callable[[Any], str]) -> None:
    """Print one outcome: its JSON object (``fmt == "json"``) or ``line(item)``."""
    if fmt == "json":
        print_json(item.model_dump(mode="json"))
    else:
        print(line(item))
