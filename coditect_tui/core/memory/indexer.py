"""Incremental indexing of MEMORY-CONTEXT folders into a Backend, and live watching.

Rules (docs/memory.md has the long version):

* A file whose mtime **and** size equal what the index holds is not opened.
* Otherwise it is read and hashed; equal sha256 means only its mtime changed ("touched"):
  nothing is written to the backend (no audit noise), the new mtime is remembered.
* Different content, or a new file: parsed and upserted (keyed by its absolute path).
* Entries whose file is gone are deleted. A new file with the sha256 of a vanished one is
  reported as a rename (the entry of the old path is replaced by one for the new path).
* Files under a folder that cannot be read are left as they are in the index (never
  deleted because of a permission problem or an unmounted disk).
* One file's problem (unreadable, permission denied on update, bad path) is reported and
  the run goes on; a read-only backend or one that cannot be reached stops the run.

``MemoryIndexer`` keeps what it learnt of the index between runs, so a UI re-indexing
after a change only stats files; :meth:`MemoryIndexer.watch` re-indexes only the paths
``watchfiles`` reports, debounced.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from coditect_tui.core.backend import Backend
from coditect_tui.core.batches import cut
from coditect_tui.core.errors import (
    BackendUnavailable,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReadOnly,
)
from coditect_tui.core.memory.readers import ParsedFile, parse_raw
from coditect_tui.core.memory.roots import (
    SKIP_DIRS,
    FileStat,
    MemoryRoot,
    assign_projects,
    discover_roots,
    is_ignored_name,
    path_key,
    project_folders,
    walk_files,
)
from coditect_tui.core.memory.textio import DEFAULT_INDEX_CAP, read_raw
from coditect_tui.core.models import MemoryEntry, MemoryEntrySpec, Project
from coditect_tui.core.safe_text import is_utf8_name
from coditect_tui.core.wording import plural

#: Most files read and parsed per hop to the reading thread or process, and stored per
#: backend call (one transaction). Large batches matter: every commit writes the full-text
#: index's pending terms out as a new segment, and merging many small segments costs more
#: than the inserts (docs/benchmarks.md, "Cold index").
BATCH = 500
#: Most bytes of files (each counted up to the index cap) in one batch, so that a batch of
#: large files holds only so much text in memory.
BATCH_BYTES = 8 * 1024 * 1024
#: A run with at least this many files to read reads and parses them in a process of its
#: own (docs/memory.md, "Incremental indexing").
PROCESS_FILES = 2000
#: Called with (files done, files to do) while changed files are indexed.
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class IndexedFile:
    """What the index holds about one file (enough to decide whether to re-read it)."""

    id: str
    mtime: float | None
    size: int
    sha256: str | None


@dataclass(slots=True)
class IndexReport:
    """What one indexing run did.

    Attributes:
        roots: the roots looked at.
        scanned: files looked at.
        added: keys of new entries (renamed targets excluded).
        updated: keys of entries whose file changed.
        unchanged: files skipped on mtime and size.
        touched: files read whose content had not changed.
        deleted: keys of entries dropped (renamed sources excluded).
        renamed: (old key, new key) pairs.
        errors: (key or path, message) of files that could not be indexed.
        truncated: keys of files only partly indexed (over the cap).
        kept: entries left alone because their folder could not be read.
        seconds: wall time of the run.
        escaped: names (file or folder, as the OS gave them) that are not valid UTF-8;
            the files below them were (re)indexed under keys that show those bytes so.
    """

    roots: list[MemoryRoot] = field(default_factory=list)
    scanned: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    touched: int = 0
    deleted: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    kept: int = 0
    seconds: float = 0.0
    escaped: list[str] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """One line per name that is not valid UTF-8 (see ``escaped``)."""
        return [
            f"{name}: the name is not valid UTF-8; indexed under its escaped name"
            for name in self.escaped
        ]

    @property
    def changed(self) -> bool:
        """Whether the index changed."""
        return bool(self.added or self.updated or self.deleted or self.renamed)

    def summary(self) -> str:
        """One line for a status bar or the CLI."""
        parts = [
            f"{plural(len(self.roots), 'folder')}, {plural(self.scanned, 'file')}",
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.renamed)} renamed",
            f"{len(self.deleted)} deleted",
            f"{self.unchanged + self.touched} unchanged",
        ]
        if self.errors:
            parts.append(plural(len(self.errors), "error"))
        if self.truncated:
            parts.append(f"{len(self.truncated)} only partly indexed")
        if self.kept:
            parts.append(f"{self.kept} kept (folder unreadable)")
        return ", ".join(parts) + f" in {self.seconds:.2f} s"


@dataclass(slots=True)
class _Examined:
    stat: FileStat
    root: MemoryRoot
    parsed: ParsedFile | None = None
    spec: MemoryEntrySpec | None = None
    touched: tuple[float, int] | None = None
    error: str | None = None


async def load_projects(backend: Backend) -> list[Project]:
    """Every registered project of the tenant (empty when the role may not list them).

    Args:
        backend: the open backend.

    Returns:
        The projects.
    """
    projects: list[Project] = []
    cursor: str | None = None
    try:
        while True:
            page = await backend.list_projects(cursor=cursor, limit=1000)
            projects += page.items
            if page.next_cursor is None:
                return projects
            cursor = page.next_cursor
    except PermissionDenied:
        return []


def _first_bad_name(path: Path | str) -> str:
    """The path up to its first component that is not valid UTF-8, as the OS gave it
    (outputs show its undecodable bytes as ``\\xNN``: ``safe_text``, ``safe_json``)."""
    prefix = Path(path)
    for ancestor in reversed(Path(path).parents):
        if not is_utf8_name(ancestor):
            prefix = ancestor
            break
    return os.fspath(prefix)


def _reader_pool(files: int) -> ProcessPoolExecutor | None:
    """A process to read and parse ``files`` files in from ``PROCESS_FILES`` on (None:
    fewer, or no process can be made here; then a thread reads them)."""
    if files < PROCESS_FILES:
        return None
    try:
        with _spawnable():
            # spawn: forking a process that runs threads (the event loop's, SQLite's) is
            # unsafe
            return ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_reader_start
            )
    except (OSError, ImportError, NotImplementedError, ValueError, RuntimeError):
        return None


def _start_reader(pool: ProcessPoolExecutor) -> Future[int] | None:
    """Start ``pool``'s process (spawn: ~0.3 s); None when it cannot start here."""
    try:
        with _spawnable():
            return pool.submit(int)
    except (OSError, ValueError, RuntimeError, BrokenProcessPool):
        return None


