"""The ``coditect`` argument parser (argparse), built only when a sub-command, a help
option or an option the app start does not read itself is on the line (see
``coditect_tui.cli.app_options``)."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from typing import NoReturn

from coditect_tui import __version__


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and a pointer to --help), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options(
    parser: argparse.ArgumentParser, *, suppress: bool, only: Collection[str] | None = None
) -> None:
    """Add the common options (``only`` those named, e.g. ``("--config",)``).

    After a sub-command their defaults are suppressed, so a value given before the
    sub-command is kept.
    """
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("common options")
    options: dict[str, dict[str, object]] = {
        "--config": {
            "metavar": "FILE",
            "default": default,
            "help": "config file (default: $CODITECT_CONFIG or the XDG config path)",
        },
        "--tenant": {
            "metavar": "NAME",
            "default": default,
            "help": "tenant profile to use (default: default_tenant)",
        },
        "--read-only": {
            "action": "store_true",
            "default": argparse.SUPPRESS if suppress else False,
            "help": "refuse every change (enforced by the backend)",
        },
    }
    for flag, spec in options.items():
        if only is None or flag in only:
            group.add_argument(flag, **spec)  # type: ignore[arg-type]


def build_parser(*, with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; sub-commands register themselves when ``with_commands``.

    Without a sub-command on the line (the app's start-up, which is measured), building
    the ~80 sub-command parsers would cost more than the rest of argument handling; with
    one (``only``: its name) just that command's module is imported and registered.
    """
    parser = OneLineParser(
        prog="coditect",
        description="CODITECT TUI: one terminal workspace for many projects, tenants and "
        "repos. Without a command, opens the full-screen app.",
    )
    parser.add_argument("--version", action="version", version=f"coditect {__version__}")
    _common_options(parser, suppress=False)
    parser.add_argument("--theme", metavar="NAME", help="theme for this run")
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="write a debug log to PATH (appended; nothing is logged without it)",
    )
    parser.add_argument("--exit-after-paint", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-after-live", action="store_true", help=argparse.SUPPRESS)
    if with_commands:
        from coditect_tui.commands import command_modules

        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for module in command_modules(only):
            module.register(sub, lambda p, only=None: _common_options(p, suppress=True, only=only))
    return parser
