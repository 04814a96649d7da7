"""Repo detail: branch, upstream, ahead/behind, changed files by state, commits, submodules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.workspace_view import RepoView
from coditect_tui.ui.glyphs import badges

if TYPE_CHECKING:
    from coditect_tui.core.git.objects import CommitInfo
    from coditect_tui.core.git.status import FileEntry, RepoStatus

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


def render_detail(
    view: RepoView, status: RepoStatus | None, commits: Sequence[CommitInfo] | None
) -> Text:
    """The whole detail text of one repo (every untrusted value through safe_text)."""
    out = Text()
    out.append(safe_text(view.name), style="bold")
    out.append("  ")
    out.append_text(badges(view))
    out.append(f"\n{safe_text(view.path)}\n", style="dim")
    if not view.initialised:
        out.append(
            "\nSubmodule listed in .gitmodules but not initialised.\n"
            "Run `git submodule update --init` in the parent to check it out.\n"
        )
        return out
    if view.error:
        out.append(f"\ngit failed: {safe_text(view.error)}\n", style="bold")
        return out
    if not view.known:
        out.append("\nReading status…\n", style="dim")
        return out
    branch = "(detached HEAD)" if view.detached else safe_text(view.branch or "(no branch)")
    out.append(f"\nBranch    {branch}\n")
    out.append(f"Upstream  {safe_text(view.upstream) if view.upstream else '(none)'}\n")
    out.append(f"Ahead     {view.ahead}   Behind {view.behind}   Stash {view.stash}\n")
    if view.health is not None:
        out.append(f"Health    {view.health}/100")
        if status and status.health:
            band = status.health.band
            out.append(f" ({band})")
            for issue in status.health.issues:
                out.append(f"\n  ! {safe_text(issue)}")
            for warning in status.health.warnings:
                out.append(f"\n  - {safe_text(warning)}")
        out.append("\n")
    if status is not None:
        _files(out, status)
        if status.submodules is not None:
            sub = status.submodules
            # short enough for one line of the pane at 80 columns
            out.append(
                f"\nSubmodules {sub.total}: {sub.initialised} init, "
                f"{sub.uninitialised} uninit, {sub.changed} changed\n",
                style="bold",
            )
    out.append("\nRecent commits\n", style="bold")
    if commits is None:
        last = status.last_commit if status else None
        if last is not None:
            _commit(out, last)
        out.append("  (loading…)\n" if status else "  (none)\n", style="dim")
    elif not commits:
        out.append("  (no commits yet)\n", style="dim")
    else:
        for commit in commits:
            _commit(out, commit)
    return out


def _commit(out: Text, commit: CommitInfo) -> None:
    when = commit.time.strftime("%Y-%m-%d %H:%M")
    out.append(f"  {commit.short_sha} ", style="yellow")
    out.append(f"{when} ", style="dim")
    out.append(safe_text(commit.subject, max_length=200))
    out.append(f" — {safe_text(commit.author, max_length=24)}\n", style="dim")


def _files(out: Text, status: RepoStatus) -> None:
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
            out.append(f"  {entry.code} {safe_text(entry.path)}{rename}\n")
            shown += 1


class RepoDetail(VerticalScroll):
    """The selected repo, in full."""

    DEFAULT_CSS = """
    RepoDetail { padding: 0 1; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(
            Text("Select a repo in the tree to see its state.", style="dim"), id="repo-detail-body"
        )

    def show(
        self, view: RepoView, status: RepoStatus | None, commits: Sequence[CommitInfo] | None = None
    ) -> None:
        """Display ``view`` (with its full status and recent commits when known)."""
        self.query_one("#repo-detail-body", Static).update(render_detail(view, status, commits))
        self.border_title = safe_text(view.name, max_length=40)