def _reader_start() -> None:
    """The reading process's start. Ctrl+C is the parent's to handle (the run ends and
    shuts the process down), and nothing of the process reaches the terminal: in the app
    the terminal is the screen (its standard streams go to the null device)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for stream in (0, 1, 2):
            os.dup2(null, stream)
    finally:
        os.close(null)


@contextlib.contextmanager
def _spawnable() -> Iterator[None]:
    """``sys.stderr`` as multiprocessing can pass it to the processes it starts.

    Its helper process is given ``sys.stderr.fileno()``; an app that captures the stream
    (Textual's capture answers -1) made every start fail with "bad value(s) in
    fds_to_keep", and the app's memory index stopped. For the start, such a stream is
    swapped for one without a descriptor (then none is passed), and what was written to
    it meanwhile goes on to the app's.
    """
    captured = sys.stderr
    try:
        usable = captured is None or captured.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = True  # no descriptor at all: multiprocessing passes none
    if usable:
        yield
        return
    held = io.StringIO()
    sys.stderr = held
    try:
        yield
    finally:
        sys.stderr = captured
        if held.getvalue():
            captured.write(held.getvalue())


def _batches(
    candidates: list[tuple[FileStat, MemoryRoot]], cap: int
) -> list[list[tuple[FileStat, MemoryRoot]]]:
    """``candidates`` cut into batches of at most ``BATCH`` files and ``BATCH_BYTES``
    bytes (a file counted up to ``cap``; a larger file makes a batch of its own)."""
    return cut(candidates, BATCH_BYTES, lambda c: min(max(c[0].size, 0), cap), most=BATCH)


def _examine(
    cap: int, batch: list[tuple[FileStat, MemoryRoot]], known: dict[str, IndexedFile]
) -> list[_Examined]:
    """Read, hash and (when changed) parse files, in a worker thread or process."""
    results: list[_Examined] = []
    for stat, root in batch:
        item = _Examined(stat, root)
        try:
            raw = read_raw(stat.path, cap)
        except OSError as exc:
            item.error = f"cannot read: {exc.strerror or exc}"
            results.append(item)
            continue
        row = known.get(stat.key)
        if row is not None and row.sha256 == raw.sha256:
            item.touched = (raw.mtime, raw.size)
        else:
            item.parsed = parse_raw(stat.path, root.path, raw, cap=cap)
            item.spec = item.parsed.to_spec(root.project_id)
        results.append(item)
    return results


def _nest_free(roots: Sequence[MemoryRoot]) -> list[MemoryRoot]:
    kept: list[MemoryRoot] = []
    for root in sorted(roots, key=lambda r: len(r.path.parts)):
        if not any(k.path == root.path or k.path in root.path.parents for k in kept):
            kept.append(root)
    return sorted(kept, key=lambda r: r.path)


class MemoryIndexer:
    """Keeps a backend's memory index in step with MEMORY-CONTEXT folders.

    Args:
        backend: where entries are written (its permissions and read-only mode apply).
        roots: the MEMORY-CONTEXT folders (see :meth:`for_paths`).
        cap: bytes of one file that are parsed and indexed.
    """

    def __init__(
        self, backend: Backend, roots: Sequence[MemoryRoot], *, cap: int = DEFAULT_INDEX_CAP
    ) -> None:
        self.backend = backend
        self._roots = _nest_free(roots)
        self.cap = cap
        self._state: dict[str, IndexedFile] | None = None
        self._lock = asyncio.Lock()  # one run at a time (a UI's re-index vs the watcher)

    @classmethod
    async def for_paths(
        cls,
        backend: Backend,
        paths: Iterable[Path],
        *,
        max_depth: int = 6,
        cap: int = DEFAULT_INDEX_CAP,
        designated: Iterable[Path] = (),
    ) -> MemoryIndexer:
        """An indexer for every designated MEMORY-CONTEXT folder at or below ``paths``.

        Each folder is attached to the registered project containing it.

        Args:
            backend: the open backend.
            paths: workspace roots, project folders or MEMORY-CONTEXT folders.
            max_depth: folder levels searched below each path.
            cap: bytes of one file that are parsed and indexed.
            designated: the MEMORY-CONTEXT folders the configuration names.

        Returns:
            The indexer.

        Raises:
            InvalidInput: a path is missing or not a folder, or no MEMORY-CONTEXT folder
                was found.
        """
        paths = list(paths)
        projects = await load_projects(backend)
        found = discover_roots(
            paths,
            max_depth=max_depth,
            designated=designated,
            project_dirs=project_folders(projects),
        )
        if not found:
            shown = ", ".join(str(p) for p in paths) or "the given paths"
            raise InvalidInput(f"no MEMORY-CONTEXT folder found under {shown}")
        roots = assign_projects(found, projects)
        return cls(backend, roots, cap=cap)

    @property
    def roots(self) -> list[MemoryRoot]:
        """The folders this indexer keeps in step."""
        return list(self._roots)

    # -- state --------------------------------------------------------------------------

    async def load_state(self) -> int:
        """(Re)load what the backend's index holds (paged; bodies are not fetched).

        Returns:
            How many entries the index holds.
        """
        state: dict[str, IndexedFile] = {}
        cursor: str | None = None
        while True:
            page = await self.backend.list_memory_entries(cursor=cursor, limit=1000)
            for entry in page.items:
                state[entry.path] = IndexedFile(entry.id, entry.mtime, entry.size, entry.sha256)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        self._state = state
        return len(state)

    async def _known(self) -> dict[str, IndexedFile]:
        if self._state is None:
            await self.load_state()
        assert self._state is not None
        return self._state

    def _root_of(self, path: Path) -> MemoryRoot | None:
        for root in self._roots:
            if path == root.path or root.path in path.parents:
                return root
        return None

    # -- runs ---------------------------------------------------------------------------

    async def index(self, *, progress: Progress | None = None) -> IndexReport:
        """Bring the index in step with every root (only changed files are read).

        Args:
            progress: called with (done, to do) as changed files are indexed.

        Returns:
            What was done.

        Raises:
            ReadOnly: the backend is read-only.
            PermissionDenied: the role may not create memory entries.
            BackendUnavailable: the backend cannot be reached.
        """
        async with self._lock:
            return await self._index(progress)

    async def _index(self, progress: Progress | None) -> IndexReport:
        started = time.perf_counter()
        known = await self._known()
        report = IndexReport(roots=self.roots)
        candidates: list[tuple[FileStat, MemoryRoot]] = []
        gone: list[str] = []
        for root in self._roots:
            walk = await asyncio.to_thread(walk_files, root.path)
            seen = {f.key for f in walk.files}
            unreadable = walk.unreadable_keys()
            report.scanned += len(walk.files)
            for stat in walk.files:
                row = known.get(stat.key)
                if row is not None and row.mtime == stat.mtime and row.size == stat.size:
                    report.unchanged += 1
                else:
                    candidates.append((stat, root))
            prefix = root.key + os.sep
            for key in known:
                if key.startswith(prefix) and key not in seen:
                    if any(key.startswith(u) for u in unreadable):
                        report.kept += 1
                    else:
                        gone.append(key)
        await self._apply(candidates, gone, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    async def index_paths(
        self, paths: Iterable[Path], *, progress: Progress | None = None
    ) -> IndexReport:
        """Re-index only these paths (files or folders, present or gone).

        What a watcher calls with the paths it saw change. Paths outside every root, and
        hidden or temporary files, are ignored.

        Args:
            paths: changed paths.
            progress: called with (done, to do) as changed files are indexed.

        Returns:
            What was done.

        Raises:
            ReadOnly, PermissionDenied, BackendUnavailable: as :meth:`index`.
        """
        async with self._lock:
            return await self._index_paths(paths, progress)

    async def _index_paths(self, paths: Iterable[Path], progress: Progress | None) -> IndexReport:
        started = time.perf_counter()
        known = await self._known()
        report = IndexReport(roots=self.roots)
        candidates: dict[str, tuple[FileStat, MemoryRoot]] = {}
        gone: dict[str, None] = {}
        for given in paths:
            path = Path(os.path.abspath(given))
            root = self._root_of(path)
            if root is None or (path == root.path and not path.exists()):
                continue
            inside = path.relative_to(root.path).parts
            if any(is_ignored_name(part) or part in SKIP_DIRS for part in inside):
                continue
            key = path_key(path)
            try:
                is_link = path.is_symlink()
                stat = path.stat(follow_symlinks=False) if not is_link else None
            except OSError:
                is_link, stat = False, None
            if stat is not None and path.is_file() and not is_link:
                file = FileStat(str(path), key, stat.st_mtime, stat.st_size)
                report.scanned += 1
                row = known.get(key)
                if row is not None and row.mtime == file.mtime and row.size == file.size:
                    report.unchanged += 1
                else:
                    candidates[key] = (file, root)
                continue
            if stat is not None and path.is_dir() and not is_link:
                walk = await asyncio.to_thread(walk_files, root.path, below=path)
                seen = {f.key for f in walk.files}
                for file in walk.files:
                    report.scanned += 1
                    row = known.get(file.key)
                    if row is not None and row.mtime == file.mtime and row.size == file.size:
                        report.unchanged += 1
                    else:
                        candidates[file.key] = (file, root)
                prefix = key + os.sep
                unreadable = walk.unreadable_keys()
                for old in known:
                    if old.startswith(prefix) and old not in seen:
                        if any(old.startswith(u) for u in unreadable):
                            report.kept += 1
                        else:
                            gone.setdefault(old, None)
                continue
            # gone (or now a link / something else): the file, or a folder's files
            if key in known:
                gone.setdefault(key, None)
            prefix = key + os.sep
            for old in known:
                if old.startswith(prefix):
                    gone.setdefault(old, None)
        await self._apply(list(candidates.values()), list(gone), report, progress)
        report.seconds = time.perf_counter() - started
        return report

    # -- the work -----------------------------------------------------------------------

    def _examine(
        self, batch: list[tuple[FileStat, MemoryRoot]], known: dict[str, IndexedFile]
    ) -> list[_Examined]:
        """Read, hash and (when changed) parse files. Runs in a worker thread."""
        return _examine(self.cap, batch, known)

    async def _apply(
        self,
        candidates: list[tuple[FileStat, MemoryRoot]],
        gone: list[str],
        report: IndexReport,
        progress: Progress | None,
    ) -> None:
        known = await self._known()
        for stat, _root in candidates:
            if not is_utf8_name(stat.location):
                name = _first_bad_name(stat.path)
                if name not in report.escaped:
                    report.escaped.append(name)
        vanished = {known[k].sha256: k for k in gone if known[k].sha256}
        total = len(candidates)
        done = 0
        batches = _batches(candidates, self.cap)

        pool = _reader_pool(total)
        started = _start_reader(pool) if pool is not None else None  # else threads read all
        loop = asyncio.get_running_loop()

        async def read(batch: list[tuple[FileStat, MemoryRoot]]) -> list[_Examined]:
            rows = {stat.key: known[stat.key] for stat, _root in batch if stat.key in known}
            # threads read until the process is up
            if pool is not None and started is not None and started.done():
                try:
                    return await loop.run_in_executor(pool, _examine, self.cap, batch, rows)
                except BrokenProcessPool:
                    pass  # the process could not start or died: read in a thread
            return await asyncio.to_thread(self._examine, batch, rows)

        def examine(batch: list[tuple[FileStat, MemoryRoot]]) -> asyncio.Future[list[_Examined]]:
            return asyncio.ensure_future(read(batch))

        # Pipelined: the next batch is read and parsed while this one is stored (SQLite's
        # FTS5 insert releases the GIL, so the two overlap); in a process of its own for a
        # large run, as parsing holds the GIL that the store's threads then wait for.
        pending = examine(batches[0]) if batches else None
        try:
            for index in range(len(batches)):
                assert pending is not None
                examined = await pending
                pending = examine(batches[index + 1]) if index + 1 < len(batches) else None
                await self._store_batch(examined, known, vanished, report)
                done += len(examined)
                if progress is not None:
                    progress(done, total)
        finally:
            if pending is not None:  # a failed store: let the reading finish
                await asyncio.gather(pending, return_exceptions=True)
            if pool is not None:
                await asyncio.to_thread(pool.shutdown, cancel_futures=True)
        renamed_from = {old for old, _new in report.renamed}
        for key in gone:
            row = known.get(key)
            if row is None:
                continue
            try:
                await self.backend.delete_memory_entry(row.id)
            except NotFound:
                pass
            except (ReadOnly, BackendUnavailable):
                raise
            except (PermissionDenied, InvalidInput) as exc:
                report.errors.append((key, f"cannot drop from the index: {exc}"))
                continue
            known.pop(key, None)
            if key not in renamed_from:
                report.deleted.append(key)

    async def _store_batch(
        self,
        items: list[_Examined],
        known: dict[str, IndexedFile],
        vanished: dict[str | None, str],
        report: IndexReport,
    ) -> None:
        """Store a batch in one backend transaction; entry by entry if the batch fails
        (then each file gets its own error line, as before)."""
        parsed = [item for item in items if item.error is None and item.touched is None]
        if len(parsed) > 1:
            try:
                entries = await self.backend.upsert_memory_entries(
                    [item.spec for item in parsed if item.spec is not None]
                )
            except (ReadOnly, BackendUnavailable):
                raise
            except (PermissionDenied, NotFound, InvalidInput):
                pass  # one entry is refused: fall through to per-entry upserts
            else:
                for item, entry in zip(parsed, entries, strict=True):
                    self._stored(item, entry, known, vanished, report)
                for item in items:
                    if item.error is not None or item.touched is not None:
                        await self._store(item, known, vanished, report)
                return
        for item in items:
            await self._store(item, known, vanished, report)

    def _stored(
        self,
        item: _Examined,
        entry: MemoryEntry,
        known: dict[str, IndexedFile],
        vanished: dict[str | None, str],
        report: IndexReport,
    ) -> None:
        key = item.stat.key
        parsed = item.parsed
        assert parsed is not None
        is_new = key not in known
        known[key] = IndexedFile(entry.id, parsed.mtime, parsed.size, parsed.sha256)
        if parsed.truncated:
            report.truncated.append(key)
        if not is_new:
            report.updated.append(key)
        elif parsed.sha256 in vanished:
            report.renamed.append((vanished.pop(parsed.sha256), key))
        else:
            report.added.append(key)

    async def _store(
        self,
        item: _Examined,
        known: dict[str, IndexedFile],
        vanished: dict[str | None, str],
        report: IndexReport,
    ) -> None:
        key = item.stat.key
        if item.error is not None:
            report.errors.append((key, item.error))
            return
        if item.touched is not None:
            row = known[key]
            row.mtime, row.size = item.touched
            report.touched += 1
            return
        spec = item.spec
        assert spec is not None
        is_new = key not in known
        try:
            entry = await self.backend.upsert_memory_entry(spec)
        except (ReadOnly, BackendUnavailable):
            raise
        except PermissionDenied:
            if is_new:
                raise
            report.errors.append(
                (
                    key,
                    "permission denied: the entry belongs to someone "
                    "else and this role may only update its own",
                )
            )
            return
        except (NotFound, InvalidInput) as exc:
            report.errors.append((key, str(exc)))
            return
        self._stored(item, entry, known, vanished, report)

    # -- live ---------------------------------------------------------------------------

    async def watch(
        self,
        *,
        debounce_ms: int = 400,
        stop_event: asyncio.Event | None = None,
        force_polling: bool | None = None,
        ready: asyncio.Event | None = None,
    ) -> AsyncIterator[IndexReport]:
        """Re-index changed files while the app runs, as an async iterator.

        ``watchfiles`` groups file events until ``debounce_ms`` has passed (or 50 ms
        without a new event); each group re-indexes only its paths. Nothing runs while
        nothing changes. Hidden and temporary files (e.g. an atomic writer's) are ignored.

        Args:
            debounce_ms: longest time events are grouped.
            stop_event: set it to end the iteration (it is only read, never set here).
            force_polling: poll instead of using OS notifications (network filesystems).
            ready: set once the folders are watched: every change made after it is set
                is picked up (see :class:`~coditect_tui.core.git.watch.WatchGate`). Also
                set when there is no folder to watch (the iteration then ends at once).
                Watching starts on the first iteration, so await it from another task.

        Yields:
            A report for every group of events that changed the index or met errors.

        Raises:
            ReadOnly, PermissionDenied, BackendUnavailable: as :meth:`index`.
        """
        from watchfiles import awatch

        from coditect_tui.core.git.watch import WatchGate

        def wanted(_change: object, path: str) -> bool:
            where = Path(path)
            root = self._root_of(where)
            if root is None:
                return False
            inside = where.relative_to(root.path).parts
            return not any(is_ignored_name(p) or p in SKIP_DIRS for p in inside)

        await self._known()
        watched = [str(root.path) for root in self._roots if root.path.is_dir()]
        if not watched:
            if ready is not None:
                ready.set()
            return
        gate = WatchGate(ready.set if ready is not None else lambda: None, stop_event)
        async for changes in awatch(
            *watched,
            watch_filter=wanted,
            debounce=debounce_ms,
            step=50,
            stop_event=gate,
            force_polling=force_polling,
            recursive=True,
        ):
            report = await self.index_paths(Path(path) for _change, path in changes)
            if report.changed or report.errors:
                yield report
