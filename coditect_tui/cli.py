"""The ``coditect`` command. Sub-commands never import Textual; only the TUI does.

Every error a user can cause ends in one line on stderr and a non-zero exit code:
2 for bad input or configuration, 1 for a failed operation, 130 for Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection, Sequence
from typing import NoReturn

from coditect_tui import __version__
from coditect_tui.commands.context import CliContext
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text


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
    parser.add_argument("--exit-after-paint", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-after-live", action="store_true", help=argparse.SUPPRESS)
    if with_commands:
        from coditect_tui.commands import command_modules

        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for module in command_modules(only):
            module.register(sub, lambda p, only=None: _common_options(p, suppress=True, only=only))
    return parser


def _command_word(argv: Sequence[str]) -> tuple[bool, str | None]:
    """(whether ``argv`` may name a sub-command or asks for help, the sub-command named
    before any help option, if any)."""
    takes_value = {"--config", "--tenant", "--theme"}
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in takes_value:
            skip = True
        elif arg in ("-h", "--help"):
            return True, None
        elif not arg.startswith("-"):
            return True, arg
    return False, None


def _run_tui(args: argparse.Namespace, ctx: CliContext) -> int:
    from coditect_tui.ui.run import run_app

    return run_app(
        ctx,
        theme=args.theme,
        exit_after_paint=args.exit_after_paint,
        exit_after_live=args.exit_after_live,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``coditect`` command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    names, word = _command_word(argv)
    parser = build_parser(with_commands=names, only=word)
    args = parser.parse_args(argv)
    ctx = CliContext.from_args(args)
    handler: Callable[[argparse.Namespace, CliContext], int] = getattr(args, "handler", _run_tui)
    try:
        return handler(args, ctx)
    except CoditectError as exc:
        # messages carry untrusted text (server answers, file names): one safe line
        print(f"coditect: error: {safe_text(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("coditect: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("CODITECT_DEBUG"):
            raise
        print(
            f"coditect: internal error: {type(exc).__name__}: {safe_text(exc)} "
            "(set CODITECT_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 70


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
