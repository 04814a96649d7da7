"""The demo workspace's git repos, each put in its state by the git CLI itself.

Every remote is a bare repo under ``.remotes``; clones name it by a path relative to
their working tree and the master's ``.gitmodules`` by one relative to the master.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text

#: The author and committer of every commit the demo makes with plain git.
DEMO_AUTHOR = "CODITECT demo"
DEMO_EMAIL = "demo@coditect.invalid"
_ENV = {
    "GIT_AUTHOR_NAME": DEMO_AUTHOR,
    "GIT_AUTHOR_EMAIL": DEMO_EMAIL,
    "GIT_COMMITTER_NAME": DEMO_AUTHOR,
    "GIT_COMMITTER_EMAIL": DEMO_EMAIL,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}
README = "Demo repository built by CODITECT TUI on first run.\n"


class DemoError(CoditectError):
    """The demo workspace could not be built (git missing, disk full...)."""


def git(cwd: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
    """Run ``git <args>`` in ``cwd`` with the demo's identity and no user config.

    Args:
        cwd: where to run.
        args: the sub-command and its arguments.
        ok_codes: exit codes that are not failures (a merge that stops on a conflict
            exits 1).

    Returns:
        git's standard output.

    Raises:
        DemoError: git is missing or failed (one line: the verb and git's last line).
    """
    env = {**os.environ, **_ENV}
    try:
        done = subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise DemoError("git is not installed; the demo workspace needs it") from None
    except subprocess.TimeoutExpired:
        raise DemoError(f"building the demo failed: git {args[0]} timed out") from None
    if done.returncode not in ok_codes:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise DemoError(f"building the demo failed: git {args[0]}: {safe_text(reason)}")
    return done.stdout.decode(errors="replace")


def commit_all(repo: Path, message: str) -> None:
    """Stage everything in ``repo`` and commit it."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def new_repo(
    path: Path, files: dict[str, str], message: str, links: dict[str, str] | None = None
) -> None:
    """``git init`` a repo at ``path`` with ``files`` (and symbolic ``links``), committed."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for name, points_to in (links or {}).items():
        (path / name).symlink_to(points_to)
    commit_all(path, message)


def bare_from(seed: Path, bare: Path) -> Path:
    """A bare clone of ``seed`` at ``bare``, without an origin of its own (it is one)."""
    git(seed, "clone", "-q", "--bare", str(seed), str(bare))
    git(bare, "config", "--remove-section", "remote.origin")
    return bare


def published(
    root: Path, name: str, files: dict[str, str], links: dict[str, str] | None = None
) -> tuple[Path, Path]:
    """A repo with a bare 'origin' under ``root/.remotes``, cloned to ``root/name``.

    Returns:
        (the seed repo the remote was made from, which can push more to it; the clone).
    """
    seed = root / ".remotes" / "seed" / name
    new_repo(seed, files, f"{name}: initial import", links)
    bare = bare_from(seed, root / ".remotes" / f"{name}.git")
    clone = root / name
    git(root, "clone", "-q", str(bare), str(clone))
    git(clone, "remote", "set-url", "origin", os.path.relpath(bare, clone))
    return seed, clone


def push_from_seed(root: Path, name: str, edits: dict[str, str], message: str) -> None:
    """Commit ``edits`` in ``name``'s seed and push them to its remote (a teammate's work)."""
    seed = root / ".remotes" / "seed" / name
    for file, text in edits.items():
        (seed / file).write_text(text)
    commit_all(seed, message)
    git(seed, "push", "-q", str(root / ".remotes" / f"{name}.git"), "main")


def dirty(root: Path) -> None:
    """``service-search``: a modified file and an untracked one."""
    _, search = published(root, "service-search", {"README.md": README, "search.py": "\n"})
    (search / "search.py").write_text("def find(q):\n    return []\n")
    (search / "NOTES.txt").write_text("untracked notes\n")


def behind(root: Path) -> None:
    """``service-notify``: the remote moved on and the clone fetched it (behind by 1)."""
    published(root, "service-notify", {"README.md": README, "notify.py": "\n"})
    push_from_seed(root, "service-notify", {"notify.py": "CHANNELS = ['mail']\n"}, "notify: mail")
    git(root / "service-notify", "fetch", "-q")


def detached(root: Path) -> None:
    """``experiment-ml``: HEAD detached one commit back."""
    _, ml = published(root, "experiment-ml", {"README.md": README, "train.py": "\n"})
    (ml / "train.py").write_text("EPOCHS = 3\n")
    commit_all(ml, "ml: try 3 epochs")
    git(ml, "checkout", "-q", "--detach", "HEAD~1")


def conflicted(root: Path) -> None:
    """``service-catalog``: a local and a remote change to one line, merged: git stops."""
    _, catalog = published(root, "service-catalog", {"README.md": README, "prices.py": "VAT = 0\n"})
    push_from_seed(root, "service-catalog", {"prices.py": "VAT = 0.2\n"}, "catalog: standard VAT")
    (catalog / "prices.py").write_text("VAT = 0.1\n")
    commit_all(catalog, "catalog: reduced VAT")
    git(catalog, "fetch", "-q")
    git(catalog, "merge", "-q", "--no-edit", "origin/main", ok_codes=(1,))


def master(root: Path) -> None:
    """``platform-master``: a CODITECT rollout master with its submodules.

    ``submodules/<category>/<repo>`` (one listed but not initialised), the framework in
    ``submodules/core/coditect-core`` with the root's ``.coditect`` -> it and ``.claude``
    -> ``.coditect``, and every submodule's own ``.coditect`` pointing back up at the
    master's (the convention the health check looks for).
    """
    subs = root / ".remotes" / "subs"
    link_back = {".coditect": "../../../.coditect", ".claude": ".coditect"}
    path = root / "platform-master"
    new_repo(path, {"README.md": "# Platform rollout master\n"}, "master: initial")
    gitlinks: list[str] = []
    initialise: list[str] = []
    for category, name, files in (
        (
            "core",
            "coditect-core",
            {"README.md": "# CODITECT framework\n", "agents/README.md": "#\n"},
        ),
        ("core", "api", {"README.md": "# api\n"}),
        ("core", "web", {"README.md": "# web\n"}),
        ("tools", "cli", {"README.md": "# cli\n"}),
        ("docs", "handbook", {"README.md": "# handbook\n"}),
    ):
        new_repo(subs / name, files, f"{name}: initial import", links=link_back)
        bare_from(subs / name, subs / f"{name}.git")
        sha = git(subs / name, "rev-parse", "HEAD").strip()
        where = f"submodules/{category}/{name}"
        key = f"submodule.{where}"
        git(path, "config", "-f", ".gitmodules", f"{key}.path", where)
        # relative to the master, so it survives the rename into place
        git(path, "config", "-f", ".gitmodules", f"{key}.url", f"../.remotes/subs/{name}.git")
        gitlinks += ["--cacheinfo", f"160000,{sha},{where}"]
        if name != "handbook":
            initialise.append(where)
    git(path, "update-index", "--add", *gitlinks)
    (path / ".coditect").symlink_to("submodules/core/coditect-core")
    (path / ".claude").symlink_to(".coditect")
    git(path, "add", ".gitmodules", ".coditect", ".claude")
    git(path, "commit", "-q", "-m", "master: add submodules and the framework links")
    git(path, "submodule", "update", "-q", "--init", "--jobs", "4", "--", *initialise)
    for where in initialise:  # update leaves HEAD detached; a submodule add would be on main
        git(path / where, "switch", "-q", "main")
    (path / "submodules" / "docs" / "handbook").mkdir(parents=True)  # listed, not initialised


def engine_ready(repo: Path) -> None:
    """Let the session engine commit here whatever the user's own git setup is.

    The engine runs git with the user's configuration (its write path); this repo's own
    config gives the demo identity and turns off signing and hooks, so a machine with no
    identity, a signing key or global hooks still builds the same demo.
    """
    for key, value in (
        ("user.name", DEMO_AUTHOR),
        ("user.email", DEMO_EMAIL),
        ("commit.gpgsign", "false"),
        ("core.hooksPath", os.devnull),
    ):
        git(repo, "config", key, value)
