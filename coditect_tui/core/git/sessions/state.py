"""The session state file ``.coditect-session.json``, as ``coditect-git-helper.py`` writes it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from coditect_tui.core import limits
from coditect_tui.core.git.sessions.errors import SessionFileError

SESSION_FILE = ".coditect-session.json"
HELPER_KEYS = (
    "session_id",
    "description",
    "branch",
    "started_at",
    "last_commit",
    "last_push",
    "commit_count",
    "push_count",
)
SESSION_ID_FORMAT = "%Y%m%d-%H%M%S"


@dataclass(slots=True)
class SessionState:
    """The content of ``.coditect-session.json`` (see the module docstring).

    Attributes:
        session_id: ``%Y%m%d-%H%M%S`` of the start (local time).
        description: what the session is about (untrusted text).
        branch: the session branch.
        started_at: naive local ISO time of the start.
        last_commit: naive local ISO time of the last commit, or None.
        last_push: naive local ISO time of the last push, or None.
        commit_count: commits made in the session.
        push_count: pushes made in the session.
        extra: keys the helper or a later version added, kept as they were.
    """

    session_id: str
    description: str
    branch: str
    started_at: str
    last_commit: str | None = None
    last_push: str | None = None
    commit_count: int = 0
    push_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: object) -> SessionState:
        """Validate a decoded session file.

        Args:
            data: the decoded JSON.

        Returns:
            The state.

        Raises:
            SessionFileError: missing keys or wrong types.
        """
        if not isinstance(data, dict):
            raise SessionFileError(f"{SESSION_FILE} does not hold a JSON object")
        for key in ("session_id", "description", "branch", "started_at"):
            if not isinstance(data.get(key), str):
                raise SessionFileError(f"{SESSION_FILE}: {key!r} is missing or not text")
        for key in ("last_commit", "last_push"):
            if data.get(key) is not None and not isinstance(data.get(key), str):
                raise SessionFileError(f"{SESSION_FILE}: {key!r} is not text or null")
        if len(data["session_id"]) > limits.SESSION_KEY:  # the backend keeps no longer key
            raise SessionFileError(
                f"{SESSION_FILE}: 'session_id' is longer than {limits.SESSION_KEY} characters"
            )
        for key in ("commit_count", "push_count"):
            value = data.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SessionFileError(f"{SESSION_FILE}: {key!r} is not a count")
        try:
            datetime.fromisoformat(data["started_at"])
        except ValueError:
            raise SessionFileError(f"{SESSION_FILE}: 'started_at' is not an ISO time") from None
        return cls(
            session_id=data["session_id"],
            description=data["description"],
            branch=data["branch"],
            started_at=data["started_at"],
            last_commit=data.get("last_commit"),
            last_push=data.get("last_push"),
            commit_count=data.get("commit_count", 0),
            push_count=data.get("push_count", 0),
            extra={k: v for k, v in data.items() if k not in HELPER_KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        """The helper's key order, then any extra keys."""
        data: dict[str, Any] = {
            "session_id": self.session_id,
            "description": self.description,
            "branch": self.branch,
            "started_at": self.started_at,
            "last_commit": self.last_commit,
            "last_push": self.last_push,
            "commit_count": self.commit_count,
            "push_count": self.push_count,
        }
        data.update(self.extra)
        return data

    def started(self) -> datetime:
        """``started_at`` as an aware datetime (a naive time is local, as the helper's)."""
        moment = datetime.fromisoformat(self.started_at)
        return moment.astimezone() if moment.tzinfo is None else moment


def read_session(repo: Path) -> SessionState | None:
    """Read ``.coditect-session.json`` of a working tree.

    Args:
        repo: the working tree.

    Returns:
        The state, or None when there is no file (or it holds ``{}``, as the helper
        left it after ``end`` in older versions).

    Raises:
        SessionFileError: the file is not valid JSON or not a session.
    """
    path = repo / SESSION_FILE
    try:
        with path.open("rb") as handle:
            raw = handle.read(1024 * 1024)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise SessionFileError(f"{path}: not valid JSON") from None
    if data == {}:
        return None
    return SessionState.from_dict(data)


def write_session(repo: Path, state: SessionState) -> None:
    """Write the state file exactly as the helper does (``json.dump(indent=2)``).

    Args:
        repo: the working tree.
        state: what to write (atomically: a temporary file, then a rename).
    """
    path = repo / SESSION_FILE
    tmp = path.with_name(f".{SESSION_FILE}.{os.getpid()}.tmp")
    with tmp.open("w") as handle:
        json.dump(state.to_dict(), handle, indent=2)
    os.replace(tmp, path)


def clear_session(repo: Path) -> None:
    """Remove the state file (as the helper's ``end`` does)."""
    (repo / SESSION_FILE).unlink(missing_ok=True)


def local_now() -> datetime:
    """The naive local time (the helper's clock; the engine's default)."""
    return datetime.now()
