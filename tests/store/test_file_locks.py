"""The store's file keeps its locks: nothing reads it with plain file I/O while it is open.

On POSIX, closing *any* descriptor of a file drops every lock the process holds on that
file. A plain ``open()``/``close()`` of ``coditect.db`` while the app has the store open
therefore silently unlocks the app's live connections; another process (``coditect audit
verify``) may then take an exclusive lock, checkpoint and delete the WAL and SHM files the
app still uses, and the app's later writes are lost or the file is corrupted.

A child process probes SQLite's SHARED lock range (the bytes after the pending byte at
1 GiB) with a non-blocking exclusive ``lockf``: "held" while any connection of ours is open.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coditect_store.base import Provision
from coditect_store.engine import check_sqlite_file
from coditect_store.store import SqlStore
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.models import ProjectSpec

PENDING_BYTE = 0x40000000
SHARED_FIRST, SHARED_SIZE = PENDING_BYTE + 2, 510

_PROBE = f"""
import fcntl, sys
with open(sys.argv[1], "rb+") as handle:
    try:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, {SHARED_SIZE}, {SHARED_FIRST}, 0)
    except OSError:
        print("held")
    else:
        print("free")
"""


def shared_lock_of(path: Path) -> str:
    """'held' when some process holds a SHARED lock on the SQLite file, else 'free'."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


async def _open(path: Path) -> SqlStore:
    return await SqlStore.open_sqlite(
        path, tenant="t1", principal="alice", provision=Provision("T1", "internal", "owner")
    )


async def test_checking_the_file_keeps_the_open_store_locked(tmp_path: Path) -> None:
    db = tmp_path / "coditect.db"
    store = await _open(db)
    try:
        await store.upsert_project(ProjectSpec(name="p"))
        assert shared_lock_of(db) == "held"
        check_sqlite_file(db)
        assert shared_lock_of(db) == "held"
    finally:
        await store.close()
    assert shared_lock_of(db) == "free"


async def test_a_second_open_and_close_keeps_the_first_store_locked(tmp_path: Path) -> None:
    # What a refresh did: open the tenant's store again (checking the file), close one copy.
    db = tmp_path / "coditect.db"
    first = await _open(db)
    try:
        await first.upsert_project(ProjectSpec(name="p"))
        second = await _open(db)
        await second.close()
        assert shared_lock_of(db) == "held"
        await first.upsert_project(ProjectSpec(name="q"))
        assert {p.name for p in (await first.list_projects()).items} == {"p", "q"}
    finally:
        await first.close()


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    bogus = folder / "coditect.db"
    bogus.write_bytes(b"not a database at all, but long enough to have a header" * 4)
    before = bogus.read_bytes()
    with pytest.raises(BackendUnavailable, match="not a SQLite database"):
        check_sqlite_file(bogus)
    assert bogus.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["coditect.db"]


def test_a_missing_or_empty_file_is_accepted_and_not_created(tmp_path: Path) -> None:
    check_sqlite_file(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    check_sqlite_file(tmp_path / "empty.db")
