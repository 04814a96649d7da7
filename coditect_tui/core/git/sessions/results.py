"""What a session action returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class ActionResult:
    """What a session action did.

    Attributes:
        verb: start, commit, push, sync, pr, end or status.
        ok: it did what was asked (a no-op counts as ok).
        message: one line for humans (terminal-safe).
        repo: the working tree.
        branch: the branch acted on.
        sha: HEAD after the action.
        details: everything the audit event carries.
        children: cascade results for submodules, in order.
    """

    verb: str
    ok: bool
    message: str
    repo: Path
    branch: str | None = None
    sha: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    children: list[ActionResult] = field(default_factory=list)


@dataclass(slots=True)
class SyncConflict:
    """A ``pull --rebase`` that stopped.

    Attributes:
        files: conflicted paths (untrusted text).
        rebase_in_progress: git left a rebase to continue or abort.
        message: git's own error line.
    """

    files: list[str]
    rebase_in_progress: bool
    message: str
