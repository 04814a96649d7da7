"""The app's plugins: one dispatcher for the app's life, failures as notifications.

The dispatcher (``core/plugins``) is opened with the settings the first time a tenant
opens, installed for the process, and closed (off the event loop) when the app unmounts.
A disabled plugin is said once, as a warning notification.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App

from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.plugins.dispatcher import PluginDispatcher, PluginFailure
    from coditect_tui.core.settings import PluginSettings


class PluginHostMixin(App[None]):
    """Owns the app's plugin dispatcher."""

    _plugins: PluginDispatcher | None = None
    _uninstall_plugins: Callable[[], None] | None = None

    async def start_plugins(self, settings: PluginSettings) -> None:
        """Open and install the plugins the settings let run (once per app)."""
        if self._plugins is not None:
            return
        from coditect_tui.core.plugins.hub import install, open_plugins

        loop = asyncio.get_running_loop()

        def report(failure: PluginFailure) -> None:  # a dispatcher thread: never block it
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self._plugin_failed, failure)

        # reading the installed packages' metadata is file work: not on the loop
        self._plugins = await asyncio.to_thread(open_plugins, settings, report)
        self._uninstall_plugins = install(self._plugins)

    def _plugin_failed(self, failure: PluginFailure) -> None:
        self.notify(
            safe_text(failure.message()),
            markup=False,
            title="Plugin disabled",
            severity="warning",
            timeout=15,
        )

    async def stop_plugins(self) -> None:
        """Uninstall and close the dispatcher (queued events get their timeout)."""
        plugins, self._plugins = self._plugins, None
        if self._uninstall_plugins is not None:
            self._uninstall_plugins()
            self._uninstall_plugins = None
        if plugins is not None:
            await asyncio.to_thread(plugins.close)
