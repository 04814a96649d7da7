"""Bad input ends in one line naming file, line and key, exit code 2, nothing overwritten."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from coditect_tui.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tenants: [\n  {name: a\n", "config.yaml:3: YAML syntax error"),
        (
            "tenants:\n  - name: acme\n    rolee: owner\n",
            "config.yaml:3: unknown key 'rolee' (did you mean 'role'?)",
        ),
        (
            "tenants:\n  - name: acme\n    workspace_root: [/x]\n",
            "config.yaml:3: unknown key 'workspace_root' (did you mean 'workspace_roots'?)",
        ),
        (
            "tenants:\n  - name: acme\n    role: ownr\n",
            "config.yaml:3: tenants.0.role: Value error, unknown role 'ownr' "
            "(did you mean 'owner'?)",
        ),
        (
            "tenants:\n  - name: acme\n    tier: enterprise\n",
            "config.yaml:3: tenants.0.tier: Value error, unknown tier 'enterprise'",
        ),
        (
            "tenants:\n  - name: acme\n    workspace_roots: 5\n",
            "config.yaml:3: tenants.0.workspace_roots: Input should be a valid list",
        ),
        (
            "tenants:\n  - name: Acme Corp\n",
            "config.yaml:2: tenants.0.name: Value error, use lowercase",
        ),
        ("tenants:\n  - name: a\n    backend: {kind: cloud}\n", "config.yaml:3: tenants.0.backend"),
        ("tenants:\n  - name: a\n  - name: a\n", "tenant 'a' is listed twice"),
        ("default_tenant: b\ntenants:\n  - name: a\n", "unknown default_tenant 'b'"),
        (
            "tenants:\n  - name: a\n    role: owner\n    role: viewer\n",
            "config.yaml:4: duplicate key 'tenants.0.role'",
        ),
        (
            "ui:\n  theme: 3\n  keymapp: {}\ntenants:\n  - name: a\n",
            "config.yaml:2: ui.theme: Input should be a valid string",
        ),
        ("tenants: []\n", "config.yaml:1: no tenants listed"),
        ("- just\n- a list\n", "config.yaml:1: (top level): Input should be a valid dictionary"),
    ],
)
def test_invalid_config_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(text)
    code, out, err = run_cli(["--config", str(config), "tenants"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert expected in err, err
    assert err.startswith(f"coditect: error: {config}")


def test_config_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(b"tenants:\n  - name: \xff\n")
    code, _, err = run_cli(["tenants", "--config", str(config)], capsys)
    assert code == 2 and "not UTF-8" in err


def test_env_config_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODITECT_CONFIG", str(tmp_path / "nope.yaml"))
    code, _, err = run_cli(["tenants"], capsys)
    assert code == 2 and err.strip().endswith("nope.yaml: file not found")


def test_unknown_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["audit", "verify", "--tenant", "persnal"], capsys)
    assert code == 2 and "unknown tenant 'persnal' (did you mean 'personal'?)" in err


def _config_for(tmp_path: Path, db: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"tenants:\n  - name: acme\n    backend: {{kind: local, path: '{db}'}}\n")
    return config


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_that_is_not_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n")
    before = _digest(db)
    code, _, err = run_cli(["--config", str(_config_for(tmp_path, db)), "audit", "verify"], capsys)
    assert code == 2 and "not a SQLite database" in err and err.count("\n") == 1
    assert _digest(db) == before


def test_foreign_sqlite_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    before = _digest(db)
    code, _, err = run_cli(["--config", str(_config_for(tmp_path, db)), "audit", "verify"], capsys)
    assert code == 2 and "not a CODITECT store" in err
    assert _digest(db) == before


def test_database_from_a_newer_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    config = _config_for(tmp_path, db)
    assert run_cli(["--config", str(config), "audit", "verify"], capsys)[0] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = _digest(db)
    code, _, err = run_cli(["--config", str(config), "audit", "verify"], capsys)
    assert code == 2 and "newer than this coditect knows" in err and err.count("\n") == 1
    assert _digest(db) == before
    assert not list(tmp_path.glob("store.db.bak-*"))


def test_read_only_on_missing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "absent.db"
    code, _, err = run_cli(
        ["--config", str(_config_for(tmp_path, db)), "--read-only", "audit", "verify"], capsys
    )
    assert code == 2 and "read-only mode creates none" in err
    assert not db.exists()


def test_bad_export_window(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["audit", "export", "--since", "2026-02-01", "--until", "2026-01-01"], capsys
    )
    assert code == 2 and "--since must be before --until" in err


def test_unwritable_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    db = blocker / "sub" / "store.db"
    code, _, err = run_cli(["--config", str(_config_for(tmp_path, db)), "audit", "verify"], capsys)
    assert code == 2 and "cannot create" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [["audit", "export", "--since", "garbage"], ["nonsense"], ["status", "--jobs", "x"], ["audit"]],
)
def test_usage_errors_are_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "--help" in err
