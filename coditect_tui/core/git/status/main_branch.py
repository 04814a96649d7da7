"""Which branch health and sessions treat as "main"."""

from __future__ import annotations

import os
from pathlib import Path

from coditect_tui.core.git import layout

#: The helper's config file (``main_branch`` is honoured).
HELPER_CONFIG = ".coditect-git-config.json"


def main_branch_of(worktree: Path, git_dir: Path | None) -> str:
    """The branch health and sessions treat as "main".

    Args:
        worktree: the working tree.
        git_dir: its git directory.

    Returns:
        ``main_branch`` of the helper's ``.coditect-git-config.json`` when set, else the
        branch ``refs/remotes/origin/HEAD`` points to, else ``main``.
    """
    raw = layout.read_small(os.path.join(worktree, HELPER_CONFIG))
    if raw is not None:
        try:
            import json

            value = json.loads(raw).get("main_branch")
            if isinstance(value, str) and value.strip():
                return value.strip()
        except (ValueError, AttributeError):
            pass
    if git_dir is not None:
        target = layout.read_symref(layout.common_dir_of(git_dir), "refs/remotes/origin/HEAD")
        if target and target.startswith("refs/remotes/origin/"):
            return target[len("refs/remotes/origin/") :]
    return "main"
