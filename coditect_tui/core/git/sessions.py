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
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.errors import (
    CoditectError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.git import gitconfig, layout
from coditect_tui.core.git.runner import (
    DIFF_SAFETY,
    NETWORK_TIMEOUT,
    GitError,
    GitRunner,
    check_branch_name,
    git_env,
    run_program,
)
from coditect_tui.core.git.status import RepoStatus, main_branch_of, read_gitmodules, read_status
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Outcome

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
END_MESSAGE = "End of work session - final commit"


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


def session_branch(description: str, now: datetime) -> str:
    """The helper's branch name: ``session/YYYY-MM-DD-<description, spaces as ->``.

    Args:
        description: the session's description.
        now: local start time.

    Returns:
        The branch name.

    Raises:
        InvalidInput: the result is not a valid branch name.
    """
    return check_branch_name(f"session/{now.strftime('%Y-%m-%d')}-{description.replace(' ', '-')}")


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


def _local_now() -> datetime:
    return datetime.now()


_SHORTSTAT = re.compile(
    r"(\d+) files? changed(?:, (\d+) insertions?\(\+\))?"
    r"(?:, (\d+) deletions?\(-\))?"
)


def parse_shortstat(text: str) -> tuple[int, int, int]:
    """(files changed, insertions, deletions) from ``git diff --shortstat``.

    Args:
        text: git's output (empty when nothing changed).

    Returns:
        The three counts (zeros for empty output).
    """
    match = _SHORTSTAT.search(text)
    if not match:
        return 0, 0, 0
    files, insertions, deletions = (int(g or 0) for g in match.groups())
    return files, insertions, deletions


def compare_url(remote_url: str, base: str, branch: str) -> str | None:
    """The web page to open a pull request, from a GitHub-style remote URL.

    Args:
        remote_url: ``git@host:owner/repo.git``, ``https://host/owner/repo(.git)`` or
            ``ssh://git@host/owner/repo``.
        base: the branch to merge into.
        branch: the session branch.

    Returns:
        ``https://host/owner/repo/compare/<base>...<branch>``, or None for a URL that
        has no web page (a local path, a file:// URL).
    """
    url = remote_url.strip()
    match = re.match(r"^[\w.-]+@([\w.-]+):(?!/)(.+?)(?:\.git)?/?$", url) or re.match(
        r"^(?:ssh|git|https?)://(?:[^@/]+@)?([\w.-]+)(?::\d+)?/(.+?)"
        r"(?:\.git)?/?$",
        url,
    )
    if not match:
        return None
    host, path = match.groups()
    return f"https://{host}/{path}/compare/{base}...{branch}"


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


class GitSessions:
    """Session actions on one working tree.

    Args:
        repo: the working tree.
        runner: runs git (a fresh hardened runner by default).
        backend: where history and audit events go (None: git only, e.g. tests of the
            file format).
        repo_id: the repo's backend id (needed for the session history).
        now: local-time clock (tests pass a fixed one).
    """

    def __init__(
        self,
        repo: Path,
        *,
        runner: GitRunner | None = None,
        backend: Backend | None = None,
        repo_id: str | None = None,
        now: Callable[[], datetime] = _local_now,
    ) -> None:
        self.repo = Path(os.path.abspath(repo))
        self.runner = runner or GitRunner()
        self.backend = backend
        self.repo_id = repo_id
        self.now = now
        self._record_id: str | None = None
        self._git_dir = layout.git_dir_of(self.repo)
        if self._git_dir is None:
            raise InvalidInput(f"{safe_text(self.repo)}: not a git working tree")

    @property
    def record_id(self) -> str | None:
        """The backend id of the session record this engine created or picked up."""
        return self._record_id

    # -- small git helpers ------------------------------------------------------------

    async def _git(
        self,
        *args: str,
        write: bool = True,
        check: bool = True,
        network: bool = False,
        stdin: bytes | None = None,
        repo: Path | None = None,
    ) -> str:
        result = await self.runner.run(
            repo or self.repo,
            list(args),
            write=write,
            check=check,
            stdin=stdin,
            timeout=NETWORK_TIMEOUT if network else None,
        )
        return result.text()

    async def _head(self, repo: Path | None = None) -> str | None:
        result = await self.runner.run(
            repo or self.repo, ["rev-parse", "--verify", "--quiet", "HEAD"]
        )
        return result.text().strip() or None if result.ok else None

    async def _ref_exists(self, ref: str) -> bool:
        result = await self.runner.run(
            self.repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", ref]
        )
        return result.ok

    def _origin_url(self, repo: Path | None = None) -> str | None:
        git_dir = layout.git_dir_of(repo or self.repo)
        if git_dir is None:
            return None
        try:
            entries = gitconfig.read_config(layout.common_dir_of(git_dir) / "config")
        except (OSError, gitconfig.ConfigSyntaxError):
            return None
        for entry in entries:
            if (entry.section, entry.subsection, entry.key) == ("remote", "origin", "url"):
                return entry.value
        return None

    def main_branch(self) -> str:
        """The main branch (helper config, origin/HEAD, else ``main``)."""
        return main_branch_of(self.repo, self._git_dir)

    async def status(self) -> RepoStatus:
        """The repo's status through the hardened read path."""
        return await read_status(self.runner, self.repo)

    async def report(self) -> tuple[RepoStatus, SessionState | None]:
        """``session status``: the repo's status and the active session (picked up).

        The look is audited (``sessions.status``, a read) when the backend can write.

        Returns:
            (status, state or None).

        Raises:
            SessionFileError: the state file is unreadable.
        """
        state = read_session(self.repo)
        writable = False
        if self.backend is not None:
            writable = not (await self.backend.whoami()).read_only
        if state is not None and writable:
            await self.adopt(state)
        status = await self.status()
        if writable and self.backend is not None:
            from coditect_tui.core.models import Action, Resource

            await self.backend.record_event(
                Resource.SESSIONS,
                Action.READ,
                "sessions.status",
                self._record_id or self.repo_id,
                outcome="error" if status.error else "ok",
                details={
                    "repo": str(self.repo),
                    "branch": status.branch,
                    "sha": status.head_oid,
                    "session_key": state.session_id if state else None,
                    "error": status.error,
                },
            )
        return status, state

    def _ignore_state_file(self) -> None:
        """List the state file in ``.git/info/exclude`` so ``add -A`` never commits it."""
        if self._git_dir is None:
            return
        exclude = layout.common_dir_of(self._git_dir) / "info" / "exclude"
        line = f"/{SESSION_FILE}"
        try:
            current = exclude.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            current = ""
        except OSError:
            return
        if line in current.splitlines():
            return
        try:
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with exclude.open("a", encoding="utf-8") as handle:
                if current and not current.endswith("\n"):
                    handle.write("\n")
                handle.write(line + "\n")
        except OSError:
            return

    # -- backend ------------------------------------------------------------------------

    async def preflight(self) -> None:
        """Refuse early (before any git work) when the backend could not audit a change.

        Raises:
            ReadOnly: the backend is read-only.
            PermissionDenied: the role may not update sessions.
        """
        if self.backend is None:
            return
        from coditect_tui.core.models import Action, Resource
        from coditect_tui.core.policy import shipped_policy

        me = await self.backend.whoami()
        if me.read_only:
            raise ReadOnly("read-only mode: git session actions are refused")
        if shipped_policy().scope(me.role, Resource.SESSIONS, Action.UPDATE) is None:
            raise PermissionDenied(f"role {me.role!r} may not run git sessions")

    async def _audit(
        self, verb: str, outcome: Outcome, details: dict[str, Any], *, create: bool = False
    ) -> None:
        if self.backend is None:
            return
        from coditect_tui.core.models import Action, Resource

        clean = {"repo": str(self.repo), **details}
        await self.backend.record_event(
            Resource.SESSIONS,
            Action.CREATE if create else Action.UPDATE,
            f"sessions.{verb}",
            self._record_id or self.repo_id,
            outcome=outcome,
            details=clean,
        )

    async def adopt(self, state: SessionState) -> str | None:
        """Make sure the backend has a history row for ``state`` (picks up old sessions).

        Args:
            state: the session in the working tree's state file.

        Returns:
            The backend session id (None without backend, repo id, or write access).
        """
        if self.backend is None or self.repo_id is None:
            return None
        if self._record_id is not None:
            return self._record_id
        from coditect_tui.core.models import GitSessionSpec, GitSessionUpdate

        cursor: str | None = None
        while True:
            page = await self.backend.list_sessions(repo_id=self.repo_id, cursor=cursor, limit=200)
            for item in page.items:
                if item.session_key == state.session_id:
                    self._record_id = item.id
                    return item.id
            cursor = page.next_cursor
            if cursor is None:
                break
        me = await self.backend.whoami()
        if me.read_only:
            return None
        record = await self.backend.create_session(
            GitSessionSpec(
                repo_id=self.repo_id,
                session_key=state.session_id,
                description=state.description,
                branch=state.branch,
                started_at=state.started(),
            )
        )
        self._record_id = record.id
        if state.commit_count or state.push_count:
            await self.backend.update_session(
                record.id,
                GitSessionUpdate(commit_count=state.commit_count, push_count=state.push_count),
            )
        return record.id

    async def _update_record(self, **fields: Any) -> None:
        if self.backend is None or self._record_id is None:
            return
        from coditect_tui.core.models import GitSessionUpdate

        await self.backend.update_session(self._record_id, GitSessionUpdate(**fields))

    async def _require_state(self, verb: str) -> SessionState:
        """The active session; a missing or bad one is audited as an error, then raised."""
        try:
            state = read_session(self.repo)
            if state is None:
                raise SessionError(
                    f"no active session in {safe_text(self.repo)}; start "
                    "one with: coditect session start DESCRIPTION"
                )
            check_branch_name(state.branch)
        except (SessionError, InvalidInput) as exc:
            await self._audit(
                verb, "error", {"branch": None, "sha": await self._head(), "error": str(exc)}
            )
            raise
        return state

    async def _guarded(self, verb: str, state: SessionState | None, work: Any) -> Any:
        """Run ``work()``; audit a failure or refusal with its reason, then re-raise."""
        try:
            return await work()
        except ConfirmationRequired as exc:
            await self._audit(
                verb, "denied", {"branch": state.branch if state else None, "reason": str(exc)}
            )
            raise
        except (GitError, SessionError, InvalidInput) as exc:
            try:
                sha = await self._head()
            except GitError:
                sha = None
            await self._audit(
                verb,
                "error",
                {"branch": state.branch if state else None, "sha": sha, "error": str(exc)},
            )
            raise

    # -- actions ------------------------------------------------------------------------

    async def start(self, description: str = "work session") -> ActionResult:
        """Start a session: create (or switch to) its branch and write the state file.

        Args:
            description: what the session is about.

        Returns:
            The result (branch, session id in details).

        Raises:
            SessionError: a session is already active here.
            InvalidInput: the description makes an invalid branch name.
            GitError: git failed.
        """
        now = self.now()
        try:
            existing = read_session(self.repo)
            if existing is not None:
                raise SessionError(
                    f"session {safe_text(existing.session_id)} is already "
                    f"active on {safe_text(existing.branch)}; end it first"
                )
            branch = session_branch(description, now)
        except (SessionError, InvalidInput) as exc:
            await self._audit(
                "start",
                "error",
                {
                    "branch": None,
                    "sha": await self._head(),
                    "description": description,
                    "error": str(exc),
                },
                create=True,
            )
            raise

        async def work() -> ActionResult:
            current = await self.status()
            if current.error:
                raise SessionError(f"cannot read the repo: {current.error}")
            if current.branch != branch:
                if await self._ref_exists(f"refs/heads/{branch}"):
                    await self._git("switch", "--no-guess", branch)
                    created = False
                else:
                    await self._git("switch", "--no-guess", "-c", branch)
                    created = True
            else:
                created = False
            state = SessionState(
                session_id=now.strftime(SESSION_ID_FORMAT),
                description=description,
                branch=branch,
                started_at=now.isoformat(),
            )
            write_session(self.repo, state)
            self._ignore_state_file()
            record = await self.adopt(state)
            sha = await self._head()
            details = {
                "branch": branch,
                "sha": sha,
                "session_key": state.session_id,
                "created_branch": created,
                "session_record": record,
            }
            await self._audit("start", "ok", details, create=True)
            return ActionResult(
                "start",
                True,
                f"session {state.session_id} started on {safe_text(branch)}",
                self.repo,
                branch,
                sha,
                details,
            )

        return await self._guarded("start", None, work)

    async def cascade_plan(self) -> list[Path]:
        """The repos a cascading commit would touch: dirty submodules (deepest first),
        then this repo.

        Returns:
            Working trees in commit order; just ``[self.repo]`` outside a master.
        """
        order: list[Path] = []

        async def visit(repo: Path, depth: int) -> None:
            if depth > 8:
                return
            for entry in read_gitmodules(repo, layout.git_dir_of(repo)):
                if not entry.initialised:
                    continue
                child = repo.joinpath(*entry.path.split("/"))
                await visit(child, depth + 1)
                status = await read_status(self.runner, child)
                if not status.error and status.dirty:
                    order.append(child)

        await visit(self.repo, 0)
        return [*order, self.repo]

    async def _commit_one(self, repo: Path, message: str) -> str | None:
        """Stage everything in ``repo`` and commit; the new sha, or None if nothing."""
        await self._git("add", "-A", repo=repo)
        staged = await self.runner.run(repo, ["diff", "--cached", "--quiet", *DIFF_SAFETY])
        if staged.ok:
            return None
        await self._git("commit", "-q", "-F", "-", stdin=message.encode(), repo=repo)
        return await self._head(repo)

    async def commit(
        self, message: str | None = None, *, cascade: bool = False, confirmed: bool = False
    ) -> ActionResult:
        """Stage everything and commit (``git add -A`` + ``git commit``).

        Args:
            message: the commit message (default: one naming the session).
            cascade: in a master, commit dirty submodules first, then the parent.
            confirmed: the user confirmed the cascade's list of repos.

        Returns:
            The result; ``ok`` with "nothing to commit" when the tree is clean.

        Raises:
            ConfirmationRequired: a cascade that touches more than this repo and is not
                confirmed (``repos`` lists them).
            SessionError: no active session, or a submodule on a detached HEAD.
            GitError: git failed (e.g. a hook refused).
        """
        state = await self._require_state("commit")
        await self.adopt(state)
        text = message or (
            f"Session {state.description}: work in progress\n\n"
            f"Session: {state.session_id}\n"
            f"Timestamp: {self.now().strftime('%Y-%m-%d %H:%M:%S')}"
        )

        async def work() -> ActionResult:
            children: list[ActionResult] = []
            current = await self.status()
            if current.error:
                raise SessionError(f"cannot read the repo: {current.error}")
            if current.detached:
                raise SessionError(
                    "HEAD is detached; switch to the session branch "
                    f"{safe_text(state.branch)} before committing"
                )
            branch = current.branch or state.branch
            if cascade:
                plan = await self.cascade_plan()
                if len(plan) > 1 and not confirmed:
                    raise ConfirmationRequired(
                        f"a cascading commit touches {len(plan)} repos; confirm to go on", plan
                    )
                for sub in plan[:-1]:
                    sub_status = await read_status(self.runner, sub)
                    if sub_status.detached:
                        raise SessionError(
                            f"submodule {safe_text(sub)} is on a detached "
                            "HEAD; check out a branch in it first"
                        )
                for sub in plan[:-1]:
                    sha = await self._commit_one(sub, text)
                    details: dict[str, Any] = {
                        "branch": (await read_status(self.runner, sub)).branch,
                        "sha": sha,
                        "cascade_of": str(self.repo),
                        "submodule": str(sub),
                    }
                    await self._audit("commit", "ok", {**details, "repo": str(sub)})
                    children.append(
                        ActionResult(
                            "commit",
                            True,
                            f"committed {safe_text(sub)}",
                            sub,
                            details["branch"],
                            sha,
                            details,
                        )
                    )
            sha = await self._commit_one(self.repo, text)
            if sha is None:
                details = {
                    "branch": branch,
                    "sha": await self._head(),
                    "committed": False,
                    "cascade": [str(c.repo) for c in children],
                }
                await self._audit("commit", "ok", details)
                return ActionResult(
                    "commit",
                    True,
                    "nothing to commit",
                    self.repo,
                    branch,
                    details["sha"],
                    details,
                    children,
                )
            state.last_commit = self.now().isoformat()
            state.commit_count += 1
            write_session(self.repo, state)
            await self._update_record(last_commit=sha, commit_count=state.commit_count)
            details = {
                "branch": branch,
                "sha": sha,
                "committed": True,
                "commit_count": state.commit_count,
                "cascade": [str(c.repo) for c in children],
            }
            await self._audit("commit", "ok", details)
            return ActionResult(
                "commit",
                True,
                f"committed {sha[:7]} (commit #{state.commit_count})",
                self.repo,
                branch,
                sha,
                details,
                children,
            )

        return await self._guarded("commit", state, work)

    async def _push_one(self, repo: Path, *, confirm_main: bool) -> tuple[str, str | None]:
        """Push ``repo``'s current branch to origin; ("pushed"|"up to date", branch)."""
        status = await read_status(self.runner, repo)
        if status.error:
            raise SessionError(f"cannot read {safe_text(repo)}: {status.error}")
        if status.detached or not status.branch:
            raise SessionError(f"{safe_text(repo)} is on a detached HEAD; nothing to push")
        if status.unborn:
            raise SessionError(f"{safe_text(repo)} has no commits to push")
        branch = check_branch_name(status.branch)
        if self._origin_url(repo) is None:
            raise SessionError(f"{safe_text(repo)} has no remote 'origin'")
        if status.upstream and not status.upstream_gone and status.ahead == 0:
            return "up to date", branch
        if branch == status.main_branch and not confirm_main:
            raise ConfirmationRequired(
                f"pushing the main branch {safe_text(branch)!r} of {safe_text(repo)} needs "
                "explicit confirmation (--confirm-main)"
            )
        await self._git(
            "push",
            "-u",
            "--",
            "origin",
            f"refs/heads/{branch}:refs/heads/{branch}",
            network=True,
            repo=repo,
        )
        return "pushed", branch

    async def push(
        self, *, confirm_main: bool = False, cascade: bool = False, confirmed: bool = False
    ) -> ActionResult:
        """``git push -u origin <branch>`` (never forced), when there is something to push.

        Args:
            confirm_main: allow pushing when the current branch is the main branch.
            cascade: in a master, push submodules with unpushed commits first.
            confirmed: the user confirmed the cascade's list of repos.

        Returns:
            The result; ``ok`` with "up to date" when nothing was ahead.

        Raises:
            ConfirmationRequired: main branch without ``confirm_main``, or an unconfirmed
                cascade.
            SessionError: no active session, no origin, a detached HEAD.
            GitError: the push failed (rejected, no access...).
        """
        state = await self._require_state("push")
        await self.adopt(state)

        async def work() -> ActionResult:
            children: list[ActionResult] = []
            if cascade:
                subs = []
                for entry in read_gitmodules(self.repo, self._git_dir):
                    child = self.repo.joinpath(*entry.path.split("/"))
                    if entry.initialised:
                        st = await read_status(self.runner, child)
                        if not st.error and st.branch and (st.ahead or not st.upstream):
                            subs.append(child)
                if subs and not confirmed:
                    raise ConfirmationRequired(
                        f"a cascading push touches {len(subs) + 1} repos; confirm to go on",
                        [*subs, self.repo],
                    )
                for sub in subs:
                    outcome, branch = await self._push_one(sub, confirm_main=confirm_main)
                    sha = await self._head(sub)
                    details: dict[str, Any] = {
                        "branch": branch,
                        "sha": sha,
                        "result": outcome,
                        "cascade_of": str(self.repo),
                        "repo": str(sub),
                    }
                    await self._audit("push", "ok", details)
                    children.append(
                        ActionResult(
                            "push", True, f"{outcome}: {safe_text(sub)}", sub, branch, sha, details
                        )
                    )
            outcome, branch = await self._push_one(self.repo, confirm_main=confirm_main)
            sha = await self._head()
            if outcome == "pushed":
                state.last_push = self.now().isoformat()
                state.push_count += 1
                write_session(self.repo, state)
                from datetime import UTC

                await self._update_record(last_push=datetime.now(UTC), push_count=state.push_count)
            details = {
                "branch": branch,
                "sha": sha,
                "result": outcome,
                "remote": "origin",
                "push_count": state.push_count,
                "cascade": [str(c.repo) for c in children],
            }
            await self._audit("push", "ok", details)
            message = (
                f"pushed {safe_text(branch)} to origin (push #{state.push_count})"
                if outcome == "pushed"
                else "nothing to push"
            )
            return ActionResult("push", True, message, self.repo, branch, sha, details, children)

        return await self._guarded("push", state, work)

    async def sync(self) -> tuple[ActionResult, SyncConflict | None]:
        """Fetch origin, then ``pull --rebase origin <branch>``.

        On a conflict the repo is left exactly as git left it (rebase in progress) and
        the conflict is returned, not hidden.

        Returns:
            The result and, when the rebase stopped, the conflict.

        Raises:
            SessionError: no active session, no origin, a detached HEAD.
            GitError: the fetch failed.
        """
        state = await self._require_state("sync")
        await self.adopt(state)

        async def work() -> tuple[ActionResult, SyncConflict | None]:
            status = await self.status()
            if status.detached or not status.branch:
                raise SessionError("HEAD is detached; nothing to sync")
            branch = check_branch_name(status.branch)
            if self._origin_url() is None:
                raise SessionError("no remote 'origin' to sync with")
            await self._git("fetch", "--", "origin", network=True)
            if not await self._ref_exists(f"refs/remotes/origin/{branch}"):
                details: dict[str, Any] = {
                    "branch": branch,
                    "sha": await self._head(),
                    "result": "no remote branch",
                }
                await self._audit("sync", "ok", details)
                return ActionResult(
                    "sync",
                    True,
                    f"origin has no branch {safe_text(branch)} yet; nothing to pull",
                    self.repo,
                    branch,
                    details["sha"],
                    details,
                ), None
            pulled = await self.runner.run(
                self.repo,
                ["pull", "--rebase", "--", "origin", branch],
                write=True,
                timeout=NETWORK_TIMEOUT,
            )
            sha = await self._head()
            if pulled.ok:
                details = {"branch": branch, "sha": sha, "result": "synced"}
                await self._audit("sync", "ok", details)
                return ActionResult(
                    "sync",
                    True,
                    f"synced with origin/{safe_text(branch)}",
                    self.repo,
                    branch,
                    sha,
                    details,
                ), None
            after = await self.status()
            assert self._git_dir is not None
            rebasing = any((self._git_dir / d).exists() for d in ("rebase-merge", "rebase-apply"))
            files = [
                f.path
                for f in after.files
                if f.code[0] == "U" or f.code[1] == "U" or f.code in ("AA", "DD")
            ]
            conflict = SyncConflict(
                files=files, rebase_in_progress=rebasing, message=pulled.error_line()
            )
            details = {
                "branch": branch,
                "sha": sha,
                "result": "conflict" if files else "failed",
                "conflicted_files": files[:50],
                "rebase_in_progress": rebasing,
                "error": pulled.error_line(),
            }
            await self._audit("sync", "error", details)
            if files:
                shown = ", ".join(safe_text(f) for f in files[:10])
                more = f" and {len(files) - 10} more" if len(files) > 10 else ""
                message = (
                    f"sync stopped: rebase conflict in {shown}{more}; resolve, then "
                    "git rebase --continue (or git rebase --abort)"
                )
            else:
                message = f"sync failed: {safe_text(pulled.error_line())}"
            return ActionResult("sync", False, message, self.repo, branch, sha, details), conflict

        return await self._guarded("sync", state, work)

    async def pr(
        self, title: str | None = None, body: str | None = None, *, confirm_main: bool = False
    ) -> ActionResult:
        """Open a pull request with ``gh`` when installed, else give the compare URL.

        Commits and pushes first when needed (as the helper did).

        Args:
            title: PR title (default: ``Session: <description>``).
            body: PR body (default: ``Work from session <id>``).
            confirm_main: passed on to the push.

        Returns:
            The result; ``details["url"]`` is the PR or compare URL when known.

        Raises:
            SessionError: no active session, or the session branch is the main branch.
            GitError: commit, push or gh failed.
        """
        state = await self._require_state("pr")
        await self.adopt(state)

        async def work() -> ActionResult:
            status = await self.status()
            base = status.main_branch
            if not status.branch or status.branch == base:
                raise SessionError(
                    f"a pull request needs a session branch other than {safe_text(base)}"
                )
            branch = check_branch_name(status.branch)
            if status.dirty:
                await self.commit(title or f"Session: {state.description}")
            await self.push(confirm_main=confirm_main)
            pr_title = title or f"Session: {state.description}"
            pr_body = body or f"Work from session {state.session_id}"
            gh = shutil.which("gh")
            if gh:
                import asyncio

                code, out, err = await asyncio.to_thread(
                    run_program,
                    [
                        gh,
                        "pr",
                        "create",
                        "--title",
                        pr_title,
                        "--body",
                        pr_body,
                        "--base",
                        base,
                        "--head",
                        branch,
                    ],
                    cwd=self.repo,
                    env=git_env(self.repo),
                    stdin=None,
                    timeout=NETWORK_TIMEOUT,
                )
                if code != 0:
                    last = err.decode(errors="replace").strip().splitlines()[-1:] or [
                        "timed out" if code is None else f"exit {code}"
                    ]
                    raise SessionError("gh pr create failed: " + safe_text(last[0]))
                url: str | None = out.decode(errors="replace").strip()
                how = "gh"
            else:
                origin = self._origin_url()
                url = compare_url(origin, base, branch) if origin else None
                how = "compare-url"
            details = {
                "branch": branch,
                "sha": await self._head(),
                "base": base,
                "url": url,
                "via": how,
            }
            await self._audit("pr", "ok", details)
            if url:
                message = (
                    f"pull request: {safe_text(url)}"
                    if how == "gh"
                    else f"gh is not installed; open {safe_text(url)}"
                )
            else:
                message = (
                    "gh is not installed and origin has no web URL; push done, open "
                    "the pull request on your git host"
                )
            return ActionResult("pr", True, message, self.repo, branch, details["sha"], details)

        return await self._guarded("pr", state, work)

    async def summary(self, state: SessionState) -> dict[str, Any]:
        """Duration, commits, files changed, insertions and deletions of the session.

        Commits and the diff are counted from the merge base with the main branch (or
        its ``origin/`` copy); without either, only the session's own counters are used.

        Args:
            state: the session.

        Returns:
            A JSON-ready summary.
        """
        main = self.main_branch()
        base_ref = None
        for candidate in (f"refs/heads/{main}", f"refs/remotes/origin/{main}"):
            if await self._ref_exists(candidate):
                base_ref = candidate
                break
        commits = files = insertions = deletions = 0
        base_sha = None
        head = await self._head()
        if base_ref and head:
            mb = await self.runner.run(
                self.repo, ["merge-base", "--end-of-options", base_ref, "HEAD"]
            )
            base_sha = mb.text().strip() if mb.ok else None
        if base_sha and head:
            counted = await self.runner.run(
                self.repo, ["rev-list", "--count", "--end-of-options", f"{base_sha}..HEAD", "--"]
            )
            commits = int(counted.text().strip() or 0) if counted.ok else 0
            stat = await self.runner.run(
                self.repo,
                ["diff", "--shortstat", *DIFF_SAFETY, "--end-of-options", base_sha, "HEAD", "--"],
            )
            files, insertions, deletions = parse_shortstat(stat.text()) if stat.ok else (0, 0, 0)
        duration = self.now().astimezone() - state.started()
        seconds = max(0, int(duration.total_seconds()))
        return {
            "session_id": state.session_id,
            "description": state.description,
            "branch": state.branch,
            "duration_seconds": seconds,
            "duration": f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}",
            "commits": commits,
            "session_commits": state.commit_count,
            "pushes": state.push_count,
            "files_changed": files,
            "insertions": insertions,
            "deletions": deletions,
            "base": main,
            "base_sha": base_sha,
            "head": head,
        }

    async def end(
        self,
        *,
        merge: bool = False,
        confirm_merge: bool = False,
        confirm_main: bool = False,
        cascade: bool = False,
        confirmed: bool = False,
    ) -> ActionResult:
        """End the session: final commit and push, optional merge, summary, history row.

        Args:
            merge: ``merge --no-ff`` the session branch into the main branch and push it.
            confirm_merge: the explicit confirmation a merge needs.
            confirm_main: allow the final push when the session is on the main branch.
            cascade: cascade the final commit and push through dirty submodules.
            confirmed: the user confirmed the cascade's list of repos.

        Returns:
            The result; ``details["summary"]`` holds the summary.

        Raises:
            ConfirmationRequired: ``merge`` without ``confirm_merge``.
            SessionError, GitError: something failed; the state file is kept then.
        """
        state = await self._require_state("end")
        await self.adopt(state)
        if merge and not confirm_merge:
            await self._audit(
                "end", "denied", {"branch": state.branch, "reason": "merge not confirmed"}
            )
            raise ConfirmationRequired(
                "merging into the main branch needs explicit confirmation (--confirm-merge)"
            )

        async def work() -> ActionResult:
            status = await self.status()
            if status.dirty:
                await self.commit(END_MESSAGE, cascade=cascade, confirmed=confirmed)
            current = read_session(self.repo) or state
            pushed = None
            if self._origin_url() is not None:
                pushed = (
                    await self.push(confirm_main=confirm_main, cascade=cascade, confirmed=confirmed)
                ).details.get("result")
                current = read_session(self.repo) or current
            summary = await self.summary(current)
            merged = False
            if merge:
                merged = await self._merge(current)
            summary["merged"] = merged
            summary["pushed"] = pushed
            clear_session(self.repo)
            from datetime import UTC

            await self._update_record(
                ended_at=datetime.now(UTC),
                state="ended",
                summary=summary,
                commit_count=current.commit_count,
                push_count=current.push_count,
            )
            details: dict[str, Any] = {
                "branch": current.branch,
                "sha": await self._head(),
                "summary": summary,
            }
            await self._audit("end", "ok", details)
            message = (
                f"session {safe_text(current.session_id)} ended: {summary['duration']}, "
                f"{summary['commits']} commits, {summary['files_changed']} files "
                f"changed, +{summary['insertions']} -{summary['deletions']}"
                + (f", merged into {safe_text(summary['base'])}" if merged else "")
            )
            return ActionResult(
                "end", True, message, self.repo, current.branch, details["sha"], details
            )

        return await self._guarded("end", state, work)

    async def _merge(self, state: SessionState) -> bool:
        """Merge the session branch into main (``--no-ff``), push main, delete the branch."""
        main = check_branch_name(self.main_branch())
        branch = check_branch_name(state.branch)
        if branch == main:
            return False
        await self._git("switch", "--no-guess", main)
        has_origin = self._origin_url() is not None
        if has_origin and await self._ref_exists(f"refs/remotes/origin/{main}"):
            await self._git("pull", "--ff-only", "--", "origin", main, network=True)
        merged = await self.runner.run(
            self.repo,
            ["merge", "--no-ff", "-m", f"Merge session: {branch}", "--", branch],
            write=True,
        )
        if not merged.ok:
            raise SessionError(
                f"merge of {safe_text(branch)} into {safe_text(main)} "
                f"stopped: {safe_text(merged.error_line())}; resolve it, "
                "or git merge --abort"
            )
        if has_origin:
            await self._git(
                "push", "--", "origin", f"refs/heads/{main}:refs/heads/{main}", network=True
            )
        await self._git("branch", "-d", "--", branch)
        return True


