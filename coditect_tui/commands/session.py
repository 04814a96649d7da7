"""``coditect session start|commit|push|sync|pr|end|status``: coditect-git-helper sessions.

Works in the repo of the current directory (or ``--repo PATH``), reads and writes the
helper's ``.coditect-session.json``, keeps the history in the tenant's backend and audits
every action. Pushing the main branch needs ``--confirm-main``, merging needs
``--confirm-merge``, a cascade through submodules needs ``--yes`` (or an interactive
yes); nothing is ever force-pushed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_json

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.git.sessions import ActionResult, GitSessions
    from coditect_tui.core.git.sessions.results import SyncConflict


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``session`` and its actions."""
    session = sub.add_parser(
        "session",
        help="git sessions compatible with coditect-git-helper",
        description="Session branches (session/YYYY-MM-DD-<description>) with the helper's "
        ".coditect-session.json, history in the tenant's store, every action "
        "audited.",
    )
    add_common(session)
    actions = session.add_subparsers(dest="session_command", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=text, description=text)
        parser.add_argument(
            "--repo", metavar="PATH", help="the repo to work in (default: the current directory)"
        )
        add_format_options(parser, ("text", "json"))
        add_common(parser)
        parser.set_defaults(handler=run)
        return parser

    start = action("start", "start a session: create its branch and state file")
    start.add_argument("description", nargs="*", help="what the session is about")
    start.add_argument(
        "--description",
        "-d",
        dest="description_opt",
        metavar="TEXT",
        help="the description (alternative to the positional words)",
    )

    commit = action("commit", "stage everything and commit")
    commit.add_argument(
        "--message", "-m", metavar="TEXT", help="commit message (default: one naming the session)"
    )
    commit.add_argument(
        "--cascade", action="store_true", help="commit dirty submodules first, then the parent"
    )
    commit.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="confirm the cascade's list of repos without asking",
    )

    push = action("push", "push the session branch to origin (never forced)")
    push.add_argument(
        "--confirm-main",
        action="store_true",
        help="allow pushing when the current branch is the main branch",
    )
    push.add_argument(
        "--cascade", action="store_true", help="push submodules with unpushed commits first"
    )
    push.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="confirm the cascade's list of repos without asking",
    )

    action("sync", "fetch origin and pull --rebase; conflicts are reported")

    pr = action("pr", "open a pull request (gh) or print the compare URL")
    pr.add_argument("--title", "-t", metavar="TEXT")
    pr.add_argument("--body", "-b", metavar="TEXT")
    pr.add_argument("--confirm-main", action="store_true", help=argparse.SUPPRESS)

    end = action("end", "final commit and push, optional merge, summary")
    end.add_argument(
        "--merge",
        action="store_true",
        help="merge --no-ff into the main branch (needs --confirm-merge)",
    )
    end.add_argument(
        "--confirm-merge",
        action="store_true",
        help="confirm the merge into the main branch and its push",
    )
    end.add_argument(
        "--confirm-main",
        action="store_true",
        help="allow the final push when the session is on the main branch",
    )
    end.add_argument(
        "--cascade",
        action="store_true",
        help="cascade the final commit and push through submodules",
    )
    end.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="confirm the cascade's list of repos without asking",
    )

    action("status", "the session and the repo's git status")


def find_worktree(start: Path) -> Path:
    """The top of the working tree holding ``start``.

    Args:
        start: a directory inside a working tree.

    Returns:
        The working tree's top directory.

    Raises:
        InvalidInput: ``start`` does not exist or is not inside a git working tree.
    """
    import os

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.git.layout import git_dir_of
    from coditect_tui.core.safe_text import safe_text

    path = Path(os.path.abspath(start))
    if not path.is_dir():
        raise InvalidInput(f"{safe_text(start)}: no such directory")
    probe = path
    while True:
        if git_dir_of(probe) is not None:
            return probe
        if probe.parent == probe:
            raise InvalidInput(f"{safe_text(start)}: not inside a git working tree")
        probe = probe.parent


