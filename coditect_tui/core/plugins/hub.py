"""The process's plugin dispatcher, where the places that cause events can reach it.

The owner of a run (the CLI for a command, the app, a server worker) opens a dispatcher
with :func:`open_plugins` and installs it with :func:`installed` for as long as it runs;
the code where an event happens (the store after a commit, the tenant session, the git
session engine) calls :func:`emit`. Without an installed dispatcher, :func:`wants` is
False and :func:`emit` does nothing, so tests and embedded uses pay nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coditect_tui.core.plugins.dispatcher import PluginDispatcher, Reporter
    from coditect_tui.core.settings import PluginSettings

_active: PluginDispatcher | None = None


def wants(hook: str) -> bool:
    """Whether an installed plugin may receive ``hook`` (build its payload only then)."""
    dispatcher = _active
    return dispatcher is not None and dispatcher.wants(hook)


def emit(hook: str, payload: Any | Callable[[], Any]) -> None:
    """Hand ``payload`` to the installed dispatcher (nothing when none is installed).

    Args:
        hook: a name of :data:`~coditect_tui.core.plugins.events.HOOKS`.
        payload: the frozen payload, or a function that makes it (called only when some
            plugin wants ``hook``).
    """
    dispatcher = _active
    if dispatcher is None or not dispatcher.wants(hook):
        return
    dispatcher.dispatch(hook, payload() if callable(payload) else payload)


def install(dispatcher: PluginDispatcher) -> Callable[[], None]:
    """Make ``dispatcher`` the process's (until the returned function is called, which
    restores the one before; closing ``dispatcher`` stays its owner's job)."""
    global _active
    previous, _active = _active, dispatcher

    def uninstall() -> None:
        global _active
        if _active is dispatcher:
            _active = previous

    return uninstall


@contextlib.contextmanager
def installed(dispatcher: PluginDispatcher) -> Iterator[PluginDispatcher]:
    """Make ``dispatcher`` the process's for the block, then restore the one before and
    close it (delivering what is queued, see ``PluginDispatcher.close``)."""
    uninstall = install(dispatcher)
    try:
        yield dispatcher
    finally:
        uninstall()
        dispatcher.close()


def open_plugins(settings: PluginSettings, report: Reporter) -> PluginDispatcher:
    """A dispatcher over the installed plugins the settings let run (none started yet).

    Args:
        settings: the ``plugins`` section of the configuration.
        report: told (from a dispatcher thread) when a plugin is disabled.

    Returns:
        The dispatcher; the caller closes it (or hands it to :func:`installed`).
    """
    from coditect_tui.core.plugins.discovery import discover
    from coditect_tui.core.plugins.dispatcher import PluginDispatcher

    entries = discover(settings) if settings.enabled else []
    return PluginDispatcher(entries, timeout=settings.timeout, report=report)


#: How ``coditect serve`` hands the ``plugins`` settings to its worker processes (JSON).
SERVER_ENV = "CODITECT_SERVE_PLUGINS"


def settings_from_env(env: Mapping[str, str]) -> PluginSettings | None:
    """The plugin settings ``coditect serve`` left for a worker (None: run no plugins).

    Raises:
        ConfigError: the variable holds something else than the settings' JSON.
    """
    raw = env.get(SERVER_ENV)
    if not raw:
        return None
    from pydantic import ValidationError

    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.settings import PluginSettings
    from coditect_tui.core.wording import plural

    try:
        return PluginSettings.model_validate_json(raw)
    except ValidationError as exc:
        errors = plural(exc.error_count(), "error")
        raise ConfigError(f"${SERVER_ENV}: not plugin settings ({errors})") from None
