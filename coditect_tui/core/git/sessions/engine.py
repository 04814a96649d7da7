"""The session engine: every flow composed into :class:`GitSessions`."""

from __future__ import annotations

from coditect_tui.core.git.sessions.end import EndFlow
from coditect_tui.core.git.sessions.start import StartFlow


class GitSessions(StartFlow, EndFlow):
    """Session actions on one working tree.

    Args:
        repo: the working tree.
        runner: runs git (a fresh hardened runner by default).
        backend: where history and audit events go (None: git only, e.g. tests of the
            file format).
        repo_id: the repo's backend id (needed for the session history).
        now: local-time clock (tests pass a fixed one).
    """
