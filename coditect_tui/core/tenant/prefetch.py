"""The first discovery and status read of a tenant, started before its session exists.

At start the app knows the tenant's workspace roots from its boot facts long before the
session can open: the UI is still being imported, the settings validated, the panes
mounted. :class:`StatusPrefetch` walks the roots and reads every repo's status meanwhile,
and the session takes the results over when its tenant and roots are the ones read.

The reading runs in a child process (this module run with ``-m``), not in a thread: a
thread walking folders and collecting git output would take the interpreter lock back
after every system call while the app's start-up holds it, and ran at half speed that
way. The child sends the tree, then the statuses, as two pickles on its stdout; a thread
of the parent reads them.

Ownership: whoever starts a prefetch closes it, or hands it to a
:class:`~coditect_tui.core.tenant.session.TenantSession`, which then closes it.
:meth:`StatusPrefetch.close` stops the child (its running git processes are killed),
reaps it and joins the reader thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from coditect_tui.core.git.discovery import WorkspaceTree
    from coditect_tui.core.git.status import RepoStatus

#: Seconds a stopped child gets to kill its git processes before it is killed itself.
STOP_GRACE = 5.0


def _settle(future: concurrent.futures.Future[Any], value: Any) -> None:
    """Give ``future`` its result unless its awaiter gave up on it (cancelled it)."""
    if not future.done():
        # cancelled between the check and the set: nobody waits for it
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            future.set_result(value)


class StatusPrefetch:
    """Discover ``roots`` and read every repo's status, in a child process.

    Args:
        tenant: the tenant's name (recorded in the tree, and matched by the session).
        roots: the folders to discover, exactly as the session would pass them.
    """

    def __init__(self, tenant: str, roots: Sequence[Path]) -> None:
        self.tenant = tenant
        self.roots = [Path(r) for r in roots]
        self._tree: concurrent.futures.Future[WorkspaceTree | None] = concurrent.futures.Future()
        self._statuses: concurrent.futures.Future[list[RepoStatus] | None] = (
            concurrent.futures.Future()
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> Self:
        """Start the child (returns self; a child that cannot start reads as a failure)."""
        argv = [sys.executable, "-m", __name__, "--", self.tenant, *map(str, self.roots)]
        with self._lock:
            if self._closed:
                return self
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,  # the terminal's ctrl+c is the app's to handle
                )
            except OSError:
                self._failed()
                return self
            self._thread = threading.Thread(
                target=self._collect, args=(self._proc,), name="coditect-prefetch", daemon=True
            )
            self._thread.start()
        return self

    def matches(self, tenant: str, roots: Sequence[Path]) -> bool:
        """Whether this prefetch read what a session of ``tenant`` on ``roots`` would read.

        Args:
            tenant: the session's tenant.
            roots: the roots it would discover.

        Returns:
            True when both are the same as this prefetch's.
        """
        return tenant == self.tenant and [Path(r) for r in roots] == self.roots

    async def tree(self) -> WorkspaceTree | None:
        """The discovered tree, once walked.

        Returns:
            The tree, or None when discovery failed or was stopped (the caller then
            discovers, and reports the failure, itself).
        """
        return await asyncio.wrap_future(self._tree)

    async def statuses(self) -> list[RepoStatus] | None:
        """Every repo's status, in the order of ``tree().targets()``, once read.

        Returns:
            The statuses, or None when they could not be read or the prefetch was stopped.
        """
        return await asyncio.wrap_future(self._statuses)

    def close(self) -> None:
        """Stop the child, reap it and join the reader (idempotent; blocks briefly)."""
        with self._lock:
            self._closed = True
            proc, thread = self._proc, self._thread
        if proc is not None and proc.poll() is None:
            if not self._statuses.done() or self._statuses.result() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()  # the child cancels its reads: git processes killed
            # (with every status sent, the child is exiting on its own)
            try:
                proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if thread is not None:
            thread.join()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        self._failed()

    def _failed(self) -> None:
        _settle(self._tree, None)
        _settle(self._statuses, None)

    def _collect(self, proc: subprocess.Popen[bytes]) -> None:
        """The reader thread: the tree, then the statuses, as the child sends them."""
        stream = proc.stdout
        assert stream is not None
        try:
            _settle(self._tree, pickle.load(stream))
            _settle(self._statuses, pickle.load(stream))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass  # the child failed or was stopped: the session reads for itself
        finally:
            self._failed()


# -- the child ------------------------------------------------------------------------------


def _child(argv: Sequence[str]) -> int:
    """Discover, send the tree, read the statuses, send them (exit 1 on any failure)."""
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import read_many

    if len(argv) < 2 or argv[0] != "--":
        return 2
    tenant, roots = argv[1], [Path(r) for r in argv[2:]]
    out = sys.stdout.buffer
    tree = discover(roots, tenant=tenant)
    pickle.dump(tree, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()

    async def read() -> list[RepoStatus]:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await read_many(runner, tree.targets())

    runner = GitRunner()
    try:
        statuses = asyncio.run(read())
    finally:
        runner.close()
    pickle.dump(statuses, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_child(sys.argv[1:]))
    except (Exception, asyncio.CancelledError, KeyboardInterrupt):
        sys.exit(1)  # the parent reads a failure, and its session reads for itself
