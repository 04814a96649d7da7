"""Live watching: file events -> per-repo, debounced status re-reads, as an async iterator.

Design (docs/git-engine.md has the long version):

* Two ``watchfiles`` watchers, merged: a **flat** one (not recursive) on every working
  tree root, every git directory (``HEAD``, ``index``, ``packed-refs``, ``MERGE_HEAD``...)
  and every directory on the way to a submodule; a **recursive** one on each working
  tree's other sub-directories and on every ``refs/`` directory. ``.git/objects``,
  ``node_modules``, virtualenvs and caches are never watched, so the number of inotify
  watches stays near the number of source directories. A new top-level directory makes
  the recursive watcher restart with it.
* Each event is mapped to the repo it belongs to by walking up its path (the deepest
  working tree or git directory wins, so a submodule's events are its own, and a change
  under a shared ``refs/`` reaches every linked worktree). Events in ``.git`` other
  than HEAD, index, refs and merge/rebase state are dropped; so is editor noise
  (swap files, ``__pycache__``).
* Events are coalesced per repo: a repo is re-read once no event has arrived for it for
  ``quiet`` seconds and git holds no ``index.lock``/``HEAD.lock`` (a commit or checkout
  in another terminal is seen once, finished, not half-way). Only changed repos are
  re-read, through the hardened runner; an update is yielded only when the status
  actually changed.
* When nothing changes, nothing runs: no git process, no re-read (the watchers sleep
  in their own threads).
* Readiness is observable: :meth:`RepoWatcher.wait_ready` returns once every watcher has
  its OS watches in place (see :class:`WatchGate` for how that is known), at start and
  again after each restart, so a caller (or a test) never has to guess with a sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coditect_tui.core.git import layout
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import RepoStatus, StatusTarget, read_status

#: Directories never watched inside a working tree.
UNWATCHED_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
    }
)
#: Files of a git directory whose change means the repo's state changed.
GIT_STATE_FILES = {
    "HEAD": "head",
    "index": "index",
    "packed-refs": "refs",
    "MERGE_HEAD": "state",
    "CHERRY_PICK_HEAD": "state",
    "REVERT_HEAD": "state",
    "rebase-merge": "state",
    "rebase-apply": "state",
}
#: Lock files whose presence means git is in the middle of an operation.
LOCK_FILES = ("index.lock", "HEAD.lock")
_NOISE_SUFFIXES = (".swp", ".swx", ".swo", "~", ".pyc", ".DS_Store", ".tmp~")
_CLOSED = object()
#: The two watchers a :class:`RepoWatcher` runs.
_WATCHERS = ("flat", "recursive")


class WatchGate(asyncio.Event):
    """The ``stop_event`` handed to :func:`watchfiles.awatch` that also reports readiness.

    watchfiles has no "started" callback, but its source shows the moment: ``awatch``
    builds its Rust watcher (``RustNotify``) on its first iteration, and that constructor
    adds every OS watch synchronously (the ``notify`` crate's ``watch()`` returns once the
    inotify/FSEvents/kqueue watch is in place, or once the first snapshot is taken when
    polling) and from then on collects every event until it is read. ``awatch`` then calls
    ``RustNotify.watch()`` in a worker thread, which calls the stop event's ``is_set()`` on
    every step; nothing else in watchfiles calls it. So the first ``is_set()`` call from a
    thread other than the event loop's proves the watches are in place: every change made
    after it is reported. The gate turns that first call into ``on_ready()``, run in the
    event loop. (It comes one ``step`` after the watches were added: late, never early.)

    When polling (``WATCHFILES_FORCE_POLLING``, network filesystems), ``notify`` compares
    modification times to the second, so a file rewritten within the same second as its
    previous change goes unseen, ready or not; new and deleted files are always seen.

    Setting the gate (or ``stop``) ends the ``awatch`` iteration, as a plain stop event does.

    Args:
        on_ready: called once, from the event loop, when the watcher watches.
        stop: another event that also ends the iteration (the caller's own stop event;
            the gate never sets it).

    Raises:
        RuntimeError: created outside a running event loop.
    """

    def __init__(self, on_ready: Callable[[], object], stop: asyncio.Event | None = None) -> None:
        super().__init__()
        self._on_ready = on_ready
        self._stop = stop
        self._home = asyncio.get_running_loop()
        self._home_thread = threading.get_ident()
        self._reported = False

    def is_set(self) -> bool:
        """Whether the watcher should stop (and, on the first call from the watcher's
        thread, tell the event loop that it watches).

        Returns:
            True once the gate or ``stop`` is set.
        """
        if not self._reported and threading.get_ident() != self._home_thread:
            self._reported = True
            with contextlib.suppress(RuntimeError):  # the loop is closing: nobody waits
                self._home.call_soon_threadsafe(self._on_ready)
        return super().is_set() or (self._stop is not None and self._stop.is_set())


@dataclass(frozen=True, slots=True)
class RepoUpdate:
    """A repo whose status changed.

    Attributes:
        repo: the working tree.
        status: its new status.
        kinds: what changed on disk: head, refs, index, state, worktree, or submodule
            (one of its submodules changed).
        events: how many file events were coalesced into this update.
    """

    repo: Path
    status: RepoStatus
    kinds: frozenset[str]
    events: int


@dataclass(slots=True)
class _RepoInfo:
    target: StatusTarget
    worktree: str
    git_dir: str | None
    common_dir: str | None


@dataclass(slots=True)
class _Pending:
    kinds: set[str] = field(default_factory=set)
    events: int = 0
    last: float = 0.0
    task: asyncio.Task[None] | None = None


@dataclass(slots=True)
class _Plan:
    flat: list[str] = field(default_factory=list)
    recursive: list[str] = field(default_factory=list)
    flat_worktree_dirs: set[str] = field(default_factory=set)


def fingerprint(status: RepoStatus) -> tuple[Any, ...]:
    """What must differ for two statuses of a repo to count as a change.

    Args:
        status: a status.

    Returns:
        A hashable summary (timings excluded).
    """
    return (
        status.head_oid,
        status.branch,
        status.detached,
        status.upstream,
        status.upstream_gone,
        status.ahead,
        status.behind,
        status.staged,
        status.modified,
        status.untracked,
        status.conflicted,
        status.changed,
        status.stash,
        status.error,
        tuple((f.code, f.path, f.submodule) for f in status.files),
    )


class RepoWatcher:
    """Watch repos and yield :class:`RepoUpdate` when one changes.

    Use as ``async with RepoWatcher(targets) as watcher: async for update in watcher``.
    Entering (or :meth:`start`) returns once the watchers watch; :meth:`wait_ready` waits
    for that state again after a watcher restarted (a new top-level directory appeared,
    or a watched one vanished), and :attr:`ready` tells whether it holds now.

    Args:
        targets: the repos (uninitialised submodules are ignored).
        runner: runs the re-reads (a fresh hardened runner by default).
        quiet: seconds without events before a repo is re-read.
        step: milliseconds watchfiles waits for more events before handing a batch over.
        initial: statuses already known (an update is then only yielded on a change
            from them).
        max_lock_wait: seconds to wait for git's lock files to go before reading anyway.
    """

    def __init__(
        self,
        targets: Sequence[StatusTarget | Path],
        *,
        runner: GitRunner | None = None,
        quiet: float = 0.05,
        step: int = 40,
        initial: Sequence[RepoStatus] = (),
        max_lock_wait: float = 10.0,
    ) -> None:
        self.runner = runner or GitRunner()
        self.quiet = quiet
        self.step = step
        self.max_lock_wait = max_lock_wait
        self._repos: dict[str, _RepoInfo] = {}
        self._by_git_dir: dict[str, _RepoInfo] = {}
        self._by_common: dict[str, list[_RepoInfo]] = {}
        for item in targets:
            target = item if isinstance(item, StatusTarget) else StatusTarget(path=item)
            if not target.initialised:
                continue
            worktree = os.path.abspath(target.path)
            git_dir = target.git_dir or layout.git_dir_of(Path(worktree))
            common = str(layout.common_dir_of(git_dir)) if git_dir else None
            info = _RepoInfo(target, worktree, str(git_dir) if git_dir else None, common)
            self._repos[worktree] = info
            if info.git_dir is not None and info.common_dir is not None:
                self._by_git_dir[info.git_dir] = info
                self._by_common.setdefault(info.common_dir, []).append(info)
        self._last: dict[str, tuple[Any, ...]] = {
            os.path.abspath(s.path): fingerprint(s) for s in initial
        }
        self._pending: dict[str, _Pending] = {}
        self._events: asyncio.Queue[tuple[str, set[tuple[int, str]]]] = asyncio.Queue()
        self._updates: asyncio.Queue[RepoUpdate | BaseException | object] = asyncio.Queue()
        self._tasks: list[asyncio.Task[Any]] = []
        self._watchers: dict[str, asyncio.Task[None]] = {}
        #: The current stop event (and readiness probe) of each watcher.
        self._gates: dict[str, WatchGate] = {}
        #: Watchers that run (a watcher with no path to watch is not started).
        self._expected: set[str] = set()
        #: Watchers whose current instance has its OS watches in place.
        self._watching: set[str] = set()
        #: Set while ready, closed or failed (what wait_ready waits for).
        self._ready_or_done = asyncio.Event()
        self._failure: BaseException | None = None
        self._plan = _Plan()
        self._started = False
        self._spawned = False
        self._closed = False
        #: Status re-reads done so far (tests and benchmarks read it).
        self.rereads = 0
        #: Watcher restarts so far (a new top-level directory, or a vanished one).
        self.restarts = 0

    # -- planning -----------------------------------------------------------------------

    def _make_plan(self) -> _Plan:
        plan = _Plan()
        worktrees = set(self._repos)
        for info in self._repos.values():
            if not os.path.isdir(info.worktree):
                continue
            plan.flat.append(info.worktree)
            plan.flat_worktree_dirs.add(info.worktree)
            self._plan_dir(info.worktree, worktrees, plan)
            for git_dir in {info.git_dir, info.common_dir} - {None}:
                assert git_dir is not None
                if git_dir not in plan.flat:
                    plan.flat.append(git_dir)
                refs = os.path.join(git_dir, "refs")
                if os.path.isdir(refs) and refs not in plan.recursive:
                    plan.recursive.append(refs)
        return plan

    def _plan_dir(self, directory: str, worktrees: set[str], plan: _Plan) -> None:
        try:
            with os.scandir(directory) as it:
                entries = [e for e in it if e.name not in UNWATCHED_DIRS]
        except OSError:
            return
        for entry in entries:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            path = entry.path
            if path in worktrees:
                continue  # a nested repo is planned on its own
            prefix = path + os.sep
            if any(w.startswith(prefix) for w in worktrees):
                plan.flat.append(path)
                plan.flat_worktree_dirs.add(path)
                self._plan_dir(path, worktrees, plan)
            else:
                plan.recursive.append(path)

    # -- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> RepoWatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self, ready_timeout: float | None = 10.0) -> None:
        """Start watching; returns once every watcher watches (see :meth:`wait_ready`).

        A second call returns at once, even while the first one still waits.

        Args:
            ready_timeout: seconds to wait for the watchers to come up (None: no limit).

        Raises:
            TimeoutError: the watchers did not come up in time (the watcher is closed).
            Exception: a watcher failed to start (e.g. the OS refused more watches; the
                watcher is closed).
        """
        if self._started:
            return
        self._started = True
        self._plan = await asyncio.to_thread(self._make_plan)
        for name in _WATCHERS:
            self._spawn_watcher(name)
        self._spawned = True
        self._tasks.append(asyncio.create_task(self._dispatch()))
        self._update_ready()
        try:
            await self.wait_ready(ready_timeout)
        except TimeoutError:
            await self.close()
            raise TimeoutError("file watchers did not start") from None
        except BaseException:
            await self.close()
            raise

    @property
    def ready(self) -> bool:
        """Whether every watcher watches now: a change made from now on is reported.

        False before :meth:`start`, while a watcher restarts, after a failure and after
        :meth:`close`.
        """
        return (
            self._spawned
            and not self._closed
            and self._failure is None
            and self._expected <= self._watching
        )

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until every watcher watches (:attr:`ready`); start watching if nothing did.

        Ready means every underlying ``watchfiles`` watcher has its OS watches in place
        (see :class:`WatchGate`), so every change made after this returns is reported.
        Readiness is lost while a watcher restarts (a new top-level directory in a
        working tree, or a watched directory that vanished) and comes back once the
        restarted watcher watches; the restart is decided, and readiness dropped, in the
        same step that handles the event causing it, before any update that event
        produces is delivered. So awaiting this after such an update waits for the
        restart to finish.

        Args:
            timeout: seconds to wait at most (None: no limit).

        Raises:
            TimeoutError: not ready within ``timeout``.
            RuntimeError: the watcher is closed.
            Exception: a watcher's failure (the one the iteration raises as well).
        """
        if not self._started:
            await self.start(timeout)
        async with asyncio.timeout(timeout):
            await self._ready_or_done.wait()
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise RuntimeError("the repo watcher is closed")

    def _update_ready(self) -> None:
        if self.ready or self._closed or self._failure is not None:
            self._ready_or_done.set()
        else:
            self._ready_or_done.clear()

    def _on_watching(self, name: str, gate: WatchGate) -> None:
        if self._gates.get(name) is gate:  # not a watcher that was replaced meanwhile
            self._watching.add(name)
            self._update_ready()

    async def close(self) -> None:
        """Stop the watchers and pending re-reads. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._update_ready()
        for gate in self._gates.values():
            gate.set()
        tasks = [
            *self._tasks,
            *self._watchers.values(),
            *(p.task for p in self._pending.values() if p.task),
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._updates.put_nowait(_CLOSED)

    def _spawn_watcher(self, name: str) -> None:
        if name == "flat":
            paths, recursive = list(self._plan.flat), False
        else:
            paths, recursive = list(self._plan.recursive), True
        self._watching.discard(name)
        if not paths:  # nothing to watch (yet): a restart starts it when there is
            self._expected.discard(name)
            self._gates.pop(name, None)
            self._update_ready()
            return
        self._expected.add(name)

        def on_ready() -> None:
            self._on_watching(name, gate)

        gate = WatchGate(on_ready)
        self._gates[name] = gate
        self._watchers[name] = asyncio.create_task(
            self._watch(name, gate, paths, recursive=recursive)
        )
        self._update_ready()

    async def _watch(
        self, name: str, gate: WatchGate, paths: list[str], *, recursive: bool
    ) -> None:
        from watchfiles import awatch

        try:
            async for changes in awatch(
                *paths,
                watch_filter=None,
                debounce=400,
                step=self.step,
                stop_event=gate,
                recursive=recursive,
                ignore_permission_denied=True,
            ):
                self._events.put_nowait((name, {(int(c), p) for c, p in changes}))
        except FileNotFoundError:
            # a watched directory vanished between planning and watching: re-plan
            if self._gates.get(name) is gate:
                self._watching.discard(name)
                self._update_ready()
            self._events.put_nowait((f"replan:{name}", set()))
        except Exception as exc:  # surface watcher failures to the consumer
            self._failure = exc
            self._update_ready()
            self._updates.put_nowait(exc)

    async def _restart(self, name: str) -> None:
        """Re-plan and restart one watcher (a new directory, or one that vanished).

        Readiness is dropped before the first ``await``, so a caller that awaits this
        (the dispatcher) has dropped it before any update of the same events goes out.
        """
        self.restarts += 1
        self._watching.discard(name)
        gate = self._gates.pop(name, None)
        self._update_ready()
        if gate is not None:
            gate.set()
        task = self._watchers.get(name)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._plan = await asyncio.to_thread(self._make_plan)
        if not self._closed:
            self._spawn_watcher(name)

    # -- events -------------------------------------------------------------------------

    def classify(self, path: str) -> tuple[list[_RepoInfo], str] | None:
        """The repos an event path concerns and the kind of change (None: ignore).

        Args:
            path: an absolute path from a file event.

        Returns:
            (repos, kind) with kind head, refs, index, state or worktree; a change
            under a shared ``refs/`` concerns every worktree of that repo.
        """
        name = os.path.basename(path)
        probe = path
        while True:
            parent = os.path.dirname(probe)
            if parent == probe:
                return None
            own = self._by_git_dir.get(parent)
            shared = self._by_common.get(parent)
            if own is not None or shared is not None:
                rel = path[len(parent) + 1 :]
                first = rel.split(os.sep, 1)[0]
                if rel.endswith(".lock"):
                    return None
                if first == "refs" or rel == "packed-refs":
                    return (shared or [own]), "refs"  # type: ignore[list-item]
                if own is not None and (
                    rel in GIT_STATE_FILES or first in ("rebase-merge", "rebase-apply")
                ):
                    return [own], GIT_STATE_FILES.get(first, "state")
                return None
            info = self._repos.get(parent)
            if info is not None:
                rel = path[len(parent) + 1 :]
                if rel.split(os.sep, 1)[0] in UNWATCHED_DIRS:
                    return None
                if name.endswith(_NOISE_SUFFIXES) or name == "4913":
                    return None
                return [info], "worktree"
            probe = parent

    def _locked(self, info: _RepoInfo) -> bool:
        return any(
            os.path.exists(os.path.join(d, lock))
            for d in {info.git_dir, info.common_dir} - {None}
            for lock in LOCK_FILES
            if d is not None
        )

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            source, changes = await self._events.get()
            if source.startswith("replan:"):
                await asyncio.sleep(self.quiet)
                await self._restart(source.split(":", 1)[1])
                continue
            replan = False
            for change, path in changes:
                parent = os.path.dirname(path)
                if parent in self._plan.flat_worktree_dirs and (
                    (
                        change == 1
                        and os.path.isdir(path)
                        and os.path.basename(path) not in UNWATCHED_DIRS
                    )
                    or (change == 3 and path in self._plan.recursive)
                ):
                    replan = True
                found = self.classify(path)
                if found is None:
                    continue
                targets, kind = found
                marks = [(t, kind) for t in targets]
                for t in targets:  # a submodule's change shows in its parents' status
                    master = t.target.parent
                    while master is not None:
                        upper = self._repos.get(os.path.abspath(master))
                        if upper is None:
                            break
                        marks.append((upper, "submodule"))
                        master = upper.target.parent
                for target, what in marks:
                    pending = self._pending.setdefault(target.worktree, _Pending())
                    pending.kinds.add(what)
                    pending.events += 1
                    pending.last = loop.time()
                    if pending.task is None:
                        pending.task = asyncio.create_task(self._settle(target))
            if replan:
                await self._restart("recursive")

    async def _settle(self, info: _RepoInfo) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            while True:
                pending = self._pending[info.worktree]
                wait = pending.last + self.quiet - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                if self._locked(info) and loop.time() - started < self.max_lock_wait:
                    await asyncio.sleep(self.quiet)
                    continue
                break
            pending = self._pending.pop(info.worktree)
            self.rereads += 1
            status = await read_status(self.runner, info.target)
            mark = fingerprint(status)
            if self._last.get(info.worktree) == mark:
                return
            self._last[info.worktree] = mark
            self._updates.put_nowait(
                RepoUpdate(Path(info.worktree), status, frozenset(pending.kinds), pending.events)
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._updates.put_nowait(exc)

    # -- iteration ----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[RepoUpdate]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[RepoUpdate]:
        await self.start()
        while True:
            item = await self._updates.get()
            if item is _CLOSED:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, RepoUpdate)
            yield item

    async def next_update(self, timeout: float | None = None) -> RepoUpdate | None:
        """The next update, or None when ``timeout`` seconds pass without one.

        Args:
            timeout: seconds to wait (None: forever).

        Returns:
            The update, or None on timeout.

        Raises:
            Exception: a watcher or re-read failure.
        """
        await self.start()
        if self._closed:
            return None
        try:
            item = await asyncio.wait_for(self._updates.get(), timeout)
        except TimeoutError:
            return None
        if item is _CLOSED:
            return None
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, RepoUpdate)
        return item
