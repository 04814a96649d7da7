"""Errors of the git session engine."""

from __future__ import annotations

from pathlib import Path

from coditect_tui.core.errors import CoditectError


class SessionError(CoditectError):
    """A session action could not be done (the message says why, in one line)."""


class SessionFileError(SessionError):
    """``.coditect-session.json`` exists but is not a session file we can use."""

    exit_code = 2


class ConfirmationRequired(SessionError):
    """The action needs an explicit confirmation (main-branch push, merge, cascade).

    Attributes:
        repos: for a cascade, every repo that would be touched, in order.
    """

    exit_code = 2

    def __init__(self, message: str, repos: list[Path] | None = None) -> None:
        super().__init__(message)
        self.repos = repos or []
