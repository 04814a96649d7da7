"""A server worker's plugins (docs/plugins.md): one dispatcher for the app's life.

The store announces what its committed transactions appended (audit events, created
projects) to the process's installed dispatcher; here a worker opens it on start-up and
closes it on shutdown. A disabled plugin is one line on the ``coditect_server.plugins``
logger; requests never wait for a plugin.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.plugins.dispatcher import PluginFailure
    from coditect_tui.core.settings import PluginSettings

log = logging.getLogger("coditect_server.plugins")


def _report(failure: PluginFailure) -> None:
    log.error("%s", safe_text(failure.message()))


async def start_plugins(settings: PluginSettings | None) -> Callable[[], Awaitable[None]]:
    """Open and install the plugins ``settings`` let run (None: none).

    Returns:
        What stops them (uninstall, then close off the event loop).
    """
    if settings is None or not settings.enabled:

        async def nothing() -> None:
            return None

        return nothing
    from coditect_tui.core.plugins.hub import install, open_plugins

    dispatcher = await asyncio.to_thread(open_plugins, settings, _report)
    uninstall = install(dispatcher)

    async def stop() -> None:
        uninstall()
        await asyncio.to_thread(dispatcher.close)

    return stop
