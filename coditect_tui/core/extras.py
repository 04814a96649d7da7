"""Optional parts of the install (pip extras), and the one line that says how to add one.

A TUI-only ``pip install coditect-tui`` leaves out the tenant API server and the
PostgreSQL driver; ``pip install 'coditect-tui[server]'`` adds them (pyproject.toml). What
needs them checks here first, so a missing extra ends in one line that names the install
command instead of an ImportError deep inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec

from coditect_tui.core.errors import ConfigError

#: The distribution's name, as pip knows it.
DISTRIBUTION = "coditect-tui"
#: The extra of the tenant API server and the PostgreSQL driver.
SERVER_EXTRA = "server"
#: What ``coditect serve`` imports from the server extra.
SERVER_MODULES = ("fastapi", "uvicorn")
#: What a ``postgresql://`` database needs from the server extra.
POSTGRES_MODULES = ("asyncpg",)


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The top-level modules of ``modules`` that cannot be imported (none is imported).

    Args:
        modules: top-level module names.

    Returns:
        Those not installed, in the given order.
    """
    return [name for name in modules if find_spec(name) is None]


def install_hint(extra: str = SERVER_EXTRA) -> str:
    """The command that installs ``extra``: ``pip install 'coditect-tui[server]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require_extra(what: str, modules: Sequence[str], extra: str = SERVER_EXTRA) -> None:
    """Refuse, in one line naming the install command, when ``modules`` are missing.

    Args:
        what: what needs them, for the message (``"coditect serve"``).
        modules: the top-level modules it imports.
        extra: the pip extra that provides them.

    Raises:
        ConfigError: one of ``modules`` is not installed.
    """
    absent = missing_modules(modules)
    if absent:
        raise ConfigError(
            f"{what} needs the {extra!r} extra ({', '.join(absent)} not installed): "
            f"{install_hint(extra)}"
        )
