"""``coditect status`` end to end: formats, filters, exit codes, snapshots, no Textual."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.core.models import utcnow
from tests.git.helpers import (
    git,
    make_remote_and_clone,
    master_with_submodule,
    run_cli,
    write_config,
)


def test_status_never_imports_textual(workspace30: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, [workspace30 / "projects"])
    code = (
        "import sys, json\n"
        "from coditect_tui.cli import main\n"
        "sys.stdout = open('/dev/null', 'w')\n"
        f"rc1 = main(['status', '--json', '--no-record', {str(workspace30 / 'projects')!r}])\n"
        "light = sorted(m for m in ('sqlalchemy', 'git', 'gitdb', 'rich') if m in sys.modules)\n"
        f"rc2 = main(['status', '--markdown', '--config', {str(config)!r}])\n"
        f"rc3 = main(['session', 'status', '--repo', "
        f"{str(workspace30 / 'projects' / 'client1-svc-0000')!r}, '--config', "
        f"{str(config)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "sys.stderr.write(json.dumps([rc1, rc2, rc3, heavy, light]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    rc1, rc2, rc3, heavy, light = json.loads(result.stderr.strip().splitlines()[-1])
    assert (rc1, rc2, rc3) == (0, 0, 0)
    assert heavy == []
    assert light == []  # --json --no-record: no SQLAlchemy, GitPython or Rich either


def test_json_output_and_filters(workspace30: Path) -> None:
    expected = json.loads((workspace30 / "expected.json").read_text())
    projects = workspace30 / "projects"
    result = run_cli("status", "--json", "--no-record", str(projects))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    top = {r["name"]: r for r in doc["repos"] if not r["is_submodule"]}
    assert set(top) == set(expected)
    # the masters' uninitialised submodules are listed, not read
    unread = sum(len(e["submodules"]["uninitialised"]) for e in expected.values())
    assert unread and sum(not r["initialised"] for r in doc["repos"]) == unread
    assert doc["summary"]["errors"] == 0 and doc["summary"]["read"] == len(doc["repos"]) - unread
    for name, want in expected.items():
        assert top[name]["upstream"] == want["upstream"]
        assert top[name]["changed"] == want["changed"]

    dirty = json.loads(run_cli("status", "--json", "--no-record", "--dirty", str(projects)).stdout)
    want_dirty = {n for n, e in expected.items() if e["changed"] or e["untracked"]}
    assert {r["name"] for r in dirty["repos"]} == want_dirty

    behind = json.loads(
        run_cli("status", "--json", "--no-record", "--behind", str(projects)).stdout
    )
    want_behind = {n for n, e in expected.items() if e["behind"]}
    assert {r["name"] for r in behind["repos"] if not r["is_submodule"]} == want_behind
    assert all(r["behind"] > 0 for r in behind["repos"])


def test_csv_markdown_table_and_category(tmp_path: Path) -> None:
    master_with_submodule(tmp_path)
    ws = tmp_path / "ws"
    result = run_cli("status", "--csv", "--no-record", str(ws))
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["name"] for r in rows] == ["master", "api"]
    assert rows[1]["category"] == "cloud" and rows[1]["is_submodule"] == "True"
    md = run_cli("status", "--markdown", "--no-record", str(ws)).stdout
    assert "## Overview" in md and "Health Distribution:" in md and "## Repos" in md
    only = json.loads(
        run_cli("status", "--json", "--no-record", "--category", "cloud", str(ws)).stdout
    )
    assert [r["name"] for r in only["repos"]] == ["api"]
    table = run_cli("status", "--no-record", str(ws), env={"COLUMNS": "200"})
    assert table.returncode == 0
    assert "master" in table.stdout and "└ api" in table.stdout


def test_exit_codes_and_one_line_errors(tmp_path: Path) -> None:
    _, good = make_remote_and_clone(tmp_path, "good")
    missing = run_cli("status", "--no-record", str(tmp_path / "missing"))
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "no such directory" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    no_repo = run_cli("status", "--no-record", str(empty))
    assert no_repo.returncode == 2 and "no git repositories" in no_repo.stderr
    assert "Traceback" not in missing.stderr + no_repo.stderr
    assert run_cli("status", "--no-record", str(tmp_path / "work")).returncode == 0

    broken = tmp_path / "work" / "broken"
    broken.mkdir()
    git(broken, "init", "-q")
    (broken / ".git" / "HEAD").write_text("this is not a ref\n")
    result = run_cli("status", "--json", "--no-record", str(tmp_path / "work"))
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    errors = [r for r in doc["repos"] if r["error"]]
    assert [r["name"] for r in errors] == ["broken"]
    assert doc["summary"]["errors"] == 1 and good.exists()


def test_snapshots_are_recorded_unless_asked_not_to(tmp_path: Path) -> None:
    import asyncio

    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    make_remote_and_clone(tmp_path, "one")
    make_remote_and_clone(tmp_path, "two")
    db = tmp_path / "cli.db"
    config = write_config(tmp_path, [tmp_path / "work"], db=db)
    env = {"CODITECT_CONFIG": str(config)}
    assert run_cli("status", env=env).returncode == 0
    assert run_cli("status", "--json", env=env).returncode == 0
    assert run_cli("status", "--no-record", env=env).returncode == 0
    assert run_cli("status", "--read-only", env=env).returncode == 0
    assert run_cli("status", str(tmp_path / "work" / "one"), env=env).returncode == 0

    async def look() -> tuple[int, list[str], int, dict[str, object]]:
        store = await SqlStore.open_sqlite(
            db, tenant="t1", principal="alice", provision=Provision("T1", "internal", "owner")
        )
        try:
            snaps = (await store.list_status(until=utcnow())).items
            projects = (await store.list_projects()).items
            repos = (await store.list_repos()).items
            return len(snaps), sorted(p.name for p in projects), len(repos), snaps[-1].summary
        finally:
            await store.close()

    count, names, repos, summary = asyncio.run(look())
    assert count == 2  # the two tenant runs; one with explicit paths records nothing
    assert names == ["one", "two"] and repos == 2  # registered once, from the tenant roots
    assert summary["repos"] == 2 and summary["roots"] == [str(tmp_path / "work")]


def test_a_recording_status_leaves_no_thread_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store is opened while git runs; afterwards the git workers, the import
    thread and the store's connection threads are all gone, whether the snapshot was
    recorded or the store could not be opened (then the output is whole and one
    warning line follows it)."""
    import threading

    from coditect_tui.cli import main

    make_remote_and_clone(tmp_path, "one")
    before = {t.ident for t in threading.enumerate()}
    recorded = write_config(tmp_path, [tmp_path / "work"], db=tmp_path / "good.db")
    assert main(["status", "--json", "--config", str(recorded)]) == 0
    out, err = capsys.readouterr()
    assert [r["name"] for r in json.loads(out)["repos"]] == ["one"] and err == ""
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []

    not_a_store = tmp_path / "notes.db"
    not_a_store.write_bytes(b"plain text, not SQLite\n" * 10)
    (tmp_path / "bad").mkdir()
    refused = write_config(tmp_path / "bad", [tmp_path / "work"], db=not_a_store)
    assert main(["status", "--json", "--config", str(refused)]) == 0
    out, err = capsys.readouterr()
    assert [r["name"] for r in json.loads(out)["repos"]] == ["one"]
    assert err.count("\n") == 1 and err.startswith("coditect: warning: snapshot not recorded: ")
    assert "not a SQLite database" in err
    assert not_a_store.read_bytes() == b"plain text, not SQLite\n" * 10
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []


def test_tenant_without_roots_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    result = run_cli("status", env={"CODITECT_CONFIG": str(config)})
    assert result.returncode == 2 and "workspace_roots" in result.stderr


def test_the_engine_imports_no_ui() -> None:
    code = (
        "import sys, json, importlib, pkgutil\n"
        "import coditect_tui.core.git as pkg\n"
        "for info in pkgutil.iter_modules(pkg.__path__):\n"
        "    importlib.import_module(f'coditect_tui.core.git.{info.name}')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'sqlalchemy'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []
