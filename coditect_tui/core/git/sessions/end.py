"""``session end``: final commit and push, optional merge, the summary, the history row."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from coditect_tui.core.git.runner import DIFF_SAFETY, check_branch_name
from coditect_tui.core.git.sessions.errors import ConfirmationRequired, SessionError
from coditect_tui.core.git.sessions.remote import RemoteFlow
from coditect_tui.core.git.sessions.results import ActionResult
from coditect_tui.core.git.sessions.state import SessionState, clear_session, read_session
from coditect_tui.core.plugins import hub as plugin_hub
from coditect_tui.core.plugins.events import SessionEnded
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural

END_MESSAGE = "End of work session - final commit"


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


class EndFlow(RemoteFlow):
    """The end action (it commits and pushes through the other flows)."""

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
        if merge:  # a merge that cannot happen is refused before any confirmation
            await self.check_merge(state)
        if merge and not confirm_merge:
            await self._audit(
                "end", "denied", {"branch": state.branch, "reason": "merge not confirmed"}
            )
            raise ConfirmationRequired(
                "merging into the main branch needs explicit confirmation (--confirm-merge)"
            )

        async def work() -> ActionResult:
            await self._keep_state_file_out()  # a tracked state file: its removal is committed
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
            plugin_hub.emit(
                "session_ended",
                lambda: SessionEnded(
                    str(self.repo),
                    self.repo_id,
                    current.session_id,
                    current.branch,
                    int(summary["commits"]),
                    merged,
                ),
            )
            message = (
                f"session {safe_text(current.session_id)} ended: {summary['duration']}, "
                f"{plural(summary['commits'], 'commit')}, "
                f"{plural(summary['files_changed'], 'file')} changed, "
                f"+{summary['insertions']} -{summary['deletions']}"
                + (f", merged into {safe_text(summary['base'])}" if merged else "")
            )
            return ActionResult(
                "end", True, message, self.repo, current.branch, details["sha"], details
            )

        return await self._guarded("end", state, work)

    async def check_merge(self, state: SessionState | None = None) -> str:
        """:meth:`merge_target`, with a refusal audited as ``sessions.end`` error.

        Callers that ask for a typed confirmation call this first, so a merge that
        cannot happen is refused before the user is asked anything.

        Args:
            state: the active session, when already read.

        Returns:
            The main branch the merge would go into.

        Raises:
            SessionError, InvalidInput: as :meth:`merge_target`.
        """
        return str(await self._guarded("end", state, self.merge_target))

    async def _merge(self, state: SessionState) -> bool:
        """Merge the session branch into main (``--no-ff``), push main, delete the branch."""
        main = await self.merge_target()
        branch = check_branch_name(state.branch)
        if branch == main:
            return False
        if await self._ref_exists(f"refs/heads/{main}"):
            await self._git("switch", "--no-guess", main)
        else:  # only origin has it: a local branch tracking origin's
            await self._git("switch", "--no-guess", "--track", "-c", main, f"origin/{main}")
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
