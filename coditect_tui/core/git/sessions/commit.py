"""``session commit``: stage everything and commit, cascading through dirty submodules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coditect_tui.core.git import layout
from coditect_tui.core.git.runner import DIFF_SAFETY
from coditect_tui.core.git.sessions.base import SessionsBase
from coditect_tui.core.git.sessions.errors import ConfirmationRequired, SessionError
from coditect_tui.core.git.sessions.results import ActionResult
from coditect_tui.core.git.sessions.state import write_session
from coditect_tui.core.git.status import read_gitmodules, read_status
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural


class CommitFlow(SessionsBase):
    """The commit action and its cascade plan."""

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
        """Stage everything in ``repo`` (never the state file) and commit; the new sha,
        or None if nothing."""
        await self._keep_state_file_out(repo)
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
                        f"a cascading commit touches {plural(len(plan), 'repo')}; confirm to go on",
                        plan,
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
