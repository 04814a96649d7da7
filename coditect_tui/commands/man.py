"""``coditect man``: print the coditect(1) man page (roff), made from the parser."""

from __future__ import annotations

import argparse
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``man`` (no common options)."""
    parser = sub.add_parser(
        "man",
        help="print the coditect(1) man page (roff)",
        description="Print the man page of every command, made from this version's parser: "
        "read it with `coditect man | man -l -`, or install it with "
        "`coditect man > ~/.local/share/man/man1/coditect.1`.",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the page."""
    from coditect_tui.commands.roff import man_page
    from coditect_tui.commands.tree import full_tree

    print(man_page(full_tree()), end="")
    return 0
