"""Thousands of repo rows for the repos view's scroll test and benchmark, from real repos.

Building 5,000 git repositories takes minutes; the table's cost is drawing rows, not
reading git. So a small workspace of real repos (one per kind) is built and read once,
and its views are repeated under distinct names and paths, each keeping the status git
gave its original.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from coditect_tui.core.workspace_view import RepoView, from_discovery
from tests.support.workspaces import KINDS, build_workspace


def real_views(dest: Path) -> list[RepoView]:
    """One real repo of each kind under ``dest``, discovered and read (initialised only)."""
    built = build_workspace(dest, len(KINDS), masters_every=0, commits=1, files=2)
    tree = discover([built.root / "projects"])
    statuses = asyncio.run(read_many(GitRunner(), tree.targets()))
    view = from_discovery("bench", tree, {s.path: s for s in statuses})
    return [r for r in view.repos() if r.initialised]


def repeated(views: list[RepoView], count: int) -> list[RepoView]:
    """``count`` views cycling through ``views``, each with a name and path of its own."""
    out = []
    for index in range(count):
        source = views[index % len(views)]
        name = f"{source.name}-{index:05d}"
        out.append(
            RepoView(
                path=f"{source.path}-{index:05d}",
                name=name,
                project=name,
                category=source.category,
                status=source.status,
            )
        )
    return out
