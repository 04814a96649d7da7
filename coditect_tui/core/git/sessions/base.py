"""What every session action shares: git helpers, the state file, audit and history."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.git import gitconfig, layout
from coditect_tui.core.git.runner import NETWORK_TIMEOUT, GitError, GitRunner, check_branch_name
from coditect_tui.core.git.sessions.errors import ConfirmationRequired, SessionError
from coditect_tui.core.git.sessions.state import (
    SESSION_FILE,
    SessionState,
    local_now,
    read_session,
)
from coditect_tui.core.git.status import MainBranch, RepoStatus, read_status, resolve_main_branch
from coditect_tui.core.git.status.main_branch import HELPER_CONFIG
from coditect_tui.core.safe_text import fs_text, safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Outcome


class SessionsBase:
    """What every session action shares: git helpers, the state file, audit, history.

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
        now: Callable[[], datetime] = local_now,
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
        """The main branch (see :func:`~coditect_tui.core.git.status.resolve_main_branch`)."""
        return self.main_branch_info().name

    def main_branch_info(self) -> MainBranch:
        """The main branch with where it came from (helper config, remote HEAD...)."""
        return resolve_main_branch(self.repo, self._git_dir)

    async def merge_target(self) -> str:
        """The main branch a merge would go into, checked before anything is asked or done.

        Returns:
            The branch name (it exists locally, or as ``origin/<name>``).

        Raises:
            SessionError: the main branch exists neither locally nor on origin (a repo
                whose main branch cannot be told), or is not a valid branch name.
            InvalidInput: the name is not a valid branch name.
        """
        main = self.main_branch_info()
        name = check_branch_name(main.name)
        if await self._ref_exists(f"refs/heads/{name}") or await self._ref_exists(
            f"refs/remotes/origin/{name}"
        ):
            return name
        raise SessionError(
            f"cannot merge: the main branch {safe_text(name)} ({main.describe()}) does not "
            f"exist; set main_branch in {HELPER_CONFIG}"
        )

    async def status(self) -> RepoStatus:
        """The repo's status through the hardened read path."""
        return await read_status(self.runner, self.repo)

    async def report(self) -> tuple[RepoStatus, SessionState | None]:
        """``session status``: the repo's status and the active session, read only.

        A read writes nothing: no history row is created for a session the helper started
        (the first commit or push picks it up), no audit event is recorded and no project
        is registered (a backend that audits its reads does so itself).

        Returns:
            (status, state or None).

        Raises:
            SessionFileError: the state file is unreadable.
        """
        state = read_session(self.repo)
        status = await self.status()
        return status, state

    async def _keep_state_file_out(self, repo: Path | None = None) -> None:
        """Make sure no commit of ours ever holds the state file.

        The file is listed in the common git directory's ``info/exclude`` (one file for
        every worktree of the repo; a submodule's own git directory for a submodule), and
        when a commit (the helper's, or an older version of ours) already tracks it, it
        is removed from the index (``rm --cached``): the next commit records its removal
        and the file in the working tree stays as it is. Earlier commits are not
        rewritten.
        """
        where = repo or self.repo
        self._ignore_state_file(where)
        tracked = await self.runner.run(where, ["ls-files", "-z", "--cached", "--", SESSION_FILE])
        if tracked.ok and tracked.stdout.strip(b"\x00"):
            await self._git("rm", "--cached", "-q", "--", SESSION_FILE, repo=where)

    def _ignore_state_file(self, repo: Path | None = None) -> None:
        """List the state file in ``info/exclude`` so ``add -A`` never stages it."""
        git_dir = self._git_dir if repo is None else layout.git_dir_of(repo)
        if git_dir is None:
            return
        exclude = layout.common_dir_of(git_dir) / "info" / "exclude"
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

    async def preflight(self, verb: str = "preflight") -> None:
        """Refuse early (before any git work) when the backend would not audit the change.

        The backend decides (tier and role, ``Backend.authorize_event``) and audits its
        refusal as ``sessions.<verb>`` denied; nothing is decided here.

        Args:
            verb: the session action about to run (start, commit, push...).

        Raises:
            ReadOnly: the backend (or the role) is read-only.
            PermissionDenied: the tier lacks git sessions, or the role may not update them.
        """
        if self.backend is None:
            return
        from coditect_tui.core.models import Action, Resource

        await self.backend.authorize_event(
            Resource.SESSIONS, Action.UPDATE, f"sessions.{verb}", self._record_id or self.repo_id
        )

    async def _audit(
        self, verb: str, outcome: Outcome, details: dict[str, Any], *, create: bool = False
    ) -> None:
        if self.backend is None:
            return
        from coditect_tui.core.models import Action, Resource

        clean = {"repo": fs_text(self.repo), **details}
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