def refuse_uninitialised_submodule(start: Path, worktree: Path) -> None:
    """Refuse a path inside a listed submodule that is not checked out.

    Without its own ``.git``, such a folder belongs to the enclosing repo's working tree,
    and acting on that repo (switching it to a session branch) is not what was asked.
    A folder ``.gitmodules`` names but that is committed as an ordinary folder (not a
    gitlink) is part of the enclosing repo: it is not refused.

    Args:
        start: the folder asked for (``--repo`` or the current directory).
        worktree: the working tree :func:`find_worktree` found for it.

    Raises:
        InvalidInput: ``start`` is (inside) an uninitialised submodule of ``worktree``.
    """
    import os

    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.git.layout import git_dir_of
    from coditect_tui.core.git.status import read_gitmodules
    from coditect_tui.core.safe_text import safe_text

    path = Path(os.path.abspath(start))
    if path == worktree:
        return
    rel = path.relative_to(worktree).as_posix()
    for entry in read_gitmodules(worktree, git_dir_of(worktree)):
        if entry.initialised or not entry.gitlink:
            continue
        if rel == entry.path or rel.startswith(entry.path + "/"):
            raise InvalidInput(
                f"{safe_text(start)} is a submodule of {safe_text(worktree)} that is not "
                f"initialised; run: git submodule update --init -- {safe_text(entry.path)}"
            )


def _description(args: argparse.Namespace) -> str:
    """The session's description: the words, ``--description``, or asked on a terminal.

    Raises:
        InvalidInput: none given and stdin is not a terminal (or the answer is empty).
    """
    from coditect_tui.core.errors import InvalidInput

    words = " ".join(args.description).strip()
    text = (args.description_opt or words).strip()
    if not text and sys.stdin.isatty():
        try:
            # the question goes to stderr: stdout stays the command's output (--json)
            print("What is this session about? ", end="", file=sys.stderr, flush=True)
            text = input().strip()
        except EOFError:
            text = ""
    if not text:
        raise InvalidInput("session start needs a description: coditect session start DESCRIPTION")
    return text


def _result_json(result: ActionResult) -> dict[str, Any]:
    """The outcome of an action as a JSON object (cascaded submodules under children)."""
    from coditect_tui.core.safe_text import fs_text

    return {
        "action": result.verb,
        "ok": result.ok,
        "message": result.message,
        "repo": fs_text(result.repo),
        "branch": result.branch,
        "sha": result.sha,
        "details": result.details,
        "children": [_result_json(child) for child in result.children],
    }


def _print_result(result: ActionResult, fmt: str, conflict: SyncConflict | None = None) -> None:
    """Print what an action did: the messages, or one JSON object (``fmt == "json"``)."""
    if fmt == "json":
        document = _result_json(result)
        if result.verb == "sync":
            document["conflict"] = (
                None
                if conflict is None
                else {
                    "files": conflict.files,
                    "rebase_in_progress": conflict.rebase_in_progress,
                    "message": conflict.message,
                }
            )
        print_json(document)
        return
    for child in result.children:
        print(f"  {child.message}")
    print(result.message)


def _confirm(repos: list[Path], assume_yes: bool) -> bool:
    from coditect_tui.core.safe_text import safe_text

    print("This touches, in order:", file=sys.stderr)
    for repo in repos:
        print(f"  - {safe_text(repo)}", file=sys.stderr)
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print("coditect: pass --yes to confirm", file=sys.stderr)
        return False
    print("Proceed? [y/N] ", end="", file=sys.stderr, flush=True)  # stdout may be --json
    answer = input().strip().lower()
    return answer in ("y", "yes")


def _print_status(sessions: GitSessions, result: dict[str, Any], fmt: str) -> None:
    from coditect_tui.core.safe_text import safe_text

    if fmt == "json":
        print_json(result)
        return
    repo = result["repo"]
    state = result["session"]
    print(f"Repo: {safe_text(repo['path'])}")
    if repo["error"]:
        print(f"  error: {safe_text(repo['error'])}")
    else:
        branch = repo["branch"] or f"(detached {str(repo['head_oid'] or '')[:7]})"
        print(f"  Branch: {safe_text(branch)}")
        if repo["upstream"]:
            print(
                f"  Upstream: {safe_text(repo['upstream'])} ({repo['ahead']} ahead, "
                f"{repo['behind']} behind)"
            )
        else:
            print("  Upstream: none")
        if repo["changed"] or repo["untracked"]:
            print(
                f"  Changes: {repo['staged']} staged, {repo['modified']} modified, "
                f"{repo['untracked']} untracked, {repo['conflicted']} conflicted"
            )
        else:
            print("  Working tree clean")
        for entry in result["files"][:20]:
            print(f"    {safe_text(entry)}")
    if state:
        print("Active session:")
        for key in (
            "session_id",
            "description",
            "branch",
            "started_at",
            "commit_count",
            "push_count",
        ):
            print(f"  {key}: {safe_text(state.get(key))}")
    else:
        print("No active session")


