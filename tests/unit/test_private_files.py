"""Every file the app writes is 0600 in 0700 folders, whatever the umask (issue [3/8] item 4)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from coditect_tui.core.contract.opening import Provision
from tests.conftest import REPO_ROOT

#: What the driver must have written (so the test cannot pass on an empty folder).
EXPECTED = [
    r"home/config/coditect/config\.yaml",
    r"home/config/coditect/audit-signing\.key",
    r"home/data/coditect/coditect\.db",
    r"home/data/coditect/coditect\.db-wal",
    r"home/data/coditect/coditect\.db-shm",
    r"home/data/coditect/coditect\.db\.bak-0001-\d{8}T\d{6}Z",
    r"home/data/coditect/checkpoints/personal-\d{8}\.json",
    r"out/events\.jsonl",
    r"out/pack/(audit-events\.csv|manifest\.json|SHA256SUMS)",
    r"home/cache/coditect/boot\.json",
    r"home/cache/coditect/workspace-personal\.json",
    r"home/state/coditect/seen-personal-alice\.json",
    r"server/api\.db",
    r"server/api\.db-wal",
    r"server/api\.db-shm",
]
#: Folders the test itself made (the user's, not the app's).
USERS = {"out", "ws"}


def test_every_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    umasks = (0o022, 0o000)
    runs = []
    for umask in umasks:
        root = tmp_path / f"umask-{umask:03o}"
        root.mkdir()
        runs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.support.private_files", str(root)],
                cwd=REPO_ROOT,
                umask=umask,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for umask, run in zip(umasks, runs, strict=True):
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        modes: dict[str, str] = json.loads(out.splitlines()[-1])
        for pattern in EXPECTED:
            assert any(re.fullmatch(pattern, name) for name in modes), (umask, pattern)
        wrong = {
            name: mode
            for name, mode in modes.items()
            if name not in USERS and mode != ("d700" if mode[0] == "d" else "f600")
        }
        assert wrong == {}, f"umask {umask:03o}"


async def test_an_existing_open_store_is_tightened(tmp_path: Path) -> None:
    from coditect_store.store import SqlStore

    folder = tmp_path / "team"
    folder.mkdir()
    os.chmod(folder, 0o755)
    path = folder / "old.db"
    sqlite3.connect(path).close()  # an empty database, as an older version left it
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        (folder / name).touch()
        os.chmod(folder / name, 0o644)
    store = await SqlStore.open_sqlite(
        path,
        tenant="t1",
        principal="alice",
        provision=Provision(display_name="T1", tier="internal", role="owner"),
    )
    try:
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    finally:
        await store.close()
    assert modes == {"old.db": 0o600, "old.db-wal": 0o600, "old.db-shm": 0o600}
    # a folder the user chose is theirs: left as it is
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_the_apps_own_folder_is_tightened() -> None:
    from platformdirs import user_cache_path

    from coditect_tui.core.workspace_view import WorkspaceView, save_cache

    cache = user_cache_path("coditect", appauthor=False)
    cache.mkdir(parents=True)
    os.chmod(cache, 0o755)  # as an older version left it
    save_cache(WorkspaceView(tenant="t1"), "t1")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert [p.name for p in cache.iterdir()] == ["workspace-t1.json"]  # nothing staged left
    assert stat.S_IMODE((cache / "workspace-t1.json").stat().st_mode) == 0o600
