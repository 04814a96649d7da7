"""Names a session derives: its branch and its pull-request compare URL."""

from __future__ import annotations

import re
from datetime import datetime

from coditect_tui.core.git.runner import check_branch_name


def session_branch(description: str, now: datetime) -> str:
    """The helper's branch name: ``session/YYYY-MM-DD-<description, spaces as ->``.

    Args:
        description: the session's description.
        now: local start time.

    Returns:
        The branch name.

    Raises:
        InvalidInput: the result is not a valid branch name.
    """
    return check_branch_name(f"session/{now.strftime('%Y-%m-%d')}-{description.replace(' ', '-')}")


def compare_url(remote_url: str, base: str, branch: str) -> str | None:
    """The web page to open a pull request, from a GitHub-style remote URL.

    Args:
        remote_url: ``git@host:owner/repo.git``, ``https://host/owner/repo(.git)`` or
            ``ssh://git@host/owner/repo``.
        base: the branch to merge into.
        branch: the session branch.

    Returns:
        ``https://host/owner/repo/compare/<base>...<branch>``, or None for a URL that
        has no web page (a local path, a file:// URL).
    """
    url = remote_url.strip()
    match = re.match(r"^[\w.-]+@([\w.-]+):(?!/)(.+?)(?:\.git)?/?$", url) or re.match(
        r"^(?:ssh|git|https?)://(?:[^@/]+@)?([\w.-]+)(?::\d+)?/(.+?)"
        r"(?:\.git)?/?$",
        url,
    )
    if not match:
        return None
    host, path = match.groups()
    return f"https://{host}/{path}/compare/{base}...{branch}"
