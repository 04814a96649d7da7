"""Plugins for the plugin tests (declared through real entry points by the tests).

``Recorder`` keeps every payload; ``Raiser`` raises in every hook; ``Hanger`` blocks in
its first hook until :data:`RELEASE` is set (in a child process: forever); importing
``tests.support.broken_plugin`` raises.
"""

from __future__ import annotations

import threading
from typing import Any

from coditect_tui.core.plugins.contract import CoditectPlugin

#: Lets a hung ``Hanger`` return (the in-process tests set it at the end).
RELEASE = threading.Event()
#: Set when a ``Hanger`` has entered its hook.
HANGING = threading.Event()
#: Every payload a ``Recorder`` received, in order, as (hook, payload).
RECORDED: list[tuple[str, Any]] = []
#: Set whenever a ``Recorder`` receives something.
RECORDED_MORE = threading.Condition()


class Recorder(CoditectPlugin):
    """Records project and audit events (and nothing else)."""

    def _keep(self, hook: str, event: Any) -> None:
        with RECORDED_MORE:
            RECORDED.append((hook, event))
            RECORDED_MORE.notify_all()

    def on_project_created(self, event: Any) -> None:
        self._keep("project_created", event)

    def on_audit_appended(self, event: Any) -> None:
        self._keep("audit_appended", event)


class Raiser:
    """Not a subclass: duck typing is enough. Raises on every event it gets."""

    calls = 0

    def on_audit_appended(self, event: Any) -> None:
        Raiser.calls += 1
        raise RuntimeError(f"boom on {event.action}\nsecond line")


class Hanger(CoditectPlugin):
    """Hangs in its first hook."""

    calls = 0

    def on_audit_appended(self, event: Any) -> None:
        Hanger.calls += 1
        HANGING.set()
        RELEASE.wait()


class Observer(Recorder):
    """Records the app's events too: tenant opened and repo status changes."""

    def on_tenant_opened(self, event: Any) -> None:
        self._keep("tenant_opened", event)

    def on_repo_status_changed(self, event: Any) -> None:
        self._keep("repo_status_changed", event)
