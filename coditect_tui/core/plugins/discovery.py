"""Finding plugins: the ``coditect.plugins`` entry points, filtered by the settings.

Discovery reads package metadata only (no plugin module is imported); loading happens on
the plugin's own thread (:mod:`~coditect_tui.core.plugins.dispatcher`) or, for
``coditect plugins list``, through :func:`load_plugin`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

#: The entry point group plugins are declared in (here, not in ``contract``, so that
#: asking whether any plugin is installed imports no payload models).
PLUGINS_GROUP = "coditect.plugins"

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from coditect_tui.core.settings import PluginSettings

#: ``enabled``: will run; ``disabled``: named in ``plugins.disabled``; ``off``: plugins are
#: switched off altogether (``plugins.enabled: false`` or ``CODITECT_PLUGINS=off``).
EntryState = Literal["enabled", "disabled", "off"]


@dataclass(frozen=True)
class PluginEntry:
    """One installed plugin, as its package declares it.

    Attributes:
        name: the entry point's name (what ``plugins.disabled`` lists).
        target: what it points at (``module:attribute``).
        module: the module it lives in.
        dist: the distribution that declares it (None: unknown).
        version: that distribution's version (None: unknown).
        state: whether the settings let it run.
    """

    name: str
    target: str
    module: str
    dist: str | None
    version: str | None
    state: EntryState
    entry_point: EntryPoint | None = field(default=None, compare=False, repr=False)


def any_installed(group: str = PLUGINS_GROUP) -> bool:
    """Whether any package declares a plugin (metadata only: no settings, no import), so
    a command with no plugin installed never loads the configuration for them.

    The installed distributions' ``entry_points.txt`` files are read directly where
    :mod:`importlib.metadata` would find them (it imports the e-mail parser and reads
    every distribution's metadata, a large share of a short command's start-up); where
    that is not certain (a zip on the path, a finder of its own), it is asked.

    Args:
        group: the entry point group (tests may use another).
    """
    found = _declared_on_path(group)
    if found is not None:
        return found
    from importlib.metadata import entry_points

    return bool(entry_points(group=group))


def _declared_on_path(group: str) -> bool | None:
    """Whether a distribution in a folder of ``sys.path`` declares an entry point in
    ``group``; None when other places could hold distributions too."""
    import importlib.machinery
    import os
    import sys

    for finder in sys.meta_path:
        if finder is not importlib.machinery.PathFinder and hasattr(finder, "find_distributions"):
            return None
    header = f"[{group}]"
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):  # a zip: importlib.metadata reads inside it
                return None
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8") as f:
                    if any(line.strip() == header for line in f):
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False


def discover(settings: PluginSettings, *, group: str = PLUGINS_GROUP) -> list[PluginEntry]:
    """The installed plugins, by name, with what the settings say about each.

    Two entry points of one name: the first one found wins (as for backends).

    Args:
        settings: the ``plugins`` section of the configuration.
        group: the entry point group (tests may use another).

    Returns:
        One entry per plugin name, sorted by name.
    """
    from importlib.metadata import entry_points

    found: dict[str, PluginEntry] = {}
    disabled = set(settings.disabled)
    for ep in entry_points(group=group):
        if ep.name in found:
            continue
        dist = getattr(ep, "dist", None)
        state: EntryState = (
            "off" if not settings.enabled else "disabled" if ep.name in disabled else "enabled"
        )
        found[ep.name] = PluginEntry(
            name=ep.name,
            target=ep.value,
            module=ep.module,
            dist=dist.name if dist is not None else None,
            version=dist.version if dist is not None else None,
            state=state,
            entry_point=ep,
        )
    return [found[name] for name in sorted(found)]


def load_plugin(entry: PluginEntry) -> Any:
    """Import ``entry``'s object; a class is instantiated without arguments.

    Runs the plugin's own code (its module and ``__init__``): call it where a hang or an
    exception cannot hurt (the dispatcher's plugin thread).

    Args:
        entry: a discovered plugin.

    Returns:
        The plugin object.

    Raises:
        Exception: whatever importing or instantiating it raises.
    """
    if entry.entry_point is None:
        raise LookupError(f"plugin {entry.name!r} has no entry point")
    obj = entry.entry_point.load()
    return obj() if isinstance(obj, type) else obj
