"""The plugin contract: a class with optional ``on_<hook>`` methods.

A package declares its plugin in the ``coditect.plugins`` entry point group::

    [project.entry-points."coditect.plugins"]
    example = "my_package.plugin:ExamplePlugin"

The entry point names a class (instantiated once per process, without arguments) or an
object. Subclassing :class:`CoditectPlugin` is optional: any method called ``on_<hook>``
(:data:`~coditect_tui.core.plugins.events.HOOKS`) is a hook, and a hook a plugin leaves
out costs nothing. Hooks are called on the plugin's own thread (never the app's event
loop), one at a time and in order, each within the configured timeout; they only observe
(a payload is plain frozen data) and return nothing. A hook that raises or overruns its
timeout disables the plugin for the rest of the process (docs/plugins.md).
"""

from __future__ import annotations

from typing import Any

from coditect_tui.core.plugins.discovery import PLUGINS_GROUP
from coditect_tui.core.plugins.events import (
    HOOKS,
    AuditAppended,
    ProjectCreated,
    RepoStatusChanged,
    SessionEnded,
    SessionStarted,
    TenantOpened,
)

__all__ = ["PLUGINS_GROUP", "CoditectPlugin", "hooks_of"]


class CoditectPlugin:
    """Base class of plugins (optional): every hook is a no-op until overridden."""

    def on_tenant_opened(self, event: TenantOpened) -> None:
        """A tenant session opened in the app.

        Args:
            event: the tenant, principal, role and mode.
        """

    def on_project_created(self, event: ProjectCreated) -> None:
        """A project was created (by the app, the CLI or the server).

        Args:
            event: the tenant, the project's id and name, and who created it.
        """

    def on_session_started(self, event: SessionStarted) -> None:
        """A git session started.

        Args:
            event: the working tree, branch, session key and description.
        """

    def on_session_ended(self, event: SessionEnded) -> None:
        """A git session ended.

        Args:
            event: the working tree, branch, session key, commits and whether it merged.
        """

    def on_repo_status_changed(self, event: RepoStatusChanged) -> None:
        """The live status of a repo changed (the app's watcher, or after an action).

        Args:
            event: the repo and its new state.
        """

    def on_audit_appended(self, event: AuditAppended) -> None:
        """An audit event was committed (one call per event).

        Args:
            event: the event's summary (never its details).
        """


def hooks_of(plugin: Any) -> tuple[str, ...]:
    """The hooks ``plugin`` implements: its callable ``on_<hook>`` attributes that are not
    :class:`CoditectPlugin`'s no-ops.

    Args:
        plugin: a loaded plugin object.

    Returns:
        Hook names in :data:`HOOKS` order.
    """
    found = []
    for hook in HOOKS:
        method = getattr(plugin, f"on_{hook}", None)
        if not callable(method):
            continue
        if getattr(method, "__func__", None) is getattr(CoditectPlugin, f"on_{hook}"):
            continue
        found.append(hook)
    return tuple(found)
