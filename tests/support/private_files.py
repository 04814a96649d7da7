"""Run everything that writes a file of the app, under the umask this process was given.

``python -m tests.support.private_files ROOT`` (run by tests/unit/test_private_files.py in
a subprocess whose umask it sets): the XDG directories are ``ROOT/home/*`` (not created
beforehand, so the app creates them), the CLI writes the config (``init``), the store, an
export, an evidence pack and a checkpoint; then the store, a backup, the caches and a
server's SQLite file are written through their own code. Prints one JSON object: the
mode of every path under ``ROOT`` at the end, and of the files SQLite keeps only while a
database is open (``-wal``, ``-shm``), taken while it was open.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
from pathlib import Path


def _modes(root: Path) -> dict[str, str]:
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            mode = os.lstat(path).st_mode
            kind = "d" if stat.S_ISDIR(mode) else "f"
            found[str(path.relative_to(root))] = f"{kind}{stat.S_IMODE(mode):o}"
    return found


async def _while_open(root: Path, store_path: Path, seen: dict[str, str]) -> None:
    from coditect_server.state import ServerConfig, ServerState
    from coditect_store.migrate import backup_sqlite
    from coditect_store.store import SqlStore
    from coditect_tui.core.boot import boot_key, save_boot
    from coditect_tui.core.brief import save_seen
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.workspace_view import from_discovery, save_cache
    from tests.unit.test_boot_key import resolve_boot

    config = root / "home" / "config" / "coditect" / "config.yaml"
    loaded = load_settings(config)
    profile = loaded.settings.profile("personal")
    store = await SqlStore.open_sqlite(
        store_path, tenant="personal", principal=profile.principal_name()
    )
    try:
        await store.whoami()
        seen.update(_modes(root))
        backup_sqlite(store_path, "0001")
    finally:
        await store.close()

    server = ServerState(ServerConfig(db=str(root / "server" / "api.db")))
    await server.start()
    try:
        seen.update(_modes(root))
    finally:
        await server.stop()

    save_boot(boot_key(config, {}, {}), resolve_boot(config, "personal"))
    view = from_discovery("personal", discover([root / "ws"]))
    save_cache(view, "personal")
    save_seen("personal", "alice", view)


def main(root: Path) -> None:
    """Write every kind of file and print the modes (see the module docstring)."""
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        os.environ[var] = str(root / "home" / sub)
    from coditect_tui.cli import main as cli
    from coditect_tui.core.paths import default_store_path

    (root / "ws").mkdir()
    out = root / "out"
    out.mkdir()
    for args in (
        ["init", str(root / "ws")],
        ["audit", "export", "--output", str(out / "events.jsonl")],
        ["audit", "export", "--pack", str(out / "pack")],
        ["audit", "checkpoint", "--new-key"],
    ):
        code = cli(args)
        if code != 0:
            raise SystemExit(f"coditect {' '.join(args)}: exit {code}")
    seen: dict[str, str] = {}
    asyncio.run(_while_open(root, default_store_path(), seen))
    seen.update(_modes(root))
    print(json.dumps(seen))  # the last line of the output


if __name__ == "__main__":
    main(Path(sys.argv[1]))
