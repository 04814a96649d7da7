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

The build is atomic: everything is made in a hidden sibling folder, renamed into place,
then marked complete, under a lock so two processes never build at once. A folder without
the marker (an older in-place build, or one interrupted between the rename and the
marker) is removed and built again, and so are the hidden folders of interrupted builds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from coditect_tui.core import demo_repos
from coditect_tui.core.demo_repos import DemoError
from coditect_tui.core.errors import CoditectError
from coditect_tui.core.paths import data_dir, make_private_dir
from coditect_tui.core.safe_text import safe_text

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
    """Remove the temporary folders of builds that were interrupted (we hold the lock)."""
    for leftover in parent.glob(f".{name}{_BUILDING}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _build_into(building: Path, root: Path, now: Callable[[], datetime]) -> None:
    """Make every repo in ``building``: three independent groups, side by side."""
    from concurrent.futures import ThreadPoolExecutor

    from coditect_tui.core.demo_sessions import run_sessions

    def plain() -> None:
        for make in (
            demo_repos.dirty,
            demo_repos.behind,
            demo_repos.conflicted,
            demo_repos.detached,
        ):
            make(building)

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="coditect-demo") as pool:
        jobs = [
            pool.submit(run_sessions, building, root, now),
            pool.submit(demo_repos.master, building),
            pool.submit(plain),
        ]
    for job in jobs:
        job.result()  # the first failure, in a fixed order


def build_demo(root: Path | None = None, *, now: Callable[[], datetime] | None = None) -> Path:
    """Build the demo workspace (idempotent: a complete one is reused as it is).

    Args:
        root: where it lives (default :func:`demo_root`).
        now: the local-time clock the session engine uses (default: the real one).

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
                shutil.rmtree(root)  # no marker: an interrupted build; it is ours to redo
            building = Path(tempfile.mkdtemp(prefix=f".{root.name}{_BUILDING}", dir=root.parent))
            try:
                _build_into(building, root, now or local_now)
                os.rename(building, root)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            demo_repos.resync(root)
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
