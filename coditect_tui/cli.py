"""The ``coditect`` command. Sub-commands never import Textual; only the TUI does.

Every error a user can cause ends in one line on stderr and a non-zero exit code:
2 for bad input or configuration, 1 for a failed operation, 130 for Ctrl-C.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    import argparse

    from coditect_tui.core.plugins.dispatcher import PluginFailure


#: Options of a plain app start that take a value, by attribute (as argparse names them).
APP_VALUES = {
    "--config": "config",
    "--tenant": "tenant",
    "--theme": "theme",
    "--log-file": "log_file",
}
#: Switches of a plain app start, by attribute.
APP_SWITCHES = {
    "--read-only": "read_only",
    "--exit-after-paint": "exit_after_paint",
    "--exit-after-live": "exit_after_live",
}


def build_parser(*, with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (see :func:`coditect_tui.commands.parser.build_parser`)."""
    from coditect_tui.commands.parser import build_parser as build

    return build(with_commands=with_commands, only=only)


def app_options(argv: Sequence[str]) -> SimpleNamespace | None:
    """The options of a plain app start, read without argparse, or None.

    argparse and its gettext are imports the app's start-up would otherwise pay for
    nothing. Only the exact spellings (``--theme NAME``, ``--read-only``...) are read
    here; anything else (``--theme=NAME``, abbreviations, ``--version``, a value starting
    with ``-``, an unknown option) returns None and argparse reads it, errors included.

    Args:
        argv: the command line without a sub-command.

    Returns:
        What ``build_parser(with_commands=False).parse_args(argv)`` would return.
    """
    values: dict[str, object] = {name: None for name in APP_VALUES.values()}
    values |= {name: False for name in APP_SWITCHES.values()}
    words = iter(argv)
    for word in words:
        if word in APP_SWITCHES:
            values[APP_SWITCHES[word]] = True
        elif word in APP_VALUES:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
            values[APP_VALUES[word]] = value
        else:
            return None
    return SimpleNamespace(**values)


def _command_word(argv: Sequence[str]) -> tuple[bool, str | None]:
    """(whether ``argv`` may name a sub-command or asks for help, the sub-command named
    before any help option, if any)."""
    takes_value = set(APP_VALUES)
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


def _run_tui(args: argparse.Namespace | SimpleNamespace, ctx: CliContext) -> int:
    from coditect_tui.ui.run import run_app

    return run_app(
        ctx,
        theme=args.theme,
        exit_after_paint=args.exit_after_paint,
        exit_after_live=args.exit_after_live,
    )


def _logged(
    handler: Callable[[Any, CliContext], int],
    args: argparse.Namespace | SimpleNamespace,
    ctx: CliContext,
    log_file: str,
) -> int:
    """Run ``handler`` with the debug log going to ``log_file`` (``--log-file``)."""
    import logging
    from pathlib import Path

    from coditect_tui import __version__
    from coditect_tui.core.debug_log import start_debug_log, stop_debug_log

    started = start_debug_log(Path(log_file))
    log = logging.getLogger("coditect_tui.cli")
    command = getattr(args, "command", None) or "app"
    log.debug("coditect %s: %s starts (pid %d)", __version__, command, os.getpid())
    try:
        code = _with_plugins(handler, args, ctx)
        log.debug("%s exits with %d", command, code)
        return code
    except BaseException as exc:
        log.debug("%s ends with %s", command, type(exc).__name__, exc_info=True)
        raise
    finally:
        stop_debug_log(started)


_STDERR_LINE = threading.Lock()


def _report_plugin(failure: PluginFailure) -> None:
    """A disabled plugin, said once on stderr (called from a dispatcher thread: the line
    is one write under a lock, so two plugins' lines never interleave)."""
    line = f"coditect: warning: {safe_text(failure.message())}\n"
    with _STDERR_LINE:
        sys.stderr.write(line)
        sys.stderr.flush()


def _with_plugins(
    handler: Callable[[Any, CliContext], int],
    args: argparse.Namespace | SimpleNamespace,
    ctx: CliContext,
) -> int:
    """Run a sub-command with the installed plugins listening (docs/plugins.md).

    The app and ``serve`` own plugins of their own, ``plugins`` only lists them; a
    configuration that does not load leaves the command to report it (or not need it).
    """
    if handler is _run_tui or not getattr(args, "plugin_host", True):
        return handler(args, ctx)
    from coditect_tui.core.plugins.discovery import any_installed

    if not any_installed():  # the common case: the settings (pydantic) stay unloaded
        return handler(args, ctx)
    try:
        settings = ctx.loaded.settings.plugins
    except CoditectError:
        return handler(args, ctx)
    from coditect_tui.core.plugins.hub import installed, open_plugins

    with installed(open_plugins(settings, _report_plugin)):
        return handler(args, ctx)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``coditect`` command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    names, word = _command_word(argv)
    fast = None if names else app_options(argv)
    args = fast or build_parser(with_commands=names, only=word).parse_args(argv)
    ctx = CliContext.from_args(args)
    handler: Callable[[Any, CliContext], int] = getattr(args, "handler", _run_tui)
    log_file = getattr(args, "log_file", None)
    try:
        if log_file:
            return _logged(handler, args, ctx, log_file)
        return _with_plugins(handler, args, ctx)
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
