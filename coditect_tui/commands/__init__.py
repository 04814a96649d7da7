"""Sub-commands of ``coditect``. Each module exposes ``register(subparsers, add_common)``.

``register`` adds its parser(s), calls ``add_common(parser)`` on each so the common
options also work after the sub-command, and sets ``handler=func(args, ctx) -> int``.
Modules import anything heavy inside their handlers, not at module level.
"""

from coditect_tui.commands import audit, session, status, tenants

COMMAND_MODULES = [tenants, audit, status, session]
