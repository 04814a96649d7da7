"""Status glyphs that read without colour (colour only repeats what the text says)."""

from __future__ import annotations

import os

from rich.text import Text

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.workspace_view import RepoView

#: A marked (selected) repo, in the tree and the repos view.
MARK = "✔"

#: (glyph, meaning) pairs, for the help screen.
LEGEND: tuple[tuple[str, str], ...] = (
    (MARK, "marked: in the selection (space, shift+arrows, + select by filter)"),
    ("*N", "N uncommitted changes (staged, modified or untracked)"),
    ("✗N", "N conflicted files"),
    ("↑N", "N commits ahead of upstream (unpushed)"),
    ("↓N", "N commits behind upstream"),
    ("⎇", "detached HEAD"),
    ("⊘", "no upstream branch"),
    ("!", "git failed for this repo (see detail)"),
    ("○", "submodule listed in .gitmodules but not initialised"),
    ("…", "status not read yet (cached or loading)"),
    ("✓", "clean and in sync"),
)


def _style(style: str) -> str:
    # Under NO_COLOR, Textual greys colours by luminance: a dark hue (magenta) would vanish
    # into the background, so glyphs are plain bold text there.
    return "bold" if "NO_COLOR" in os.environ else style  # set at all, as Textual reads it


def badges(view: RepoView) -> Text:
    """The status glyphs of one repo, coloured, each one also plain text.

    A change glyph (``✗N`` or ``*N``) is shown exactly when ``RepoStatus.dirty``: ``*N``
    counts the entries git status lists (``uncommitted``) other than the conflicted ones.
    """
    text = Text()
    status = view.status
    if not view.initialised:
        text.append("○", style=_style("dim"))
        return text
    if status is None:
        text.append("…", style=_style("dim"))
        return text
    if status.error:
        text.append("!", style=_style("bold red"))
        return text
    parts: list[tuple[str, str]] = []
    uncommitted = status.uncommitted - status.conflicted
    if status.conflicted:
        parts.append((f"✗{status.conflicted}", "bold red"))
    if uncommitted:
        parts.append((f"*{uncommitted}", "yellow"))
    if status.ahead:
        parts.append((f"↑{status.ahead}", "cyan"))
    if status.behind:
        parts.append((f"↓{status.behind}", "bright_magenta"))
    if status.detached:
        parts.append(("⎇", "bold yellow"))
    elif status.upstream is None and status.branch is not None:
        parts.append(("⊘", "dim"))
    if not parts:
        parts.append(("✓", "green"))
    for index, (glyph, style) in enumerate(parts):
        if index:
            text.append(" ")
        text.append(glyph, style=_style(style))
    return text


def repo_label(view: RepoView, *, name: str | None = None) -> Text:
    """``name  glyphs`` for the tree."""
    label = Text(safe_text(name if name is not None else view.name, max_length=40))
    label.append("  ")
    label.append_text(badges(view))
    return label
