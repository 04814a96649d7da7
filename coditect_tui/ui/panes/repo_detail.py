"""Repo detail: branch, upstream, ahead/behind, changed files by state, commits, submodules."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant.events import RepoStatusChanged, SessionEvent, StatusesLive
from coditect_tui.core.wording import head_label
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.fit import middle_ellipsis
from coditect_tui.ui.glyphs import badges
from coditect_tui.ui.tenant_link import TenantPane

if TYPE_CHECKING:
    from coditect_tui.core.git.objects import CommitInfo
    from coditect_tui.core.git.status import FileEntry, RepoStatus
    from coditect_tui.core.tenant.session import TenantSession

MAX_FILES_SHOWN = 200

#: How a porcelain XY code is grouped for display.
GROUPS = ("conflicted", "staged", "modified", "untracked")


def group_of(entry: FileEntry) -> list[str]:
    """The display groups of one changed path (a file may be staged and modified)."""
    code = entry.code
    if code == "??":
        return ["untracked"]
    if code in ("DD", "AU", "UD", "UA", "DU", "AA", "UU") or "U" in code:
        return ["conflicted"]
    groups = []
    if code[:1] not in (".", " ", ""):
        groups.append("staged")
    if code[1:2] not in (".", " ", ""):
        groups.append("modified")
    return groups or ["modified"]


def render_detail(view: RepoView, commits: Sequence[CommitInfo] | None, width: int = 0) -> Text:
    """The whole detail text of one repo (every untrusted value through safe_text).

    A cached status (the last exit's, until git is read) has no files, commit or
    submodules: only its header is shown.

    Args:
        view: the repo.
        commits: its recent commits (None: not read yet).
        width: the pane's columns (0: unknown). A path longer than that loses its
            middle: one line per path (a commit's whole subject wraps).
    """
    status = view.status
    fresh = status if status is not None and not status.cached else None
    out = Text()
    out.append(safe_text(view.name), style="bold")
    out.append("  ")
    out.append_text(badges(view))
    out.append(f"\n{_fit(safe_text(view.path), width)}\n", style="dim")
    if not view.initialised:
        out.append(
            "\nSubmodule listed in .gitmodules but not initialised.\n"
            "Run `git submodule update --init` in the parent to check it out.\n"
        )
        return out
    if status is None:
        out.append("\nReading status…\n", style="dim")
        return out
    if status.error:
        out.append(f"\ngit failed: {safe_text(status.error)}\n", style="bold")
        return out
    branch = safe_text(head_label(status))
    out.append(f"\nBranch    {branch}\n")
    out.append(f"Main      {safe_text(status.main_branch)}")
    if status.main_branch_source:
        out.append(f" (from {safe_text(status.main_branch_source)})", style="dim")
    out.append("\n")
    out.append(f"Upstream  {safe_text(status.upstream) if status.upstream else '(none)'}\n")
    out.append(f"Ahead     {status.ahead}   Behind {status.behind}   Stash {status.stash}\n")
    if status.health is not None:
        out.append(f"Health    {status.health.score}/100")
        if fresh is not None:
            out.append(f" ({status.health.band})")
            for issue in status.health.issues:
                out.append(f"\n  ! {safe_text(issue)}")
            for warning in status.health.warnings:
                out.append(f"\n  - {safe_text(warning)}")
        out.append("\n")
    if fresh is not None:
        _files(out, fresh, width)
        if fresh.submodules is not None:
            sub = fresh.submodules
            # short enough for one line of the pane at 80 columns
            out.append(
                f"\nSubmodules {sub.total}: {sub.initialised} init, "
                f"{sub.uninitialised} uninit, {sub.changed} changed\n",
                style="bold",
            )
            for folder in sub.folders:
                out.append(
                    f"  ! {safe_text(folder)}: an ordinary folder, though .gitmodules names it\n"
                )
    out.append("\nRecent commits\n", style="bold")
    if commits is None:
        last = fresh.last_commit if fresh else None
        if last is not None:
            _commit(out, last)
        out.append("  (loading…)\n" if fresh else "  (none)\n", style="dim")
    elif not commits:
        out.append("  (no commits yet)\n", style="dim")
    else:
        for commit in commits:
            _commit(out, commit)
    return out


def _fit(value: str, width: int) -> str:
    return middle_ellipsis(value, width) if width > 0 else value


def _commit(out: Text, commit: CommitInfo) -> None:
    when = commit.time.strftime("%Y-%m-%d %H:%M")
    out.append(f"  {commit.short_sha} ", style="yellow")
    out.append(f"{when} ", style="dim")
    out.append(safe_text(commit.subject, max_length=200))
    out.append(f" — {safe_text(commit.author, max_length=24)}\n", style="dim")


def _files(out: Text, status: RepoStatus, width: int = 0) -> None:
    grouped: dict[str, list[FileEntry]] = {g: [] for g in GROUPS}
    for entry in status.files:
        for group in group_of(entry):
            grouped[group].append(entry)
    counts = {
        "conflicted": status.conflicted,
        "staged": status.staged,
        "modified": status.modified,
        "untracked": status.untracked,
    }
    if not any(counts.values()):
        out.append("\nWorking tree clean\n", style="dim")
        return
    shown = 0
    for group in GROUPS:
        if not counts[group]:
            continue
        out.append(f"\n{group.capitalize()} ({counts[group]})\n", style="bold")
        for entry in grouped[group]:
            if shown >= MAX_FILES_SHOWN:
                out.append("  …\n", style="dim")
                break
            rename = f" ← {safe_text(entry.orig_path)}" if entry.orig_path else ""
            # one line per file: the code and the path never land on different lines
            path = _fit(f"{safe_text(entry.path)}{rename}", width - 3 - len(entry.code))
            out.append(f"  {entry.code} {path}\n")
            shown += 1


#: Repos whose recent commits are kept (the least recently shown is dropped first).
COMMITS_CACHED = 64


class RepoDetail(TenantPane, VerticalScroll):
    """The selected repo, in full; reads its recent commits itself."""

    follows_tree = True
    DEFAULT_CSS = """
    RepoDetail { padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.repo: RepoView | None = None
        self._commits: OrderedDict[str, list[CommitInfo]] = OrderedDict()

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(self._placeholder(), id="repo-detail-body")

    @staticmethod
    def _placeholder() -> Text:
        return Text("Select a repo in the tree to see its state.", style="dim")

    def session_bound(self, session: TenantSession | None) -> None:
        """Forget the previous tenant's repo and commits."""
        self.repo = None
        self._commits.clear()
        self.border_title = ""
        if self.is_mounted:
            self.query_one("#repo-detail-body", Static).update(self._placeholder())

    def session_event(self, event: SessionEvent) -> None:
        """Redraw the selected repo when its status changed (its commits may have too)."""
        if self.repo is None or self.session is None:
            return
        if isinstance(event, RepoStatusChanged) and event.repo.path == self.repo.path:
            self._commits.pop(self.repo.path, None)
            self.select(event.repo)
        elif isinstance(event, StatusesLive):
            repo = self.session.repo(self.repo.path)
            if repo is not None:
                self.select(repo)

    def select(self, repo: RepoView) -> None:
        """Show ``repo`` (and read its recent commits unless known)."""
        self.repo = repo
        commits = self._commits.get(repo.path)
        if commits is not None:
            self._commits.move_to_end(repo.path)
        self.show(repo, commits)
        if commits is None and repo.initialised and repo.status is not None and repo.status.read:
            self._load_commits(repo.path)

    @work(exclusive=True, group="commits")
    async def _load_commits(self, path: str) -> None:
        """Read the repo's recent commits (one hardened git log)."""
        from coditect_tui.core.git.history import recent_commits

        session = self.session
        if session is None or session.runner is None:
            return
        commits = await recent_commits(session.runner, Path(path), limit=10)
        if session is not self.session:
            return
        self._commits[path] = commits
        while len(self._commits) > COMMITS_CACHED:
            self._commits.popitem(last=False)
        if self.repo is not None and self.repo.path == path:
            self.show(self.repo, commits)

    def show(self, view: RepoView, commits: Sequence[CommitInfo] | None = None) -> None:
        """Display ``view`` (with its status and recent commits when known)."""
        width = self.scrollable_content_region.width
        if not self.show_vertical_scrollbar:  # a long detail adds one: leave room for it
            width -= self.styles.scrollbar_size_vertical
        self.query_one("#repo-detail-body", Static).update(render_detail(view, commits, width))
        self.border_title = Text(safe_text(view.name, max_length=40))

    def on_resize(self) -> None:
        """Fit the paths and commit lines to the new width."""
        if self.repo is not None:
            self.show(self.repo, self._commits.get(self.repo.path))

    # -- repo actions (the app's keys call these) -------------------------------------------

    def _initialised(self, what: str) -> RepoView | None:
        repo = self.repo
        if repo is None or not repo.initialised:
            self.app.notify(
                f"{what}: select an initialised repo in the tree first.", severity="warning"
            )
            return None
        return repo

    @work(group="git", exclusive=True)
    async def fetch(self) -> None:
        """git fetch in the selected repo (network; hardened; never runs repo hooks)."""
        from coditect_tui.core.errors import CoditectError
        from coditect_tui.core.git.history import fetch
        from coditect_tui.core.models import Action, Resource

        repo, session = self._initialised("Fetch"), self.session
        if repo is None or session is None or session.runner is None:
            return
        try:
            if session.backend is not None:  # audited first: a read-only backend refuses here
                await session.backend.record_event(
                    Resource.REPOS,
                    Action.UPDATE,
                    "repos.fetch",
                    session.repo_ids.get(repo.path),
                    details={"repo": repo.path},
                )
            message = await fetch(session.runner, Path(repo.path))
        except CoditectError as exc:
            self.app.report(exc, "Fetch")  # type: ignore[attr-defined]
            return
        self.app.notify(f"{safe_text(repo.name)}: {safe_text(message)}")

    def open_editor(self) -> None:
        """Suspend the app and open $EDITOR (or $VISUAL, else vi) in the selected repo."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        self._suspend_into([*shlex.split(editor), "."], "Editor")

    def open_shell(self) -> None:
        """Suspend the app and open $SHELL in the selected repo."""
        self._suspend_into([os.environ.get("SHELL") or "/bin/sh"], "Shell")

    def _suspend_into(self, argv: list[str], what: str) -> None:
        repo = self._initialised(what)
        if repo is None:
            return
        try:
            with self.app.suspend():
                subprocess.run(argv, cwd=repo.path, check=False)
        except Exception as exc:  # SuspendNotSupported, missing program...
            self.app.notify(
                f"{what}: cannot run {safe_text(argv[0])}: {safe_text(exc)}", severity="error"
            )
        self.app.refresh()
