"""Incremental indexing into a real store: new, changed, touched, deleted, renamed, watched."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from coditect_store.store import SqlStore
from coditect_tui.core.errors import InvalidInput, NotFound, ReadOnly
from coditect_tui.core.memory.indexer import IndexReport, MemoryIndexer
from coditect_tui.core.memory.links import linked_entries
from coditect_tui.core.memory.roots import MemoryRoot, discover_roots
from coditect_tui.core.memory.search import search
from coditect_tui.core.models import AuditFilter, MemoryFilter, ProjectSpec
from tests.conftest import REPO_ROOT
from tests.memory.conftest import FIXTURES, copy_fixtures, open_store
from tests.memory.test_fixtures import CHECKPOINT, SESSION, TEMPLATE_05

WATCH_TIMEOUT = 15.0  # a bound for failing, never a wait: the watch signals readiness


async def audit_count(store: SqlStore) -> int:
    return len((await store.query_audit(AuditFilter(resource_type="memory"), limit=1000)).items)


async def entries(store: SqlStore) -> dict[str, str]:
    """path -> id of every entry."""
    page = await store.list_memory_entries(limit=1000)
    return {e.path: e.id for e in page.items}


async def test_index_assigns_projects_and_is_incremental(
    tmp_path: Path, store: SqlStore, memory_dir: Path
) -> None:
    workspace = memory_dir.parent.parent
    copy_fixtures(workspace / "MEMORY-CONTEXT")  # workspace level: no project
    (workspace / "proj" / ".coditect").symlink_to(memory_dir.parent)  # never followed
    project = await store.upsert_project(ProjectSpec(name="proj", path=str(memory_dir.parent)))
    indexer = await MemoryIndexer.for_paths(store, [workspace])
    assert [(r.path, r.project_id) for r in indexer.roots] == [
        (workspace / "MEMORY-CONTEXT", None),
        (memory_dir, project.id),
    ]
    first = await indexer.index()
    assert len(first.added) == 18 and first.errors == [] and not first.updated
    listed = (await store.list_memory_entries(MemoryFilter(project_id=project.id), limit=100)).items
    assert len(listed) == 9 and all(e.path.startswith(str(memory_dir)) for e in listed)
    writes = await audit_count(store)
    again = await MemoryIndexer.for_paths(store, [workspace])  # fresh state from the store
    second = await again.index()
    assert (second.unchanged, second.changed, await audit_count(store)) == (18, False, writes)


async def test_changed_touched_deleted_renamed_and_new(store: SqlStore, memory_dir: Path) -> None:
    indexer = MemoryIndexer(store, [MemoryRoot(memory_dir)])
    await indexer.index()
    before = await entries(store)
    checkpoint = memory_dir / CHECKPOINT
    session = memory_dir / SESSION
    template = memory_dir / TEMPLATE_05
    # changed content
    checkpoint.write_text(checkpoint.read_text() + "\nA zanzibar decision was taken.\n")
    # touched only: same bytes, new mtime
    os.utime(session, (1_700_000_000, 1_700_000_000))
    # deleted
    placeholder = next(memory_dir.glob("2025-11-22T08-28-09Z-*.txt"))
    placeholder.unlink()
    # renamed (moved to another folder)
    (memory_dir / "archive").mkdir()
    moved = memory_dir / "archive" / template.name
    template.rename(moved)
    # new
    (memory_dir / "notes").mkdir()
    (memory_dir / "notes" / "2025-11-23T10-00-00Z-idea.md").write_text("# Note: idea\n\nquokka\n")
    report = await indexer.index()
    assert report.updated == [str(checkpoint)]
    assert report.touched == 1
    assert report.deleted == [str(placeholder)]
    assert report.renamed == [(str(template), str(moved))]
    assert report.added == [str(memory_dir / "notes" / "2025-11-23T10-00-00Z-idea.md")]
    after = await entries(store)
    assert after[str(checkpoint)] == before[str(checkpoint)]  # same entry, new content
    assert str(placeholder) not in after and str(template) not in after
    with pytest.raises(NotFound):
        await store.get_memory_entry(before[str(placeholder)])
    assert [h.entry.path for h in await search(store, "zanzibar")] == [str(checkpoint)]
    assert [h.entry.kind for h in await search(store, "quokka")] == ["note"]
    renamed = await store.get_memory_entry(after[str(moved)])
    assert renamed.kind == "session-template"  # still read by its heading in a new folder
    # the touched file is not re-read on the next run, nothing changes
    third = await indexer.index()
    assert (third.unchanged, third.touched, third.changed) == (9, 0, False)


async def test_index_paths_for_files_and_folders(store: SqlStore, memory_dir: Path) -> None:
    indexer = MemoryIndexer(store, [MemoryRoot(memory_dir)])
    await indexer.index()
    sessions = memory_dir / "sessions"
    moved_out = memory_dir.parent / "sessions-elsewhere"
    sessions.rename(moved_out)
    gone = await indexer.index_paths([sessions])
    assert sorted(gone.deleted) == sorted(str(sessions / p.name) for p in moved_out.iterdir())
    moved_out.rename(sessions)
    back = await indexer.index_paths([sessions, memory_dir / ".hidden.tmp", Path("/elsewhere")])
    assert len(back.added) == 3 and back.scanned == 3
    (sessions / "2025-11-24-new.md").write_text("# Session: brand new\n")
    one = await indexer.index_paths([sessions / "2025-11-24-new.md"])
    assert one.added == [str(sessions / "2025-11-24-new.md")] and one.scanned == 1


async def test_links_between_a_checkpoint_and_its_sessions(
    store: SqlStore, memory_dir: Path
) -> None:
    await MemoryIndexer(store, [MemoryRoot(memory_dir)]).index()
    by_path = await entries(store)
    checkpoint = await store.get_memory_entry(by_path[str(memory_dir / CHECKPOINT)])
    linked = await linked_entries(store, checkpoint)
    assert [e.path for e in linked] == [str(memory_dir / SESSION), str(memory_dir / TEMPLATE_05)]
    session = await store.get_memory_entry(by_path[str(memory_dir / SESSION)])
    assert [e.path for e in await linked_entries(store, session)] == [
        str(memory_dir / CHECKPOINT),
        str(memory_dir / TEMPLATE_05),
    ]


async def test_huge_file_is_partly_indexed(store: SqlStore, tmp_path: Path) -> None:
    root = tmp_path / "MEMORY-CONTEXT"
    root.mkdir()
    (root / "2025-11-22T04-15-36Z-huge.txt").write_text(
        "⏺ early words\n" + "filler " * 50_000 + "\nlatecomer\n"
    )
    report = await MemoryIndexer(store, [MemoryRoot(root.resolve())], cap=64_000).index()
    assert report.truncated == [str(root.resolve() / "2025-11-22T04-15-36Z-huge.txt")]
    assert len(await search(store, "early")) == 1 and await search(store, "latecomer") == []


async def test_read_only_backend_refuses_and_nothing_is_written(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    memory = copy_fixtures(tmp_path / "MEMORY-CONTEXT")
    backend = await open_store(db, read_only=True)
    try:
        with pytest.raises(ReadOnly):
            await MemoryIndexer(backend, [MemoryRoot(memory)]).index()
        assert (await backend.list_memory_entries()).items == []
    finally:
        await backend.close()


def test_discovery_errors_and_rules(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such folder"):
        discover_roots([tmp_path / "missing"])
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InvalidInput, match="not a folder"):
        discover_roots([tmp_path / "file.txt"])
    # a project with a checkpoints/ folder next to .git is not a MEMORY-CONTEXT copy
    repo = tmp_path / "repo"
    for sub in (
        ".git",
        "checkpoints",
        "sessions",
        "node_modules/MEMORY-CONTEXT",
        "deep/a/b/MEMORY-CONTEXT",
        "deep/a/b/.git",
    ):
        (repo / sub).mkdir(parents=True)
    assert discover_roots([repo]) == [(repo / "deep/a/b/MEMORY-CONTEXT").resolve()]
    assert discover_roots([repo], max_depth=2) == []
    assert discover_roots([FIXTURES]) == [FIXTURES.resolve()]


def test_only_designated_memory_context_folders_are_found(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    for sub in (
        "MEMORY-CONTEXT/checkpoints",  # the workspace root's own
        ".git",
        "docs/memory-context/checkpoints",  # documentation about it: wrong case
        "docs/MEMORY-CONTEXT/sessions",  # right case, but not a repository's top
        "Memory-Context",  # wrong case at the top
        "submodules/core/coditect-core/MEMORY-CONTEXT/sessions",
        "plain/MEMORY-CONTEXT",  # a registered project that is no repository
        "elsewhere/kept-memory/checkpoints",  # a folder the configuration names
    ):
        (ws / sub).mkdir(parents=True)
    # a submodule's .git is a file
    (ws / "submodules/core/coditect-core/.git").write_text("gitdir: ../../../.git/modules/x\n")
    found = discover_roots(
        [ws],
        designated=[ws / "elsewhere" / "kept-memory"],
        project_dirs=[(ws / "plain").resolve()],
    )
    assert found == sorted(
        p.resolve()
        for p in (
            ws / "MEMORY-CONTEXT",
            ws / "submodules/core/coditect-core/MEMORY-CONTEXT",
            ws / "plain/MEMORY-CONTEXT",
            ws / "elsewhere/kept-memory",
        )
    )
    # a folder named on the command line designates its own MEMORY-CONTEXT (exact case)
    assert discover_roots([ws / "docs"]) == [(ws / "docs" / "MEMORY-CONTEXT").resolve()]
    # named itself: only in CODITECT's case (or as a copy with its standard folders)
    assert discover_roots([ws / "docs" / "MEMORY-CONTEXT"]) == [
        (ws / "docs" / "MEMORY-CONTEXT").resolve()
    ]
    assert discover_roots([ws / "Memory-Context"]) == []


async def test_for_paths_without_any_root(store: SqlStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no MEMORY-CONTEXT folder found"):
        await MemoryIndexer.for_paths(store, [tmp_path])


async def test_watch_picks_up_new_changed_and_renamed_files(
    store: SqlStore, memory_dir: Path
) -> None:
    await MemoryIndexer(store, [MemoryRoot(memory_dir)]).index()
    # a fresh indexer, as in the next run of the app: it loads its state from the store
    # before it watches, so being ready takes a while after the iteration began
    indexer = MemoryIndexer(store, [MemoryRoot(memory_dir)])
    stop = asyncio.Event()
    ready = asyncio.Event()
    reports: list[IndexReport] = []
    arrived: asyncio.Queue[IndexReport] = asyncio.Queue()

    async def consume() -> None:
        async for report in indexer.watch(debounce_ms=200, stop_event=stop, ready=ready):
            reports.append(report)
            arrived.put_nowait(report)

    task = asyncio.create_task(consume())

    async def until(wanted: Callable[[IndexReport], bool]) -> None:
        """Take reports until one is ``wanted`` (failing if the watch ends first)."""
        while True:
            getter = asyncio.ensure_future(arrived.get())
            done, _ = await asyncio.wait(
                {getter, task}, timeout=WATCH_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                if task in done:
                    task.result()
                    raise AssertionError("the watch ended")
                raise AssertionError(f"no report within {WATCH_TIMEOUT} s; got {reports}")
            if wanted(getter.result()):
                return

    await asyncio.wait_for(ready.wait(), WATCH_TIMEOUT)
    note = memory_dir / "notes" / "2025-11-23T10-00-00Z-live.md"
    note.parent.mkdir()
    tmp = note.with_name(".live.md.tmp")
    tmp.write_text("# Note: live\n\nwombat sighting\n")
    tmp.rename(note)  # the way an atomic writer does it
    await until(lambda r: str(note) in r.added)
    assert [h.entry.path for h in await search(store, "wombat")] == [str(note)]
    renamed = note.with_name("2025-11-23T10-00-00Z-renamed.md")
    note.rename(renamed)
    await until(lambda r: bool(r.renamed))
    stop.set()
    await asyncio.wait_for(task, WATCH_TIMEOUT)
    assert any(r.added == [str(note)] for r in reports)
    assert any(r.renamed == [(str(note), str(renamed))] for r in reports)
    assert all(".tmp" not in key for r in reports for key in r.added)


async def test_watch_without_folders_is_ready_and_ends(store: SqlStore, tmp_path: Path) -> None:
    gone = tmp_path / "MEMORY-CONTEXT"
    gone.mkdir()
    indexer = MemoryIndexer(store, [MemoryRoot(gone)])
    gone.rmdir()
    ready = asyncio.Event()
    reports = [r async for r in indexer.watch(ready=ready)]
    assert reports == [] and ready.is_set()


_UNREADABLE_SCENARIO = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore
    from coditect_tui.core.memory.indexer import MemoryIndexer
    from coditect_tui.core.memory.roots import MemoryRoot

    async def main() -> None:
        base = Path(sys.argv[1])
        root = base / "MEMORY-CONTEXT"
        store = await SqlStore.open_sqlite(base / "s.db", tenant="t1", principal="u",
                                           provision=Provision("T1", "internal", "owner"))
        indexer = MemoryIndexer(store, [MemoryRoot(root)])
        first = await indexer.index()
        (root / "sessions").chmod(0)
        second = await indexer.index()
        (root / "sessions").chmod(0o755)
        third = await indexer.index()
        await store.close()
        print(json.dumps([len(first.added), second.deleted, second.kept, third.unchanged]))

    asyncio.run(main())
""")


def test_unreadable_folder_keeps_its_entries(tmp_path: Path) -> None:
    copy_fixtures(tmp_path / "MEMORY-CONTEXT")
    script = tmp_path / "scenario.py"
    script.write_text(_UNREADABLE_SCENARIO)
    prefix: list[str] = []
    if os.geteuid() == 0:
        # root reads everything: run without the capabilities that bypass permissions
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv (util-linux) is not installed")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    done = subprocess.run(
        [*prefix, sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    added, deleted, kept, unchanged = json.loads(done.stdout.strip().splitlines()[-1])
    assert (added, deleted, kept, unchanged) == (9, [], 3, 9)


async def test_concurrent_runs_do_not_index_twice(store: SqlStore, memory_dir: Path) -> None:
    indexer = MemoryIndexer(store, [MemoryRoot(memory_dir)])
    note = memory_dir / "notes" / "2025-11-23T10-00-00Z-race.md"
    note.parent.mkdir()
    note.write_text("# Note: race\n")
    full, one = await asyncio.gather(indexer.index(), indexer.index_paths([note]))
    assert len(full.added) + len(one.added) == 10
    assert full.updated == one.updated == []
