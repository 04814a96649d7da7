"""Git sessions, compatible with ``coditect-git-helper.py``, with history in the backend.

Compatibility with the old helper:

* branch ``session/YYYY-MM-DD-<description with spaces as ->``;
* state file ``.coditect-session.json`` in the working tree, written as the helper
  wrote it (``json.dump(..., indent=2)``, keys ``session_id`` (``%Y%m%d-%H%M%S``),
  ``description``, ``branch``, ``started_at``/``last_commit``/``last_push`` (naive local
  ISO times or null), ``commit_count``, ``push_count``), read back the same way, so a
  session the helper started is picked up and vice versa; unknown keys are kept;
* commit = stage everything and commit (the given message, or a default naming the
  session); push = ``push -u origin <branch>``; sync = fetch + ``pull --rebase``; pr =
  ``gh pr create`` or the compare URL; end = final commit and push, optional
  ``merge --no-ff`` into the main branch, then the summary, and the state file is
  removed; the helper's ``.coditect-git-config.json`` ``main_branch`` is honoured.

Beyond the helper: every action is audited through ``Backend.record_event`` (failures
and refusals too), the session history is kept in the backend (``create_session`` /
``update_session``), pushing the main branch and merging need explicit confirmation,
nothing is ever force-pushed, and in a master project a commit or push can cascade
through dirty submodules first (after a confirmation listing every repo touched).

The package, one job per module:

* ``errors``: the session errors;
* ``state``: the ``.coditect-session.json`` state file (read, write, clear);
* ``naming``: the session branch name and the pull-request compare URL;
* ``results``: what an action returns;
* ``base``: what every action shares (git helpers, audit, the history row);
* ``start``, ``commit``, ``remote`` (push, sync, pr), ``end``: the flows;
* ``engine``: :class:`GitSessions`, the flows composed;
* ``repo_id``: registering the project of a working tree to get its backend id;
* ``reconcile``: stored active sessions checked against their repos (stale ones ended).
"""

from __future__ import annotations

from coditect_tui.core.git.sessions.base import SessionsBase
from coditect_tui.core.git.sessions.commit import CommitFlow
from coditect_tui.core.git.sessions.end import END_MESSAGE, EndFlow, parse_shortstat
from coditect_tui.core.git.sessions.engine import GitSessions
from coditect_tui.core.git.sessions.errors import (
    ConfirmationRequired,
    SessionError,
    SessionFileError,
)
from coditect_tui.core.git.sessions.naming import compare_url, session_branch
from coditect_tui.core.git.sessions.reconcile import Reconciled, reconcile_sessions, stale_reason
from coditect_tui.core.git.sessions.remote import RemoteFlow
from coditect_tui.core.git.sessions.repo_id import resolve_repo_id, superproject_of_path
from coditect_tui.core.git.sessions.results import ActionResult, SyncConflict
from coditect_tui.core.git.sessions.start import StartFlow
from coditect_tui.core.git.sessions.state import (
    HELPER_KEYS,
    SESSION_FILE,
    SESSION_ID_FORMAT,
    SessionState,
    clear_session,
    read_session,
    write_session,
)

__all__ = [
    "END_MESSAGE",
    "HELPER_KEYS",
    "SESSION_FILE",
    "SESSION_ID_FORMAT",
    "ActionResult",
    "CommitFlow",
    "ConfirmationRequired",
    "EndFlow",
    "GitSessions",
    "Reconciled",
    "RemoteFlow",
    "SessionError",
    "SessionFileError",
    "SessionState",
    "SessionsBase",
    "StartFlow",
    "SyncConflict",
    "clear_session",
    "compare_url",
    "parse_shortstat",
    "read_session",
    "reconcile_sessions",
    "resolve_repo_id",
    "session_branch",
    "stale_reason",
    "superproject_of_path",
    "write_session",
]
