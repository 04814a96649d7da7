"""The first-run demo workspace: a few real git repos in the data dir, nothing invented.

Built only when there is no config file and no workspace roots, so a new user sees the
app working on something real before pointing it at their own folders. Every repo is a
real repository in a real state (a master project with initialised and uninitialised
submodules, a dirty repo, one ahead, one behind, a detached HEAD), made with the git CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.paths import data_dir, make_private_dir

DEMO_DIRNAME = "demo-workspace"
_MARKER = ".coditect-demo"
_ENV = {
    "GIT_AUTHOR_NAME": "CODITECT demo",
    "GIT_AUTHOR_EMAIL": "demo@coditect.invalid",
    "GIT_COMMITTER_NAME": "CODITECT demo",
    "GIT_COMMITTER_EMAIL": "demo@coditect.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}


class DemoError(CoditectError):
    """The demo workspace could not be built (git missing, disk full...)."""


def demo_root() -> Path:
    """``<data dir>/demo-workspace``."""
    return data_dir() / DEMO_DIRNAME


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, **_ENV}
    try:
        subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
            cwd=cwd,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise DemoError("git is not installed; the demo workspace needs it") from None
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise DemoError(
            f"building the demo failed: git {args[0]}: {message[-1] if message else exc.returncode}"
        ) from None


def _repo(
    path: Path, files: dict[str, str], message: str, links: dict[str, str] | None = None
) -> None:
    path.mkdir(parents=True)
    _git(path, "init", "-q")
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for name, points_to in (links or {}).items():
        (path / name).symlink_to(points_to)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", message)


def _published(
    root: Path, name: str, files: dict[str, str], links: dict[str, str] | None = None
) -> tuple[Path, Path]:
    """A repo with a bare 'origin' under .remotes, cloned into the workspace."""
    seed = root / ".remotes" / "seed" / name
    _repo(seed, files, f"{name}: initial import", links)
    bare = root / ".remotes" / f"{name}.git"
    _git(root, "clone", "-q", "--bare", str(seed), str(bare))
    clone = root / name
    _git(root, "clone", "-q", str(bare), str(clone))
    return seed, clone


def build_demo(root: Path | None = None) -> Path:
    """Build the demo workspace (idempotent: an existing complete one is reused).

    Returns:
        The workspace root to use as the tenant's only root.

    Raises:
        DemoError: git is missing or failed.
    """
    root = root or demo_root()
    if (root / _MARKER).exists():
        return root
    if root.exists():
        shutil.rmtree(root)  # an interrupted earlier build (no marker); it is ours to redo
    # Built in place: clones and submodules record absolute origin URLs.
    building = root
    make_private_dir(root.parent)
    building.mkdir(parents=True)
    readme = "Demo repository built by CODITECT TUI on first run.\n"
    # standalone repos in different states
    _published(building, "service-billing", {"README.md": readme, "billing.py": "TAX = 0.2\n"})
    _, search = _published(
        building, "service-search", {"README.md": readme, "search.py": "def find(q): ...\n"}
    )
    (search / "search.py").write_text("def find(q):\n    return []\n")
    (search / "NOTES.txt").write_text("untracked notes\n")
    _, auth = _published(building, "service-auth", {"README.md": readme, "auth.py": "\n"})
    for n in (1, 2):
        (auth / "auth.py").write_text(f"VERSION = {n}\n")
        _git(auth, "commit", "-q", "-am", f"auth: local change {n}")
    seed, _ = _published(building, "service-notify", {"README.md": readme, "notify.py": "\n"})
    (seed / "notify.py").write_text("CHANNELS = ['mail']\n")
    _git(seed, "commit", "-q", "-am", "notify: add channels")
    _git(seed, "push", "-q", str(building / ".remotes" / "service-notify.git"), "main")
    _git(building / "service-notify", "fetch", "-q")
    _, ml = _published(building, "experiment-ml", {"README.md": readme, "train.py": "\n"})
    (ml / "train.py").write_text("EPOCHS = 3\n")
    _git(ml, "commit", "-q", "-am", "ml: try 3 epochs")
    _git(ml, "checkout", "-q", "--detach", "HEAD~1")
    # A CODITECT rollout master: submodules/<category>/<repo> (one listed but not
    # initialised), the framework in submodules/core/coditect-core with the root's
    # .coditect -> it and .claude -> .coditect, and every submodule's own .coditect
    # pointing back up at the master's (the convention the health check looks for).
    link_back = {".coditect": "../../../.coditect", ".claude": ".coditect"}
    for name in ("api", "web", "cli", "handbook"):
        _published(
            building / ".remotes" / "subs", name, {"README.md": f"# {name}\n"}, links=link_back
        )
    _published(
        building / ".remotes" / "subs",
        "coditect-core",
        {"README.md": "# CODITECT framework\n", "agents/README.md": "# agents\n"},
        links=link_back,
    )
    master = building / "platform-master"
    _repo(master, {"README.md": "# Platform rollout master\n"}, "master: initial")
    for category, name in (
        ("core", "coditect-core"),
        ("core", "api"),
        ("core", "web"),
        ("tools", "cli"),
        ("docs", "handbook"),
    ):
        url = building / ".remotes" / "subs" / ".remotes" / f"{name}.git"
        _git(master, "submodule", "add", "-q", str(url), f"submodules/{category}/{name}")
    (master / ".coditect").symlink_to("submodules/core/coditect-core")
    (master / ".claude").symlink_to(".coditect")
    _git(master, "add", ".coditect", ".claude")
    _git(master, "commit", "-q", "-m", "master: add submodules and the framework links")
    _git(master, "submodule", "deinit", "-q", "-f", "submodules/docs/handbook")
    (building / _MARKER).write_text("built by coditect on first run; safe to delete\n")
    return root
