"""What ``coditect plugins list`` shows of a plugin: its hooks, or why it cannot load.

Loading runs the plugin's own code, so it happens on a daemon thread within the
timeout: a plugin that hangs on import is reported, not waited for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from coditect_tui.core.plugins.contract import hooks_of
from coditect_tui.core.plugins.discovery import PluginEntry, load_plugin


@dataclass(frozen=True)
class PluginReport:
    """One plugin as listed.

    Attributes:
        entry: what its package declares and what the settings say.
        hooks: the hooks it implements (empty when not loaded).
        state: ``enabled``, ``disabled``, ``off`` or ``broken``.
        error: why it is broken (one raw line; None otherwise).
    """

    entry: PluginEntry
    hooks: tuple[str, ...]
    state: str
    error: str | None = None


def probe(entry: PluginEntry, timeout: float) -> PluginReport:
    """Load ``entry`` (also a disabled one: its hooks are worth showing) and read its hooks.

    Args:
        entry: a discovered plugin.
        timeout: seconds its import and instantiation may take.

    Returns:
        Its report; a plugin that raises or hangs is ``broken`` with the reason.
    """
    found: list[tuple[str, ...]] = []
    failed: list[BaseException] = []

    def load() -> None:
        try:
            found.append(hooks_of(load_plugin(entry)))
        except BaseException as exc:  # a plugin's SystemExit is its own failure, too
            failed.append(exc)

    thread = threading.Thread(target=load, name=f"coditect-probe-{entry.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if found:
        return PluginReport(entry, found[0], entry.state)
    if failed:
        exc = failed[0]
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        return PluginReport(
            entry, (), "broken", f"{type(exc).__name__}" + (f": {first}" if first else "")
        )
    return PluginReport(entry, (), "broken", f"did not load within {timeout:g} s")
