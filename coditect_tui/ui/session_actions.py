"""The app's git session actions: dialogs around coditect_tui.core.git.sessions.

Every action goes through the engine, which asks the backend first (a read-only backend
refuses before any git work) and audits the outcome. Dangerous steps (pushing the main
branch, merging, a cascade through submodules) need the repo's name typed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.git.sessions import GitSessions
    from coditect_tui.core.workspace_view import RepoView
    from coditect_tui.ui.app import CoditectApp

T = TypeVar("T")


class SessionActions:
    """Mixed into the app: ``action_session_*`` and their dialogs."""

    def session_engine(self: CoditectApp, repo: RepoView) -> GitSessions:  # type: ignore[misc]
        """The session engine for ``repo``, wired to the tenant's backend."""
        from coditect_tui.core.git.runner import GitRunner
        from coditect_tui.core.git.sessions import GitSessions

        self.runner = self.runner or GitRunner()
        return GitSessions(
            Path(repo.path),
            runner=self.runner,
            backend=self.backend,
            repo_id=self.repo_ids.get(repo.path),
        )

    async def _session_confirming(
        self: CoditectApp,
        repo: RepoView,
        verb: str,  # type: ignore[misc]
        call: Callable[..., Awaitable[T]],
        **flags: Any,
    ) -> T | None:
        from coditect_tui.core.git.sessions import ConfirmationRequired
        from coditect_tui.ui.screens.dialogs import TypedConfirmation

        while True:
            try:
                return await call(**flags)
            except ConfirmationRequired as exc:
                key = "confirmed" if exc.repos else "confirm_main"
                if flags.get(key):
                    raise
                lines = [str(exc)]
                if exc.repos:
                    lines.append("Repos that will be touched, in order:")
                    lines += [f"  {safe_text(path)}" for path in exc.repos]
                confirmed = await self.push_screen_wait(
                    TypedConfirmation(f"Confirm {verb}", lines, expected=repo.name)
                )
                if not confirmed:
                    self.notify(f"{verb.capitalize()} cancelled; nothing was done.")
                    return None
                flags[key] = True

    async def _session_after(self: CoditectApp, repo: RepoView) -> None:  # type: ignore[misc]
        from coditect_tui.core.git.status import read_status

        if self.runner is None:
            return
        status = await read_status(self.runner, Path(repo.path))
        self._on_status(status)
        self._show_repo(repo.path)

    async def _session_run(
        self: CoditectApp,
        verb: str,
        repo: RepoView,  # type: ignore[misc]
        job: Callable[[GitSessions], Awaitable[str | None]],
    ) -> None:
        try:
            engine = self.session_engine(repo)
            await engine.preflight()
            message = await job(engine)
        except CoditectError as exc:
            self.report(exc, f"Session {verb}")
            message = None
        if message:
            self.notify(safe_text(message), title=f"Session {verb}", timeout=10)
        await self._session_after(repo)

    @work(group="session", exclusive=True)
    async def action_session_start(self: CoditectApp) -> None:  # type: ignore[misc]
        """Start a session on the selected repo."""
        repo = self._selected_repo("Start session")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            description = await self.push_screen_wait(
                TextPrompt(
                    "Start session",
                    "What is this session about? (becomes the branch "
                    "session/YYYY-MM-DD-<description>)",
                    placeholder="fix login flow",
                )
            )
            if description is None:
                return None
            return (await engine.start(description)).message

        await self._session_run("start", repo, job)

    @work(group="session", exclusive=True)
    async def action_session_commit(self: CoditectApp) -> None:  # type: ignore[misc]
        """Stage everything and commit (optionally cascading through submodules)."""
        repo = self._selected_repo("Commit")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            message = await self.push_screen_wait(
                TextPrompt(
                    "Commit",
                    "Commit message (empty: a default naming the session)",
                    allow_empty=True,
                )
            )
            if message is None:
                return None
            cascade = await self._session_ask_cascade(engine, "commit")
            if cascade is None:
                return None
            result = await self._session_confirming(
                repo, "commit", engine.commit, message=message or None, cascade=cascade
            )
            return result.message if result else None

        await self._session_run("commit", repo, job)

    async def _session_ask_cascade(
        self: CoditectApp,
        engine: GitSessions,  # type: ignore[misc]
        verb: str,
    ) -> bool | None:
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        plan = await engine.cascade_plan()
        if len(plan) <= 1:
            return False
        choice = await self.push_screen_wait(
            ChoiceDialog(
                f"{verb.capitalize()}: master project",
                f"{len(plan) - 1} submodules have changes. {verb.capitalize()} them first, then "
                "this repo's submodule pointers?",
                [
                    (
                        "cascade",
                        f"Cascade through {len(plan)} repos (asks you to confirm the list)",
                    ),
                    ("single", "Only this repo"),
                    ("cancel", "Cancel"),
                ],
            )
        )
        if choice in (None, "cancel"):
            return None
        return choice == "cascade"

    @work(group="session", exclusive=True)
    async def action_session_push(self: CoditectApp) -> None:  # type: ignore[misc]
        """push -u origin <branch>; the main branch needs the repo's name typed in."""
        repo = self._selected_repo("Push")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            result = await self._session_confirming(repo, "push", engine.push)
            return result.message if result else None

        await self._session_run("push", repo, job)

    @work(group="session", exclusive=True)
    async def action_session_sync(self: CoditectApp) -> None:  # type: ignore[misc]
        """fetch + pull --rebase; a conflict is reported and left as git left it."""
        repo = self._selected_repo("Sync")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            result, conflict = await engine.sync()
            if conflict is not None:
                files = ", ".join(safe_text(f) for f in conflict.files[:5]) or "(none listed)"
                state = (
                    "a rebase is in progress: resolve, then git rebase --continue, or "
                    "git rebase --abort"
                    if conflict.rebase_in_progress
                    else "the repo is as git left it"
                )
                self.notify(
                    f"Sync stopped on a conflict in {files}; {state}.",
                    title="Sync conflict",
                    severity="error",
                    timeout=20,
                )
                return None
            return result.message

        await self._session_run("sync", repo, job)

    @work(group="session", exclusive=True)
    async def action_session_pr(self: CoditectApp) -> None:  # type: ignore[misc]
        """Open a pull request (gh), or show the compare URL."""
        repo = self._selected_repo("Pull request")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            title = await self.push_screen_wait(
                TextPrompt(
                    "Pull request", "Title (empty: 'Session: <description>')", allow_empty=True
                )
            )
            if title is None:
                return None
            result = await self._session_confirming(
                repo, "pull request", engine.pr, title=title or None
            )
            return result.message if result else None

        await self._session_run("pr", repo, job)

    @work(group="session", exclusive=True)
    async def action_session_end(self: CoditectApp) -> None:  # type: ignore[misc]
        """Final commit and push, optional merge into main (typed confirmation), summary."""
        repo = self._selected_repo("End session")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import ChoiceDialog, TypedConfirmation

            main = engine.main_branch()
            choice = await self.push_screen_wait(
                ChoiceDialog(
                    "End session",
                    "Final commit and push, then:",
                    [
                        ("end", "End the session (keep the branch)"),
                        ("merge", f"End and merge --no-ff into {safe_text(main)}"),
                        ("cancel", "Cancel"),
                    ],
                )
            )
            if choice in (None, "cancel"):
                return None
            merge = choice == "merge"
            if merge and not await self.push_screen_wait(
                TypedConfirmation(
                    "Confirm merge",
                    [f"Merge the session branch into {main} and push {main} to origin."],
                    expected=repo.name,
                )
            ):
                self.notify("End cancelled; nothing was done.")
                return None
            result = await self._session_confirming(
                repo, "end", engine.end, merge=merge, confirm_merge=merge
            )
            if result is None:
                return None
            self.notify(safe_text(result.message), title="Session end", timeout=10)
            await self._session_export(engine, repo, result.message)
            return None

        await self._session_run("end", repo, job)

    async def _session_export(
        self: CoditectApp,
        engine: GitSessions,  # type: ignore[misc]
        repo: RepoView,
        summary: str,
    ) -> None:
        """Offer to write the ended session's export into MEMORY-CONTEXT/sessions/."""
        from coditect_tui.core.git.history import recent_commits
        from coditect_tui.core.memory.writer import (
            SessionExport,
            memory_dir_of,
            write_session_export,
        )
        from coditect_tui.ui.screens.dialogs import ChoiceDialog, TextPrompt

        folder = self._project_folder()
        if self.backend is None or engine.record_id is None or folder is None:
            return
        choice = await self.push_screen_wait(
            ChoiceDialog(
                "Session export",
                "Write a session export (CODITECT's <ISO>Z-<desc>.md) into "
                f"{safe_text(memory_dir_of(folder))}/sessions?",
                [("write", "Write the export"), ("skip", "Skip")],
            )
        )
        if choice != "write":
            return
        notes = await self.push_screen_wait(
            TextPrompt("Session export", "Summary in your words (optional)", allow_empty=True)
        )
        record = await self.backend.get_session(engine.record_id)
        commits = await recent_commits(engine.runner, Path(repo.path), limit=10)
        export = SessionExport.from_git_session(
            record,
            repository=repo.path,
            summary=notes or summary,
            recent_commits=[f"{c.short_sha} {c.subject}" for c in commits],
        )
        written = await write_session_export(
            self.backend, memory_dir_of(folder), export, project_id=await self._project_id()
        )
        self.notify(f"Session export written: {safe_text(written.path)}", timeout=10)
        self._memory_changed()
