"""Read a repo's history for the detail pane and the brief; fetch on request.

Everything runs through the hardened runner (no pager, no external diff, no textconv,
no fsmonitor, no hooks); user-controlled values are passed after ``--end-of-options``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from coditect_tui.core.git.objects import CommitInfo
from coditect_tui.core.git.runner import NETWORK_TIMEOUT, GitError, GitRunner

_FIELDS = 5
_FORMAT = "%H%x00%an%x00%ae%x00%ct%x00%s"


async def recent_commits(runner: GitRunner, repo: Path, *, limit: int = 10) -> list[CommitInfo]:
    """The newest ``limit`` commits reachable from HEAD (empty for an unborn branch).

    Args:
        runner: the hardened runner.
        repo: the working tree.
        limit: how many commits.

    Returns:
        Newest first; text fields are untrusted.
    """
    result = await runner.run(
        repo,
        ["log", "-z", f"--max-count={int(limit)}", f"--format={_FORMAT}", "--no-show-signature"],
    )
    if not result.ok:
        return []
    parts = result.stdout.decode("utf-8", errors="replace").split("\x00")
    commits = []
    for start in range(0, len(parts) - _FIELDS + 1, _FIELDS):
        sha, name, email, stamp, subject = parts[start : start + _FIELDS]
        sha = sha.strip("\n")
        if not sha:
            continue
        try:
            moment = datetime.fromtimestamp(int(stamp), UTC)
        except ValueError:
            moment = datetime.fromtimestamp(0, UTC)
        commits.append(
            CommitInfo(
                sha=sha,
                short_sha=sha[:7],
                subject=subject,
                author=name,
                author_email=email,
                time=moment,
            )
        )
    return commits


async def count_commits(runner: GitRunner, repo: Path, old: str | None, new: str | None) -> int:
    """How many commits ``new`` has that ``old`` has not (0 when unknown or unrelated)."""
    if not old or not new or old == new:
        return 0
    result = await runner.run(
        repo, ["rev-list", "--count", "--end-of-options", f"{old}..{new}", "--"]
    )
    try:
        return int(result.stdout.decode().strip()) if result.ok else 0
    except ValueError:
        return 0


async def fetch(runner: GitRunner, repo: Path) -> str:
    """``git fetch --prune`` from the configured remotes (no submodule recursion).

    Returns:
        One line saying what happened.

    Raises:
        GitError: git failed (network, auth, timeout).
    """
    result = await runner.run(
        repo, ["fetch", "--prune", "--no-recurse-submodules"], write=True, timeout=NETWORK_TIMEOUT
    )
    if not result.ok:
        raise GitError(f"git fetch failed: {result.error_line()}", repo=repo)
    return "fetched"
