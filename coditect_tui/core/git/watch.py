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
import errno
import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coditect_tui.core.git import layout
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import RepoStatus, StatusTarget, read_status
from coditect_tui.core.wording import plural

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
logger = logging.getLogger(__name__)
#: :attr:`WatchNotice.kind` when ``inotify_add_watch`` was refused (ENOSPC).
LIMIT_WATCHES = "watches"
#: :attr:`WatchNotice.kind` when ``inotify_init1`` was refused (EMFILE/ENFILE).
LIMIT_INSTANCES = "instances"
_LIMIT_FILES = {
    LIMIT_WATCHES: ("/proc/sys/user/max_inotify_watches", "/proc/sys/fs/inotify/max_user_watches"),
    LIMIT_INSTANCES: (
        "/proc/sys/user/max_inotify_instances",
        "/proc/sys/fs/inotify/max_user_instances",
    ),
}
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


async def end_watches(tasks: list[asyncio.Task[Any]], grace: float = 2.0) -> None:
    """End watcher tasks whose stop event (or gate) is already set.

    A stopped ``awatch`` returns within one ``step``; waiting for that, instead of
    cancelling at once, lets its worker thread finish and drop its watcher, so nothing of
    a closed watch outlives ``close()``. Tasks still running after ``grace`` seconds are
    cancelled. Errors of the ended tasks are not raised here (their owners report them).

    Args:
        tasks: the tasks to end (done ones are fine).
        grace: how long to wait for them to end by themselves, in seconds.
    """
    pending = {t for t in tasks if not t.done()}
    if pending:
        _done, pending = await asyncio.wait(pending, timeout=grace)
    for task in pending:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


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


@dataclass(frozen=True, slots=True)
class WatchNotice:
    """The kernel's inotify limit was reached: some repos are re-read on a timer.

    A :class:`RepoWatcher` makes at most one (its :attr:`RepoWatcher.notice`, also handed
    to its ``on_notice``); it keeps working, watching the repos that fit and re-reading
    the others every ``interval`` seconds (:attr:`RepoWatcher.polled` is the live set).

    Attributes:
        kind: :data:`LIMIT_WATCHES` (``fs.inotify.max_user_watches``) or
            :data:`LIMIT_INSTANCES` (``fs.inotify.max_user_instances``, or the process's
            open-file limit).
        limit: the kernel's value of that limit, when readable.
        unwatched: the repos re-read on the timer when the notice was made.
        total: the repos the watcher covers.
        interval: seconds between two re-reads of the unwatched repos.
    """

    kind: str
    limit: int | None
    unwatched: tuple[Path, ...]
    total: int
    interval: float

    @property
    def message(self) -> str:
        """One line for the user."""
        name = "max_user_watches" if self.kind == LIMIT_WATCHES else "max_user_instances"
        limit = "" if self.limit is None else f" = {self.limit:,}"
        return (
            f"The kernel's inotify limit is reached (fs.inotify.{name}{limit}): "
            f"{len(self.unwatched):,} of {plural(self.total, 'repo', grouped=True)} "
            f"{'is' if len(self.unwatched) == 1 else 'are'} re-read every "
            f"{self.interval:g} s instead of live. Raise fs.inotify.{name} for live updates."
        )


