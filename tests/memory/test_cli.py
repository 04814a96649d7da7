"""``coditect memory index|search|show|import-audit`` end to end, on a real store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.cli import main
from tests.conftest import REPO_ROOT
from tests.memory.conftest import copy_fixtures
from tests.memory.test_fixtures import CHECKPOINT


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace root with one project's MEMORY-CONTEXT, and a config pointing at it."""
    root = tmp_path / "ws"
    copy_fixtures(root / "proj" / "MEMORY-CONTEXT")
    config = tmp_path / "coditect.yaml"
    config.write_text(
        "default_tenant: t1\ntenants:\n  - name: t1\n    principal: alice\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 'cli.db'))}}}\n"
        f"    workspace_roots: [{json.dumps(str(root))}]\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    return root.resolve()


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
        "audit logs: 1 file(s), 132 operation(s) read, 132 new event(s) appended\n"
    )
    code, out, _ = run(capsys, "import-audit", str(workspace))
    assert code == 0 and out.endswith("0 new event(s) appended\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", '"unbalanced'), 'unbalanced quote: the " at position 1 is never closed'),
        (("search", "NEAR("), "NEAR(...) is not supported"),
        (("search", "*"), "'*' at position 1 must directly follow a word"),
        (("search", "-"), "a '-' at position 1 must be directly followed"),
        (("search", "hooks", "--limit", "0"), "--limit must be between 1 and 1000"),
        (("index", "/no/such/folder"), "/no/such/folder: no such folder"),
        (("show", "nope"), "memory entry not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == (1 if args[0] == "show" else 2) and out == ""
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
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "^[" in out
    code, out, _ = run(capsys, "show", out.split()[0])
    assert "\x1b" not in out and "^[[2J clears" in out


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
