"""The first-run demo workspace: real git repos in the data dir, nothing invented.

Built only when there is no config file and no workspace roots, so a new user sees every
pane working on something real before pointing the app at their own folders. Each repo
is put in its state by git itself or by our own session engine:

* clean (``service-billing``, where a session was started, committed, ended and merged,
  and its export written to ``MEMORY-CONTEXT/sessions/``), dirty (``service-search``),
  an active session ahead of its upstream (``service-auth``), behind its remote
  (``service-notify``), a merge stopped on a conflict (``service-catalog``), a detached
  HEAD (``experiment-ml``);
* a master project (``platform-master``) with initialised and uninitialised submodules
  and the ``.coditect`` links.

Given a backend to record in, the sessions are recorded as ``coditect session`` records
them (project registered, history rows, audit events): the Dashboard counts the active
one and the Sessions pane lists both. The build opens that backend, and closes it, only
when it really builds.

The build is all or nothing: the repos are made where they will live (the store and the
export name them there), under a lock so two processes never build at once, and the
folder is marked complete last. A failed build removes the folder; a folder without the
marker (a build that was killed) is removed and built again, and so are the hidden
folders older versions built in before renaming them into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from coditect_tui.core import demo_repos
from coditect_tui.core.demo_repos import DemoError
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.paths import data_dir, make_private_dir
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.demo_sessions import Recorder

__all__ = ["DEMO_DIRNAME", "DemoError", "build_demo", "demo_root", "is_built"]

DEMO_DIRNAME = "demo-workspace"
_MARKER = ".coditect-demo"
_BUILDING = ".building-"


def demo_root() -> Path:
    """``<data dir>/demo-workspace``."""
    return data_dir() / DEMO_DIRNAME


def is_built(root: Path | None = None) -> bool:
    """Whether a complete demo workspace is at ``root`` (default :func:`demo_root`)."""
    return ((root or demo_root()) / _MARKER).is_file()


@contextlib.contextmanager
def _locked(parent: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``parent/.<name>.lock`` (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(parent / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_leftovers(parent: Path, name: str) -> None:
    """Remove the build folders older versions left when interrupted (we hold the lock)."""
    for leftover in parent.glob(f".{name}{_BUILDING}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _build_into(root: Path, now: Callable[[], datetime], record: Recorder | None) -> None:
    """Make every repo in ``root``: three independent groups, side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from coditect_tui.core.demo_sessions import run_sessions

    def plain() -> None:
        for make in (
            demo_repos.dirty,
            demo_repos.behind,
            demo_repos.conflicted,
            demo_repos.detached,
        ):
            make(root)

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="coditect-demo") as pool:
        jobs = [
            pool.submit(run_sessions, root, now, record),
            pool.submit(demo_repos.master, root),
            pool.submit(plain),
        ]
    for job in jobs:
        job.result()  # the first failure, in a fixed order


def build_demo(
    root: Path | None = None,
    *,
    now: Callable[[], datetime] | None = None,
    record: Recorder | None = None,
) -> Path:
    """Build the demo workspace (idempotent: a complete one is reused as it is).

    Args:
        root: where it lives (default :func:`demo_root`).
        now: the local-time clock the session engine uses (default: the real one).
        record: opens the tenant's backend to record the demo's git sessions in; called
            only when the demo is built, and the backend is closed before returning
            (None: the sessions are in git only).

    Returns:
        The workspace root to use as the tenant's only root.

    Raises:
        DemoError: git is missing or failed, the session engine failed, or the folder
            cannot be written; nothing half-built is left at ``root``.
    """
    from coditect_tui.core.git.sessions.state import local_now

    root = Path(os.path.abspath(root or demo_root()))
    if is_built(root):
        return root
    try:
        make_private_dir(root.parent)
        with _locked(root.parent, root.name):
            if is_built(root):  # another process built it while we waited
                return root
            _remove_leftovers(root.parent, root.name)
            if root.is_symlink() or root.is_file():
                root.unlink()
            elif root.exists():
                shutil.rmtree(root)  # no marker: a killed build; it is ours to redo
            os.mkdir(root, 0o700)
            try:
                _build_into(root, now or local_now, record)
            except BaseException:
                shutil.rmtree(root, ignore_errors=True)
                raise
            (root / _MARKER).write_text("built by coditect on first run; safe to delete\n")
    except DemoError:
        raise
    except CoditectError as exc:
        raise DemoError(f"building the demo failed: {safe_text(str(exc))}") from None
    except OSError as exc:
        raise DemoError(
            f"building the demo failed: {safe_text(exc.filename or root)}: {exc.strerror}"
        ) from None
    return root