async def resolve_repo_id(backend: Backend, repo: Path, roots: list[Path]) -> str:
    """Register (idempotently) the project holding ``repo`` and return the repo's id.

    The project is named as discovery would name it under the tenant's roots.

    Args:
        backend: the tenant's backend.
        repo: a working tree (a top-level repo or a submodule).
        roots: the tenant's workspace roots (for the project's name).

    Returns:
        The repo's backend id.

    Raises:
        NotFound: the repo could not be placed in a project.
    """
    from coditect_tui.core.git.discovery import discover, project_name, register_tree

    top = await _to_thread(superproject_of_path, repo)
    tree = await _to_thread(discover, [top])
    if not tree.projects:
        raise NotFound(f"{safe_text(repo)} is not part of a discoverable project")
    project = tree.projects[0]
    for root in roots:
        root_abs = Path(os.path.abspath(root))
        if top != root_abs and top.is_relative_to(root_abs):
            project.name = project_name(root_abs, top)
            break
    cursor: str | None = None
    while True:  # a same-named project elsewhere is not ours to move: use the full path
        page = await backend.list_projects(cursor=cursor, limit=1000)
        clash = next((p for p in page.items if p.name == project.name), None)
        if clash is not None:
            if clash.path not in (None, str(top)):
                project.name = str(top)
            break
        cursor = page.next_cursor
        if cursor is None:
            break
    registration = await register_tree(backend, tree)
    repo_id = registration.repo_ids.get(str(Path(os.path.abspath(repo))))
    if repo_id is None:
        raise NotFound(f"{safe_text(repo)} is not part of a discoverable project")
    return repo_id


def superproject_of_path(repo: Path) -> Path:
    """:func:`coditect_tui.core.git.discovery.superproject_of` (imported lazily)."""
    from coditect_tui.core.git.discovery import superproject_of

    return superproject_of(repo)


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(func, *args)
