"""An example CODITECT plugin: one JSON line per event, to ``$CODITECT_EXAMPLE_PLUGIN_FILE``.

It implements every hook the same way. Hooks run on the plugin's own thread, one at a
time, so appending to the file needs no lock; each line is written with one ``write``
call on a file opened in append mode.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

__all__ = ["ENV", "JsonLinesPlugin"]

#: The variable naming the file the lines go to.
ENV = "CODITECT_EXAMPLE_PLUGIN_FILE"


class JsonLinesPlugin:
    """Writes ``{"hook": ..., "event": {...}}`` per event (no base class needed)."""

    def _write(self, hook: str, event: Any) -> None:
        path = os.environ.get(ENV)
        if not path:
            return
        line = json.dumps({"hook": hook, "event": dataclasses.asdict(event)}, sort_keys=True)
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")

    def on_tenant_opened(self, event: Any) -> None:
        """A tenant session opened in the app."""
        self._write("tenant_opened", event)

    def on_project_created(self, event: Any) -> None:
        """A project was created."""
        self._write("project_created", event)

    def on_session_started(self, event: Any) -> None:
        """A git session started."""
        self._write("session_started", event)

    def on_session_ended(self, event: Any) -> None:
        """A git session ended."""
        self._write("session_ended", event)

    def on_repo_status_changed(self, event: Any) -> None:
        """A repo's live status changed."""
        self._write("repo_status_changed", event)

    def on_audit_appended(self, event: Any) -> None:
        """An audit event was committed."""
        self._write("audit_appended", event)
