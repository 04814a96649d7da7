"""``coditect completion bash|zsh|fish``: print the shell's completion script."""

from __future__ import annotations

import argparse
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext

SHELLS = ("bash", "zsh", "fish")


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``completion`` (no common options: the script is the same for everyone)."""
    parser = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description="Print a completion script for coditect's commands and options, made "
        'from this version\'s parser. bash: eval "$(coditect completion bash)" in '
        "~/.bashrc, or save it as ~/.local/share/bash-completion/completions/coditect. "
        "zsh: save it as _coditect in a folder of $fpath (before compinit). fish: save it "
        "as ~/.config/fish/completions/coditect.fish. See docs/cli.md.",
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the script."""
    from coditect_tui.commands.completion_scripts import script
    from coditect_tui.commands.tree import full_tree

    print(script(args.shell, full_tree()), end="")
    return 0
