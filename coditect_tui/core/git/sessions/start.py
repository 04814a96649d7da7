"""``session start``: create or switch to the session branch, write the state file."""

from __future__ import annotations

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.git.sessions.base import SessionsBase
from coditect_tui.core.git.sessions.errors import SessionError
from coditect_tui.core.git.sessions.naming import session_branch
from coditect_tui.core.git.sessions.results import ActionResult
from coditect_tui.core.git.sessions.state import (
    SESSION_ID_FORMAT,
    SessionState,
    read_session,
    write_session,
)
from coditect_tui.core.plugins import hub as plugin_hub
from coditect_tui.core.plugins.events import SessionStarted
from coditect_tui.core.safe_text import safe_text


class StartFlow(SessionsBase):
    """The start action."""

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
            await self._keep_state_file_out()
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
            plugin_hub.emit(
                "session_started",
                lambda: SessionStarted(
                    str(self.repo), self.repo_id, state.session_id, branch, description
                ),
            )
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
