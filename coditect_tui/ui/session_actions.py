"""The git session verbs (start, commit, push, sync, pr, end) and their dialogs, around
coditect_tui.core.git.sessions.

Every verb goes through the engine, which asks the backend first (a read-only backend
refuses before any git work) and audits the outcome. Dangerous steps (pushing the main
branch, merging, a cascade through submodules) need the repo's name typed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.git.sessions import GitSessions
    from coditect_tui.core.tenant.session import TenantSession
    from coditect_tui.core.workspace_view import RepoView
    from coditect_tui.ui.app import CoditectApp

T = TypeVar("T")


def _no_session(repo: RepoView) -> bool:
    """Whether ``repo`` has no session state file (a corrupt one is not "no session")."""
    from coditect_tui.core.git.sessions import read_session

    try:
        return read_session(Path(repo.path)) is None
    except CoditectError:
        return False


class SessionActions:
    """The git session verbs of the selected repo, with their dialogs.

    Args:
        app: the app (dialogs and notifications).
        session: the open tenant session (backend, runner, repo ids).
        selected: returns the selected repo, or None.
    """

    def __init__(
        self,
        app: CoditectApp,
        session: TenantSession,
        selected: Callable[[], RepoView | None],
    ) -> None:
        self.app = app
        self.session = session
        self._selected = selected

    VERBS = ("start", "commit", "push", "sync", "pr", "end")

    def _selected_repo(self, what: str) -> RepoView | None:
        repo = self._selected()
        if repo is None or not repo.initialised:
            self.app.notify(
                f"{what}: select an initialised repo in the tree first.", severity="warning"
            )
            return None
        return repo

    def _start_key(self) -> str:
        """The key that starts a session (as remapped in ui.keymap)."""
        from textual.binding import Binding

        from coditect_tui.ui.actions import ACTIONS

        start = next(a for a in ACTIONS if a.binding_id == "session.start")
        key = dict(self.app.boot.keymap).get(start.binding_id, start.key).split(",")[0].strip()
        return self.app.get_key_display(Binding(key, ""))

    def session_engine(self, repo: RepoView) -> GitSessions:
        """The session engine for ``repo``, wired to the tenant's backend.

        Raises:
            CoditectError: the tenant is still opening (no git runner yet).
        """
        from coditect_tui.core.errors import InvalidInput
        from coditect_tui.core.git.sessions import GitSessions

        if self.session.runner is None:
            raise InvalidInput("the tenant is still opening; try again in a moment")
        return GitSessions(
            Path(repo.path),
            runner=self.session.runner,
            backend=self.session.backend,
            repo_id=self.session.repo_ids.get(repo.path),
        )

    async def _session_confirming(
        self,
        repo: RepoView,
        verb: str,
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
                confirmed = await self.app.push_screen_wait(
                    TypedConfirmation(f"Confirm {verb}", lines, expected=repo.name)
                )
                if not confirmed:
                    self.app.notify(f"{verb.capitalize()} cancelled; nothing was done.")
                    return None
                flags[key] = True

    async def _session_after(self, repo: RepoView) -> None:
        await self.session.reread(repo.path)

    async def _session_run(
        self,
        verb: str,
        repo: RepoView,
        job: Callable[[GitSessions], Awaitable[str | None]],
    ) -> None:
        try:
            engine = self.session_engine(repo)
            await engine.preflight(verb)
            message = await job(engine)
        except CoditectError as exc:
            if verb != "start" and _no_session(repo):
                # the engine's hint names the CLI command; in the app a key starts one
                self.app.notify(
                    f"{verb.capitalize()}: no git session in {safe_text(repo.name)}; "
                    f"press {self._start_key()} to start one.",
                    severity="warning",
                )
            else:
                self.app.report(exc, f"Session {verb}")
            message = None
        if message:
            self.app.notify(safe_text(message), title=f"Session {verb}", timeout=10)
        await self._session_after(repo)

    async def start(self) -> None:
        """Start a session on the selected repo."""
        repo = self._selected_repo("Start session")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            description = await self.app.push_screen_wait(
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

    async def commit(self) -> None:
        """Stage everything and commit (optionally cascading through submodules)."""
        repo = self._selected_repo("Commit")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            message = await self.app.push_screen_wait(
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
        self,
        engine: GitSessions,
        verb: str,
    ) -> bool | None:
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        plan = await engine.cascade_plan()
        if len(plan) <= 1:
            return False
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                f"{verb.capitalize()}: master project",
                f"{plural(len(plan) - 1, 'submodule')} {'has' if len(plan) == 2 else 'have'} "
                f"changes. {verb.capitalize()} them first, then "
                "this repo's submodule pointers?",
                [
                    (
                        "cascade",
                        f"Cascade through {plural(len(plan), 'repo')} "
                        "(asks you to confirm the list)",
                    ),
                    ("single", "Only this repo"),
                    ("cancel", "Cancel"),
                ],
            )
        )
        if choice in (None, "cancel"):
            return None
        return choice == "cascade"

    async def push(self) -> None:
        """push -u origin <branch>; the main branch needs the repo's name typed in."""
        repo = self._selected_repo("Push")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            result = await self._session_confirming(repo, "push", engine.push)
            return result.message if result else None

        await self._session_run("push", repo, job)

    async def sync(self) -> None:
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
                self.app.notify(
                    f"Sync stopped on a conflict in {files}; {state}.",
                    title="Sync conflict",
                    severity="error",
                    timeout=20,
                )
                return None
            return result.message

        await self._session_run("sync", repo, job)

    async def pr(self) -> None:
        """Open a pull request (gh), or show the compare URL."""
        repo = self._selected_repo("Pull request")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import TextPrompt

            title = await self.app.push_screen_wait(
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

    async def end(self) -> None:
        """Final commit and push, optional merge into main (typed confirmation), summary."""
        repo = self._selected_repo("End session")
        if repo is None:
            return

        async def job(engine: GitSessions) -> str | None:
            from coditect_tui.ui.screens.dialogs import ChoiceDialog, TypedConfirmation

            main = engine.main_branch()
            choice = await self.app.push_screen_wait(
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
            if merge:  # refused before the typed name is asked when it cannot merge
                main = await engine.check_merge()
            if merge and not await self.app.push_screen_wait(
                TypedConfirmation(
                    "Confirm merge",
                    [f"Merge the session branch into {main} and push {main} to origin."],
                    expected=repo.name,
                )
            ):
                self.app.notify("End cancelled; nothing was done.")
                return None
            result = await self._session_confirming(
                repo, "end", engine.end, merge=merge, confirm_merge=merge
            )
            if result is None:
                return None
            self.app.notify(safe_text(result.message), title="Session end", timeout=10)
            await self._session_export(engine, repo, result.message)
            return None

        await self._session_run("end", repo, job)

    async def _session_export(
        self,
        engine: GitSessions,
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

        folder = self.session.project_folder(repo.path)
        backend = self.session.backend
        if backend is None or engine.record_id is None or folder is None:
            return
        why = self.app.refusal("memory.export")
        if why is not None:
            self.app.notify(f"No session export: {why}", severity="warning", timeout=8)
            return
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                "Session export",
                "Write a session export (CODITECT's <ISO>Z-<desc>.md) into "
                f"{safe_text(memory_dir_of(folder))}/sessions?",
                [("write", "Write the export"), ("skip", "Skip")],
            )
        )
        if choice != "write":
            return
        notes = await self.app.push_screen_wait(
            TextPrompt("Session export", "Summary in your words (optional)", allow_empty=True)
        )
        record = await backend.get_session(engine.record_id)
        commits = await recent_commits(engine.runner, Path(repo.path), limit=10)
        export = SessionExport.from_git_session(
            record,
            repository=repo.path,
            summary=notes or summary,
            recent_commits=[f"{c.short_sha} {c.subject}" for c in commits],
        )
        written = await write_session_export(
            backend,
            memory_dir_of(folder),
            export,
            project_id=await self.session.project_id(repo.path),
        )
        self.app.notify(  # the export is a new, uncommitted file in the project's tree
            f"Session export written (not committed): {safe_text(written.path)}", timeout=10
        )
        self.session.memory_changed()