async def _act(
    args: argparse.Namespace, ctx: CliContext, backend: Backend | None, repo: Path
) -> int:
    from coditect_tui.core.git.runner import GitRunner, require_git
    from coditect_tui.core.git.sessions import (
        ConfirmationRequired,
        GitSessions,
        resolve_repo_id,
    )
    from coditect_tui.core.safe_text import fs_text, is_utf8_name, safe_text

    require_git()
    verb = args.session_command
    description = _description(args) if verb == "start" else ""
    repo_id = None
    if backend is not None and verb != "status":  # a read registers and records nothing
        profile = ctx.profile()
        await GitSessions(repo, backend=backend).preflight(verb)
        me = await backend.whoami()
        if not is_utf8_name(repo):  # the store keeps names as text: the repo is not registered
            print(
                f"coditect: warning: {fs_text(repo)}: the name is not valid UTF-8; the repo "
                "is not registered, so the session is audited but kept out of its history",
                file=sys.stderr,
            )
        elif not me.read_only:
            repo_id = await resolve_repo_id(backend, repo, profile.roots())
    sessions = GitSessions(repo, runner=GitRunner(), backend=backend, repo_id=repo_id)

    if verb == "status":
        status, state = await sessions.report()
        result = {
            "repo": status.to_dict(),
            "files": [f"{f.code} {f.path}" for f in status.files],
            "session": state.to_dict() if state else None,
        }
        _print_status(sessions, result, args.format)
        return 1 if status.error else 0

    async def attempt(confirmed: bool) -> int:
        if verb == "start":
            _print_result(await sessions.start(description), args.format)
        elif verb == "commit":
            _print_result(
                await sessions.commit(args.message, cascade=args.cascade, confirmed=confirmed),
                args.format,
            )
        elif verb == "push":
            _print_result(
                await sessions.push(
                    confirm_main=args.confirm_main, cascade=args.cascade, confirmed=confirmed
                ),
                args.format,
            )
        elif verb == "sync":
            result, conflict = await sessions.sync()
            if args.format == "json":
                _print_result(result, args.format, conflict)
                return 0 if result.ok else 1
            print(result.message)
            if conflict is not None:
                for name in conflict.files:
                    print(f"  conflict: {safe_text(name)}")
                if conflict.rebase_in_progress:
                    print("  the repo is left as git left it: a rebase is in progress")
            return 0 if result.ok else 1
        elif verb == "pr":
            _print_result(
                await sessions.pr(args.title, args.body, confirm_main=args.confirm_main),
                args.format,
            )
        elif verb == "end":
            result = await sessions.end(
                merge=args.merge,
                confirm_merge=args.confirm_merge,
                confirm_main=args.confirm_main,
                cascade=args.cascade,
                confirmed=confirmed,
            )
            if args.format == "json":
                _print_result(result, args.format)
                return 0
            summary = result.details["summary"]
            print("Session Summary:")
            for label, key in (
                ("Session ID", "session_id"),
                ("Duration", "duration"),
                ("Commits", "commits"),
                ("Pushes", "pushes"),
                ("Files changed", "files_changed"),
                ("Insertions", "insertions"),
                ("Deletions", "deletions"),
                ("Branch", "branch"),
                ("Merged", "merged"),
            ):
                print(f"  {label}: {safe_text(summary.get(key))}")
        return 0

    try:
        return await attempt(False)
    except ConfirmationRequired as exc:
        if not exc.repos or not _confirm(exc.repos, getattr(args, "yes", False)):
            raise
        return await attempt(True)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Run one session action in the repo of ``--repo`` or the current directory."""
    import asyncio

    start = Path(args.repo) if args.repo else Path.cwd()
    repo = find_worktree(start)
    refuse_uninitialised_submodule(start, repo)

    async def main() -> int:
        backend = await ctx.open_backend()
        try:
            return await _act(args, ctx, backend, repo)
        finally:
            await backend.close()

    return asyncio.run(main())
