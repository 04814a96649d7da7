"""Commit history per repo: one hardened ``git log`` each, cached between refreshes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.dashboard.model import CommitLog

if TYPE_CHECKING:
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import RepoStatus


_LOG_FORMAT = "--format=%H%x00%ct"


def _since_arg(since: datetime) -> str:
    return "--since=" + since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def parse_commit_log(data: bytes) -> CommitLog:
    """Parse ``git log -z --format=%H%x00%ct`` output into (sha, unix time) pairs."""
    parts = data.decode("ascii", errors="replace").split("\x00")
    out: list[tuple[str, int]] = []
    for index in range(0, len(parts) - 1, 2):
        sha = parts[index].strip()
        try:
            stamp = int(parts[index + 1].strip())
        except ValueError:
            continue
        if sha:
            out.append((sha, stamp))
    return tuple(out)


async def read_commit_log(
    runner: GitRunner, repo: Path | str, *, since: datetime, head: str | None = None
) -> CommitLog:
    """Commits of one repo since ``since``: reachable from HEAD, branches or remotes.

    Runs one hardened ``git log`` (no pager, hooks, fsmonitor or drivers: see
    :mod:`coditect_tui.core.git.runner`).

    Args:
        runner: the hardened runner.
        repo: the working tree.
        since: the window start (aware).
        head: the HEAD commit, when known (HEAD is walked only then, so an unborn
            branch is no error).

    Returns:
        (sha, committer unix time) pairs, newest first.

    Raises:
        GitError: git failed, could not start or timed out.
    """
    from coditect_tui.core.git.runner import GitError

    path = Path(repo)
    args = [
        "log",
        "-z",
        "--no-show-signature",
        _LOG_FORMAT,
        _since_arg(since),
        "--branches",
        "--remotes",
    ]
    if head:
        args.append("HEAD")
    args.append("--")
    result = await runner.run(path, args)
    if not result.ok:
        raise GitError(
            f"git log failed in {path}: {result.error_line()}",
            repo=path,
            returncode=result.returncode,
        )
    return parse_commit_log(result.stdout)


@dataclass
class CommitHistory:
    """Per-repo commit logs kept between dashboard refreshes.

    A repo is re-read when its HEAD or ahead/behind counts changed since the last read,
    when the window now starts earlier than the cached read, or after :meth:`invalidate`
    (call it for the paths a watcher reports: a branch other than HEAD may have moved).

    Attributes:
        problems: one line per repo whose history could not be read last time.
    """

    _cache: dict[str, tuple[tuple[Any, ...], datetime, CommitLog]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def invalidate(self, path: str | None = None) -> None:
        """Forget one repo's log (or every log when ``path`` is None)."""
        if path is None:
            self._cache.clear()
        else:
            self._cache.pop(path, None)

    async def refresh(
        self,
        runner: GitRunner,
        repos: Iterable[RepoStatus],
        *,
        since: datetime,
    ) -> dict[str, CommitLog]:
        """The logs of every readable repo, reading only those that changed.

        Args:
            runner: the hardened runner (bounds how many git processes run at once).
            repos: the repos.
            since: the window start.

        Returns:
            Commit log per repo path (repos whose log could not be read are left out and
            named in :attr:`problems`).
        """
        from coditect_tui.core.git.runner import GitError

        facts = [r for r in repos if r.read]
        wanted = {r.path for r in facts}
        for stale in set(self._cache) - wanted:
            del self._cache[stale]
        todo = []
        for repo in facts:
            key = (repo.head_oid, repo.ahead, repo.behind)
            cached = self._cache.get(repo.path)
            if cached is None or cached[0] != key or cached[1] > since:
                todo.append(repo)

        async def one(repo: RepoStatus) -> None:
            try:
                log = await read_commit_log(runner, repo.path, since=since, head=repo.head_oid)
            except GitError as exc:
                self._cache.pop(repo.path, None)
                self.problems[repo.path] = str(exc)
                return
            self.problems.pop(repo.path, None)
            self._cache[repo.path] = ((repo.head_oid, repo.ahead, repo.behind), since, log)

        await runner.map(one, todo)
        return {path: entry[2] for path, entry in self._cache.items() if path in wanted}