def _kernel_limit(kind: str) -> int | None:
    for name in _LIMIT_FILES[kind]:
        try:
            with open(name, encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            continue
    return None


def _paths_of_error(text: str) -> list[str]:
    """The paths of a ``notify`` error message (``... about ["/a", "/b"]``), which
    prints them with Rust's ``Debug`` escapes."""
    at = text.find(' about ["')
    if at < 0:
        return []
    i, out, paths = at + len(" about ["), bytearray(), []
    while i < len(text) and text[i] == '"':
        i += 1
        while i < len(text) and text[i] != '"':
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt == "x":
                    out.append(int(text[i + 2 : i + 4], 16))
                    i += 4
                    continue
                if nxt == "u":
                    end = text.index("}", i)
                    out += chr(int(text[i + 3 : end], 16)).encode()
                    i = end + 1
                    continue
                out += {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt).encode()
                i += 2
                continue
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
        paths.append(out.decode("utf-8", "surrogateescape"))
        out = bytearray()
        i += 1
        if text.startswith(", ", i):
            i += 2
    return paths


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
    #: Every planned path (flat or recursive) -> the working tree of the repo it serves.
    owner: dict[str, str] = field(default_factory=dict)
    recursive_set: set[str] = field(default_factory=set)

    def add(self, path: str, owner: str, *, recursive: bool) -> None:
        if path in self.owner:
            return
        self.owner[path] = owner
        if recursive:
            self.recursive.append(path)
            self.recursive_set.add(path)
        else:
            self.flat.append(path)


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
        poll_interval: seconds between two re-reads of the repos that cannot be watched
            (the kernel's inotify limit was reached; see :class:`WatchNotice`).
        poll_tick: awaited between two such re-reads instead of sleeping
            ``poll_interval`` (tests hand a function that waits for their own signal).
        on_notice: called once, in the event loop, with the :class:`WatchNotice` when the
            inotify limit is first reached (the app shows its ``message``).
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
        poll_interval: float = 30.0,
        poll_tick: Callable[[], Awaitable[object]] | None = None,
        on_notice: Callable[[WatchNotice], object] | None = None,
    ) -> None:
        self.runner = runner or GitRunner()
        self.poll_interval = poll_interval
        self._poll_tick = poll_tick
        self._on_notice = on_notice
        self.quiet = quiet
        self.step = step
        self.max_lock_wait = max_lock_wait
        self._repos: dict[str, _RepoInfo] = {}
        self._rank: dict[str, int] = {}
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
            self._rank[worktree] = len(self._rank)
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
        #: Watcher restarts so far (a new top-level directory, a vanished one, or a
        #: retry with fewer repos after the inotify limit was reached).
        self.restarts = 0
        #: Set once the kernel's inotify limit was reached (see :class:`WatchNotice`).
        self.notice: WatchNotice | None = None
        #: Rounds of re-reads of the polled repos done so far.
        self.polls = 0
        #: Working trees re-read on the slow timer instead of watched.
        self._unwatched: set[str] = set()
        #: Paths the OS refused to watch (permission denied): left out of the plan.
        self._denied: set[str] = set()
        self._poller: asyncio.Task[None] | None = None
        #: The paths each watcher was started with.
        self._running: dict[str, list[str]] = {}

    # -- planning -----------------------------------------------------------------------

    def _make_plan(self, unwatched: frozenset[str], denied: frozenset[str]) -> _Plan:
        """What to watch: every repo except ``unwatched`` (polled), minus ``denied`` paths.

        The lists are in repo order (a repo's paths after those of the repos before it),
        so a watcher that fails at one path has added the watches of every repo before it.
        """
        plan = _Plan()
        worktrees = set(self._repos)
        # directories holding a nested repo or a denied path: watched flat, entered
        around: set[str] = set()
        for path in (*worktrees, *denied):
            parent = os.path.dirname(path)
            while parent not in around and parent != os.path.dirname(parent):
                around.add(parent)
                parent = os.path.dirname(parent)
        skip = worktrees | denied
        for info in self._repos.values():
            if info.worktree in unwatched or not os.path.isdir(info.worktree):
                continue
            own = info.worktree
            plan.add(own, own, recursive=False)
            plan.flat_worktree_dirs.add(own)
            self._plan_dir(own, own, skip, around, plan)
            for git_dir in dict.fromkeys((info.git_dir, info.common_dir)):
                if git_dir is None or git_dir in denied:
                    continue
                plan.add(git_dir, own, recursive=False)
                refs = os.path.join(git_dir, "refs")
                if refs not in around and refs not in denied and os.path.isdir(refs):
                    plan.add(refs, own, recursive=True)
        return plan

    def _plan_dir(
        self, directory: str, own: str, skip: set[str], around: set[str], plan: _Plan
    ) -> None:
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
            if path in skip:
                continue  # a nested repo is planned on its own; a denied path not at all
            if path in around:
                plan.add(path, own, recursive=False)
                plan.flat_worktree_dirs.add(path)
                self._plan_dir(path, own, skip, around, plan)
            else:
                plan.add(path, own, recursive=True)

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
            Exception: a watcher failed to start for another reason than the inotify
                limit (which is not an error: see :class:`WatchNotice`); the watcher is
                closed.
        """
        if self._started:
            return
        self._started = True
        self._plan = await self._replan()
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
            *([self._poller] if self._poller is not None else []),
            *(p.task for p in self._pending.values() if p.task),
        ]
        for task in tasks:
            task.cancel()
        await end_watches(list(self._watchers.values()))
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._updates.put_nowait(_CLOSED)

    async def _replan(self) -> _Plan:
        unwatched, denied = frozenset(self._unwatched), frozenset(self._denied)
        return await asyncio.to_thread(self._make_plan, unwatched, denied)

    def _spawn_watcher(self, name: str) -> None:
        paths, recursive = self._paths_of(name), name != "flat"
        self._running[name] = paths
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
                # False: with True, watchfiles drops *every* error of adding a watch,
                # the inotify limit included (see _watch_failed)
                ignore_permission_denied=False,
            ):
                self._events.put_nowait((name, {(int(c), p) for c, p in changes}))
        except FileNotFoundError:
            # a watched directory vanished between planning and watching: re-plan
            self._lost(name, gate)
        except Exception as exc:
            if self._watch_failed(name, paths, exc):
                self._lost(name, gate)
                return
            self._failure = exc  # surface other watcher failures to the consumer
            self._update_ready()
            self._updates.put_nowait(exc)

    def _lost(self, name: str, gate: WatchGate) -> None:
        """A watcher ended before its time: drop readiness and have it re-planned."""
        if self._gates.get(name) is gate:
            self._watching.discard(name)
            self._update_ready()
        self._events.put_nowait((f"replan:{name}", set()))

    def _watch_failed(self, name: str, paths: list[str], exc: BaseException) -> bool:
        """Handle a watcher that could not add its watches; True when it is re-planned.

        How watchfiles (1.x, on the ``notify`` crate) reports what the kernel refuses:

        * the watch limit (``inotify_add_watch`` fails with ENOSPC,
          ``fs.inotify.max_user_watches``): ``notify`` turns it into its ``MaxFilesWatch``
          error ("OS file watch limit reached." about the path), which watchfiles raises
          from the ``RustNotify`` constructor as a plain ``OSError`` -- but only with
          ``ignore_permission_denied=False``: with True it drops every error of adding a
          watch, and the rest of the tree would go silently unwatched;
        * the instance limit (``inotify_init1`` fails with EMFILE,
          ``fs.inotify.max_user_instances``, or the process's open-file limit):
          ``WatchfilesRustInternalError`` ("Error creating recommended watcher: Too many
          open files (os error 24)"), a ``RuntimeError``;
        * permission denied on a directory: ``PermissionError`` about the path.

        The watches added before the failure are released with the failed watcher; the
        paths are in repo order, so the repos before the failing path fit. Those from
        it on are re-read on the slow timer, the others are watched again.
        """
        text = str(exc)
        if isinstance(exc, PermissionError):
            denied = _paths_of_error(text)
            if not denied or any(d in self._denied for d in denied):
                return False
            self._denied.update(denied)
            # a repo whose root, git directory or refs cannot be watched is re-read on the
            # timer (a denied folder inside a working tree is just left out)
            roots = {
                info.worktree
                for info in self._repos.values()
                for d in denied
                if d == info.worktree
                or d in (info.git_dir, info.common_dir)
                or any(
                    g and d.startswith(os.path.join(g, "refs"))
                    for g in (info.git_dir, info.common_dir)
                )
            }
            if roots:
                self._poll_repos(roots)
            return True
        if isinstance(exc, RuntimeError) and any(
            f"(os error {n})" in text for n in (errno.EMFILE, errno.ENFILE)
        ):
            self._limit_reached(LIMIT_INSTANCES, set(self._repos))
            return True
        if isinstance(exc, OSError) and ("MaxFilesWatch" in text or "watch limit" in text):
            owners = [self._plan.owner.get(p) for p in paths]
            covered = [o for o in dict.fromkeys(owners) if o is not None]
            cut: str | None = None
            for failed in _paths_of_error(text):
                probe = failed
                while cut is None and probe != os.path.dirname(probe):
                    cut = self._plan.owner.get(probe)
                    probe = os.path.dirname(probe)
            if cut is None or cut not in covered:  # unknown: keep the first half
                cut = covered[len(covered) // 2] if covered else None
            if cut is None:
                return False
            rank = self._rank[cut]
            self._limit_reached(LIMIT_WATCHES, {w for w, r in self._rank.items() if r >= rank})
            return True
        return False

    def _limit_reached(self, kind: str, repos: set[str]) -> None:
        """Poll ``repos`` from now on and say so, once."""
        fresh = repos - self._unwatched
        self._poll_repos(repos)
        if self.notice is None:
            self.notice = WatchNotice(
                kind=kind,
                limit=_kernel_limit(kind),
                unwatched=tuple(Path(w) for w in self._repos if w in self._unwatched),
                total=len(self._repos),
                interval=self.poll_interval,
            )
            if self._on_notice is not None:
                try:
                    self._on_notice(self.notice)
                except Exception:  # the caller's relay must not stop the watcher
                    logger.exception("on_notice failed")
        if fresh:
            logger.info("inotify %s limit: %d more repos polled", kind, len(fresh))

    def _poll_repos(self, repos: set[str]) -> None:
        self._unwatched |= repos
        if repos and self._poller is None and not self._closed:
            self._poller = asyncio.create_task(self._poll())

    @property
    def polled(self) -> frozenset[Path]:
        """The repos re-read on the slow timer because they could not be watched."""
        return frozenset(Path(w) for w in self._unwatched)

    async def _poll(self) -> None:
        """Re-read the repos that are not watched, every ``poll_interval``."""
        while not self._closed:
            if self._poll_tick is not None:
                await self._poll_tick()
            else:
                await asyncio.sleep(self.poll_interval)
            infos = [self._repos[w] for w in self._repos if w in self._unwatched]
            statuses = await asyncio.gather(
                *(read_status(self.runner, info.target) for info in infos),
                return_exceptions=True,
            )
            self.rereads += len(infos)
            for info, status in zip(infos, statuses, strict=True):
                if isinstance(status, BaseException):
                    if isinstance(status, asyncio.CancelledError):
                        raise status
                    self._updates.put_nowait(status)
                    continue
                mark = fingerprint(status)
                if self._last.get(info.worktree) != mark:
                    self._last[info.worktree] = mark
                    self._updates.put_nowait(
                        RepoUpdate(Path(info.worktree), status, frozenset({"poll"}), 0)
                    )
            self.polls += 1

    async def _restart(self, name: str) -> None:
        """Re-plan and restart one watcher (a new directory, or one that vanished).

        Readiness is dropped before the first ``await``, so a caller that awaits this
        (the dispatcher) has dropped it before any update of the same events goes out.
        """
        self.restarts += 1
        await self._stop_watcher(name)
        self._plan = await self._replan()
        if self._closed:
            return
        # a path left out (permission denied, a repo now polled) changes the other
        # watcher's list too: restart it with its new list (all stopped before any
        # starts, so readiness is never claimed in between)
        again = [
            other
            for other in _WATCHERS
            if other != name and self._running.get(other) != self._paths_of(other)
        ]
        for other in again:
            self._watching.discard(other)
        self._update_ready()
        for other in again:
            await self._stop_watcher(other)
        if self._closed:
            return
        for started in (name, *again):
            self._spawn_watcher(started)

    def _paths_of(self, name: str) -> list[str]:
        return list(self._plan.flat if name == "flat" else self._plan.recursive)

    async def _stop_watcher(self, name: str) -> None:
        self._watching.discard(name)
        gate = self._gates.pop(name, None)
        self._update_ready()
        if gate is not None:
            gate.set()
        task = self._watchers.get(name)
        if task is not None and task is not asyncio.current_task():
            await end_watches([task])

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
                    or (change == 3 and path in self._plan.recursive_set)
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
