"""Health scores 0-100, with the rules of CODITECT's ``submodule-health-check.py``.

Start at 100 and subtract (the score never goes below 0):

========================================  =======  ===========================
condition                                  points   reported as
========================================  =======  ===========================
uncommitted changes (tracked + untracked)  -5 each, at most -20   issue when > 5, else warning
unpushed commits (ahead of upstream)       -5 each, at most -20   warning
behind upstream (any number)               -10      warning
detached HEAD                              -15      issue
not on the main branch (detached too)      -5       warning
``.coditect`` is not a symlink             -20      issue  (only where the convention applies)
``.coditect`` does not resolve to a dir    -20      issue  (only where the convention applies)
``.coditect/agents`` is not a directory    -10      issue  (only where the convention applies)
========================================  =======  ===========================

The symlink convention applies to a repo that has a ``.coditect`` or ``.claude`` entry,
or that is a submodule of a master project whose root has a ``.coditect`` entry;
elsewhere (an ordinary repo) the three symlink rules are skipped, so a plain repo is not
marked "poor" for not being a CODITECT repo. "Behind" is relative to the last fetch: a
read never fetches. Unpushed counts are only known with an upstream (as in the original,
where ``git log @{u}..`` fails without one).

Bands (the dashboard's distribution): excellent 90-100, good 70-89, fair 50-69,
poor 0-49. Critical = score < 50; warnings = 50 <= score < 70.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from coditect_tui.core.wording import plural

LinkState = Literal["symlink", "broken", "directory", "file", "missing"]
Band = Literal["excellent", "good", "fair", "poor"]

BANDS: tuple[tuple[Band, int, int], ...] = (
    ("excellent", 90, 100),
    ("good", 70, 89),
    ("fair", 50, 69),
    ("poor", 0, 49),
)


@dataclass(frozen=True, slots=True)
class SymlinkCheck:
    """The ``.coditect`` / ``.claude`` convention of one repo (no git needed).

    Attributes:
        coditect: what ``.coditect`` is: a symlink that resolves (``symlink``), a
            dangling symlink (``broken``), a real directory or file, or ``missing``.
        claude: the same for ``.claude``.
        accessible: ``.coditect`` resolves to a directory (symlink or not).
        framework: ``.coditect/agents`` is a directory.
        expected: the convention applies to this repo (see the module docstring).
    """

    coditect: LinkState
    claude: LinkState
    accessible: bool
    framework: bool
    expected: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "coditect": self.coditect,
            "claude": self.claude,
            "accessible": self.accessible,
            "framework": self.framework,
            "expected": self.expected,
        }


def _link_state(path: str) -> tuple[LinkState, bool]:
    """(state, resolves to a directory) with as few system calls as possible."""
    try:
        st = os.lstat(path)
    except OSError:
        return "missing", False
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            return "broken", False
        return "symlink", stat.S_ISDIR(target.st_mode)
    if stat.S_ISDIR(st.st_mode):
        return "directory", True
    return "file", False


def check_symlinks(repo: Path | str, *, in_coditect_master: bool = False) -> SymlinkCheck:
    """Inspect ``.coditect`` and ``.claude`` in a working tree.

    Args:
        repo: the working tree.
        in_coditect_master: the repo is a submodule of a master whose root has
            ``.coditect`` (the convention then applies even when both are missing).

    Returns:
        The check; never raises (unreadable entries count as missing).
    """
    base = os.fspath(repo)
    coditect, accessible = _link_state(os.path.join(base, ".coditect"))
    claude, _ = _link_state(os.path.join(base, ".claude"))
    framework = accessible and os.path.isdir(os.path.join(base, ".coditect", "agents"))
    expected = in_coditect_master or coditect != "missing" or claude != "missing"
    return SymlinkCheck(coditect, claude, accessible, framework, expected)


@dataclass(frozen=True, slots=True)
class Health:
    """A repo's score and the findings behind it.

    Attributes:
        score: 0-100.
        issues: serious findings (shown under "critical issues").
        warnings: lesser findings.
    """

    score: int
    issues: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def band(self) -> Band:
        """excellent, good, fair or poor."""
        return band_of(self.score)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return {
            "score": self.score,
            "band": self.band,
            "issues": list(self.issues),
            "warnings": list(self.warnings),
        }


def band_of(score: int) -> Band:
    """The distribution band of a score.

    Args:
        score: 0-100.

    Returns:
        excellent (90-100), good (70-89), fair (50-69) or poor (0-49).
    """
    for name, low, _high in BANDS:
        if score >= low:
            return name
    return "poor"


def score(
    *,
    uncommitted: int,
    unpushed: int,
    behind: int,
    detached: bool,
    branch: str | None,
    main_branch: str,
    symlinks: SymlinkCheck | None,
) -> Health:
    """Apply the rules in the module docstring.

    Args:
        uncommitted: tracked changes plus untracked entries (``git status --porcelain``
            lines, as the original counted them).
        unpushed: commits ahead of the upstream (0 without an upstream).
        behind: commits behind the upstream.
        detached: HEAD is detached.
        branch: the current branch (None when detached).
        main_branch: the repo's main branch name.
        symlinks: the symlink check; None or ``expected=False`` skips its rules.

    Returns:
        The score with its issues and warnings, in rule order.
    """
    points = 100
    issues: list[str] = []
    warnings: list[str] = []
    if uncommitted > 0:
        points -= min(uncommitted * 5, 20)
        (issues if uncommitted > 5 else warnings).append(plural(uncommitted, "uncommitted change"))
    if unpushed > 0:
        points -= min(unpushed * 5, 20)
        warnings.append(plural(unpushed, "unpushed commit"))
    if behind > 0:
        points -= 10
        warnings.append(f"Behind remote by {plural(behind, 'commit')}")
    if detached:
        points -= 15
        issues.append("Detached HEAD state")
    shown = branch if branch and not detached else "detached"
    if shown != main_branch:
        points -= 5
        warnings.append(f"On branch '{shown}' (not {main_branch})")
    if symlinks is not None and symlinks.expected:
        if symlinks.coditect not in ("symlink", "broken"):
            points -= 20
            issues.append(".coditect symlink missing")
        if not symlinks.accessible:
            points -= 20
            issues.append(".coditect symlink broken or inaccessible")
        if not symlinks.framework:
            points -= 10
            issues.append("CODITECT framework not accessible")
    return Health(max(points, 0), issues, warnings)
