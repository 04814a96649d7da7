"""Sub-commands of ``coditect``. Each module exposes ``register(subparsers, add_common)``.

``register`` adds its parser(s), calls ``add_common(parser)`` on each so the common
options also work after the sub-command, and sets ``handler=func(args, ctx) -> int``.
Modules import anything heavy inside their handlers, not at module level, and this
package imports them only when a sub-command is on the command line (the app's start-up
is measured).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

COMMAND_NAMES = (
    "init",
    "tenants",
    "tenant",
    "audit",
    "status",
    "session",
    "memory",
    "report",
    "serve",
    "web",
    "migrate",
    "keys",
    "members",
    "join",
    "flags",
    "usage",
    "webhooks",
    "bulk",
    "groups",
    "manifest",
    "commands",
    "plugins",
    "completion",
    "man",
)
#: Sub-commands registered by a module of another name.
MODULE_OF = {name: "bulk" for name in ("fetch", "pull", "push", "switch", "run")}


def command_modules(only: str | None = None) -> list[ModuleType]:
    """The sub-command modules, in help order.

    Args:
        only: a command's name: just its module (the others' imports and parsers are
            not needed to run it). Any other word: every module (argparse then names
            the commands there are).
    """
    only = MODULE_OF.get(only or "", only)
    names = (only,) if only in COMMAND_NAMES else COMMAND_NAMES
    return [import_module(f"coditect_tui.commands.{name}") for name in names]
