"""The actions that talk to ``origin``: ``push``, ``sync`` (fetch + rebase) and ``pr``."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from coditect_tui.core.git.runner import NETWORK_TIMEOUT, check_branch_name, git_env, run_program
from coditect_tui.core.git.sessions.commit import CommitFlow
from coditect_tui.core.git.sessions.errors import ConfirmationRequired, SessionError
from coditect_tui.core.git.sessions.naming import compare_url
from coditect_tui.core.git.sessions.results import ActionResult, SyncConflict
from coditect_tui.core.git.sessions.state import write_session
from coditect_tui.core.git.status import read_gitmodules, read_status
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural


class RemoteFlow(CommitFlow):
    """The push, sync and pr actions (pr commits first, through the commit flow)."""

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
                        f"a cascading push touches {plural(len(subs) + 1, 'repo')}; "
                        "confirm to go on",
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
