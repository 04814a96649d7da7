"""``coditect memory index|search|show|import-audit`` end to end, on a real store."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.cli import main
from tests.conftest import REPO_ROOT
from tests.memory.conftest import copy_fixtures, open_store
from tests.memory.test_fixtures import CHECKPOINT
from tests.support.hostile_text import HOSTILE, raw_controls, run_cli


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace root with one repo's MEMORY-CONTEXT, and a config pointing at it."""
    root = tmp_path / "ws"
    copy_fixtures(root / "proj" / "MEMORY-CONTEXT")
    (root / "proj" / ".git").mkdir()  # the top of a repository: its MEMORY-CONTEXT counts
    configure(tmp_path, monkeypatch, f"workspace_roots: [{json.dumps(str(root))}]")
    return root.resolve()


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: str) -> None:
    """A config of tenant t1 on a store in ``tmp_path`` with ``folders`` (a YAML line)."""
    config = tmp_path / "coditect.yaml"
    config.write_text(
        "default_tenant: t1\ntenants:\n  - name: t1\n    principal: alice\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 'cli.db'))}}}\n"
        f"    {folders}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["memory", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_index_search_show_end_to_end(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "index")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == str(workspace / "proj" / "MEMORY-CONTEXT")
    assert "9 added" in out
    code, out, _ = run(capsys, "index", "--json", str(workspace))
    report = json.loads(out)
    assert (code, report["added"], report["unchanged"]) == (0, [], 9)
    code, out, _ = run(capsys, "search", "hooks checkpoint", "--json")
    hits = json.loads(out)
    assert code == 0 and {h["kind"] for h in hits} == {"checkpoint", "session", "session-template"}
    assert all("\u0002" in h["snippet"] for h in hits)
    code, out, _ = run(capsys, "search", "hooks", "--kind", "checkpoint")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and " checkpoint " in lines[0]
    assert lines[1].strip() == str(workspace / "proj" / "MEMORY-CONTEXT" / CHECKPOINT)
    assert "[Hooks]" in lines[2] and "\x02" not in out
    entry_id = lines[0].split()[0]
    code, out, _ = run(capsys, "show", entry_id)
    assert code == 0 and out.startswith(f"id:        {entry_id}\nkind:      checkpoint\n")
    assert "# CODITECT Checkpoint: Phase 0.5 Hooks" in out
    code, out, _ = run(capsys, "show", entry_id, "--json")
    assert json.loads(out)["body"].startswith("# CODITECT Checkpoint")
    code, out, err = run(capsys, "search", "nothingmatchesthis")
    assert (code, out, err) == (0, "", "no matches\n")


def test_import_audit_twice(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "import-audit")
    assert code == 0 and out == (
        "audit logs: 1 file, 132 operations read, 132 new events appended\n"
    )
    code, out, _ = run(capsys, "import-audit", str(workspace))
    assert code == 0 and out.endswith("0 new events appended\n")


def test_import_audit_takes_the_audit_logs_folder(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = workspace / "proj" / "MEMORY-CONTEXT" / "audit-logs"
    code, out, err = run(capsys, "import-audit", str(logs))
    assert (code, err) == (0, "")
    assert out == "audit logs: 1 file, 132 operations read, 132 new events appended\n"
    # the same events as through the MEMORY-CONTEXT folder: nothing new
    code, out, _ = run(capsys, "import-audit", str(logs.parent))
    assert code == 0 and out.endswith(" 0 new events appended\n")
    code, _, err = run(capsys, "import-audit", str(workspace / "proj" / "docs"))
    assert code == 2 and err.count("\n") == 1 and "no such folder" in err


def test_documentation_folders_are_not_indexed(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder in ("docs/memory-context", "docs/MEMORY-CONTEXT"):
        doc = workspace / "proj" / folder / "checkpoints" / "2025-11-02-About-memory.md"
        doc.parent.mkdir(parents=True)
        doc.write_text("# About the memory folders\n\nzanzibarian layout notes\n")
    code, out, _ = run(capsys, "index")
    assert code == 0 and out.splitlines()[0] == str(workspace / "proj" / "MEMORY-CONTEXT")
    assert "9 added" in out and "docs" not in out
    assert run(capsys, "search", "zanzibarian") == (0, "", "no matches\n")


def test_memory_folders_of_the_config_are_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = copy_fixtures(tmp_path / "kept" / "coditect-memory")  # any name, no repository
    configure(tmp_path, monkeypatch, f"memory_folders: [{json.dumps(str(kept))}]")
    code, out, _ = run(capsys, "index")
    assert code == 0 and out.splitlines()[0] == str(kept.resolve()) and "9 added" in out
    code, out, _ = run(capsys, "import-audit")
    assert code == 0 and out.endswith(" 132 new events appended\n")


def test_show_flags_a_name_and_body_that_disagree(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "index")[0] == 0
    code, out, _ = run(capsys, "search", "test directory consolidation", "--kind", "export-json")
    first = out.splitlines()[0]
    assert code == 0 and "2025-11-16T09-50-22Z !" in first
    code, out, _ = run(capsys, "show", first.split()[0])
    assert code == 0
    assert "time:      2025-11-16T13:17:06Z (UTC, see the note)\n" in out
    assert "flag:      name and body disagree on the time\n" in out
    assert "note:      name and body disagree: the name's 2025-11-16T09-50-22Z" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", '"unbalanced'), 'unbalanced quote: the " at position 1 is never closed'),
        (("search", "NEAR("), "NEAR(...) is not supported"),
        (("search", "*"), "'*' at position 1 must directly follow a word"),
        (("search", "-"), "a '-' at position 1 must be directly followed"),
        (("search", "hooks", "--limit", "0"), "--limit must be between 1 and 1000"),
        (("index", "/no/such/folder"), "/no/such/folder: no such folder"),
        (("show", "nope"), "no memory entry has an id starting with 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith(f"coditect: error: {message}") and err.count("\n") == 1
    assert "Traceback" not in err


def test_read_only_index_is_refused(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import-audit")[0] == 0  # creates the store
    code, _out, err = run(capsys, "index", "--read-only")
    assert code == 1 and err.startswith("coditect: error: read-only:")


def test_untrusted_text_is_made_safe(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = workspace / "proj" / "MEMORY-CONTEXT" / "notes" / "2025-11-23T10-00-00Z-evil.md"
    evil.parent.mkdir()
    evil.write_text("# Note: \x1b]52;c;aGk=\x07 title\n\nbody \x1b[2J clears\n")
    assert run(capsys, "index")[0] == 0
    code, out, _ = run(capsys, "search", "clears")
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "\\u001b]52" in out
    code, out, _ = run(capsys, "show", out.split()[0])
    assert "\x1b" not in out and "\\u001b[2J clears" in out


def test_hostile_memory_file_through_the_real_cli(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """search and show --json in a real subprocess (their text forms in-process): no raw
    control byte in stdout or stderr, and the JSON still reads back the file's exact text."""
    evil = workspace / "proj" / "MEMORY-CONTEXT" / "notes" / "2025-11-23T10-00-00Z-evil.md"
    evil.parent.mkdir()
    title = "".join(ch for ch in HOSTILE if ch not in "\r\n\x85\u2028")  # one line
    evil.write_text(f"# {title}\n\nzebrafish {HOSTILE}\n", encoding="utf-8")
    assert run(capsys, "index")[0] == 0
    found = run_cli("memory", "search", "zebrafish", "--json", cwd=REPO_ROOT)
    hits = json.loads(found.stdout)
    assert found.returncode == 0 and len(hits) == 1
    assert raw_controls(found.stdout) == [] and raw_controls(found.stderr) == []
    assert hits[0]["title"] == title  # the data is kept (escaped in the JSON text)
    entry_id = hits[0]["id"]
    shown = run_cli("memory", "show", entry_id, "--json", cwd=REPO_ROOT)
    assert shown.returncode == 0 and HOSTILE in json.loads(shown.stdout)["body"]
    listed = run(capsys, "search", "zebrafish")[1]
    assert "\\u009b31m" in listed
    for out in (shown.stdout, shown.stderr, listed, run(capsys, "show", entry_id)[1]):
        assert raw_controls(out.replace("\n", "")) == []


def test_memory_commands_do_not_load_textual(workspace: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from coditect_tui.cli import main; "
        f"rc = main(['memory', 'index', {str(workspace)!r}]); "
        "rc |= main(['memory', 'search', 'hooks', '--json']); "
        "print('textual' in sys.modules, rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip().splitlines()[-1] == "False 0"


def test_hostile_audit_rows_export_safely_through_the_real_cli(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Audit rows imported from a hostile audit log, exported as JSON Lines and CSV by a real
    subprocess: no raw control byte reaches stdout or stderr, and both read back exactly."""
    logs = workspace / "proj" / "MEMORY-CONTEXT" / "audit-logs"
    operation = {
        "timestamp": "2025-11-22T08:28:11+00:00",
        "repo": HOSTILE,
        "operation": "detect",
        "status": "info",
        "details": HOSTILE,
    }
    log = {
        "timestamp": "2025-11-22T08-28-11Z",
        "sprint_description": HOSTILE,
        "operations": [operation],
    }
    (logs / "2025-11-22T08-28-11Z-\u202eevil\x9b.json").write_text(
        json.dumps(log), encoding="utf-8"
    )
    assert run(capsys, "import-audit")[0] == 0
    jsonl = run_cli("audit", "export", "--format", "jsonl", "--text", "detect", cwd=REPO_ROOT)
    table = run_cli("audit", "export", "--format", "csv", "--text", "detect", cwd=REPO_ROOT)
    for done in (jsonl, table):
        assert done.returncode == 0, done.stderr
        assert raw_controls(done.stdout.replace("\n", "")) == [] and raw_controls(done.stderr) == []
    events = [json.loads(line) for line in jsonl.stdout.splitlines()]
    hostile = [e for e in events if e["resource_id"] == HOSTILE]
    assert len(hostile) == 1 and hostile[0]["details"]["details"] == HOSTILE
    assert hostile[0]["source"].endswith("\u202eevil\x9b.json")
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    decoded = [r for r in rows if _json_string(r["resource_id"]) == HOSTILE]
    assert len(decoded) == 1 and json.loads(decoded[0]["details"])["details"] == HOSTILE
    assert decoded[0]["hash"] == hostile[0]["hash"]


def _json_string(cell: str) -> str:
    """A ``safe_text`` cell read back (it reads as the inside of a JSON string)."""
    return str(json.loads('"' + cell.replace('"', '\\"') + '"'))


def _entry_ids(capsys: pytest.CaptureFixture[str], workspace: Path, extra: int) -> list[str]:
    """Index the samples plus ``extra`` session notes; every entry id (read from the store)."""
    sessions = workspace / "proj" / "MEMORY-CONTEXT" / "sessions"
    for i in range(extra):
        (sessions / f"2025-12-{i + 1:02d}-note-{i}.md").write_text(f"# Note {i}\n\nbody {i}\n")
    code, out, _ = run(capsys, "index")
    assert code == 0, out

    async def ids() -> list[str]:
        store = await open_store(workspace.parent / "cli.db")
        try:
            return [e.id for e in (await store.list_memory_entries(limit=1000)).items]
        finally:
            await store.close()

    return asyncio.run(ids())


def test_show_takes_a_unique_id_prefix(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _entry_ids(capsys, workspace, extra=8)
    assert len(ids) == 17  # 17 ids over 16 hex digits: some first digit is shared
    unique = next(
        i[:n] for i in ids for n in range(1, 33) if sum(j.startswith(i[:n]) for j in ids) == 1
    )
    whole = next(i for i in ids if i.startswith(unique))
    code, out, err = run(capsys, "show", unique)
    assert (code, err) == (0, "") and out.startswith(f"id:        {whole}\n")
    code, out, _ = run(capsys, "show", unique, "--json")
    assert json.loads(out)["id"] == whole
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) >= 2)
    count = sum(i.startswith(shared) for i in ids)
    code, out, err = run(capsys, "show", shared, "--json")
    assert (code, out) == (2, "")
    assert err == (
        f"coditect: error: {count} memory entries have an id starting with '{shared}'; "
        "give more of the id\n"
    )
    code, out, err = run(capsys, "show", "nosuchid")
    assert (code, out) == (2, "")
    assert err == "coditect: error: no memory entry has an id starting with 'nosuchid'\n"


def test_search_takes_several_words_without_quotes(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "index")[0] == 0
    code, quoted, _ = run(capsys, "search", "--json", "hooks checkpoint")
    assert code == 0 and json.loads(quoted)
    code, words, err = run(capsys, "search", "--json", "hooks", "checkpoint")
    assert (code, err, words) == (0, "", quoted)
    code, out, _ = run(capsys, "search", "phase", "hooks", "--kind", "checkpoint")
    assert code == 0 and " checkpoint " in out.splitlines()[0]
    code, quoted, _ = run(capsys, "search", "--json", "hooks -placeholder")
    code, words, _ = run(capsys, "search", "--json", "--", "hooks", "-placeholder")
    titles = [h["title"] for h in json.loads(words)]
    assert code == 0 and words == quoted and titles
    assert not any("placeholder" in t for t in titles)


def test_search_prints_the_true_count_and_identical_copies(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    memory = workspace / "proj" / "MEMORY-CONTEXT"
    copy = memory / "backup" / Path(CHECKPOINT).name
    copy.parent.mkdir()
    copy.write_bytes((memory / CHECKPOINT).read_bytes())
    assert run(capsys, "index")[0] == 0
    code, out, err = run(capsys, "search", "hooks", "--json", "--limit", "1000")
    every = json.loads(out)
    assert code == 0 and len(every) >= 3
    merged = [h for h in every if h["duplicate_count"]]
    assert len(merged) == 1  # one hit for both files, naming the other
    assert {merged[0]["path"], *merged[0]["duplicates"]} == {str(copy), str(memory / CHECKPOINT)}
    code, out, err = run(capsys, "search", "hooks")
    assert code == 0 and err == f"{len(every)} hits\n"
    assert out.count("also in 1 file (identical): ") == 1
    code, out, err = run(capsys, "search", "hooks", "--limit", "1")
    assert code == 0 and err == f"1 of {len(every)} hits\n"
