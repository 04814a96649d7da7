"""Tampering with the audit chain in the file is reported at the right row."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.models import VerifyReport
from tests.store.helpers import drop_audit_triggers, make_store, open_store, raw, rehash_from

K = 7


def verify(path: Path, checkpoint: tuple[int, str] | None = None) -> VerifyReport:
    async def run() -> VerifyReport:
        store = await open_store(path)
        try:
            return await store.verify_audit(checkpoint=checkpoint)
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "store.db"
    return path, make_store(path, 20)


def test_intact_chain_verifies(chain: tuple[Path, int]) -> None:
    path, head = chain
    report = verify(path)
    assert (report.ok, report.rows) == (True, head)


def test_triggers_block_update_and_delete(chain: tuple[Path, int]) -> None:
    path, _ = chain
    conn = raw(path)
    for statement in (
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_heads",
        "UPDATE audit_heads SET seq = 1",
        "UPDATE audit_heads SET hash = 'f'",  # in place, at the same seq
        "UPDATE audit_heads SET seq = seq + 1",  # onto no event
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    conn.close()
    assert verify(path).ok


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("UPDATE audit_events SET actor = 'mallory' WHERE seq = {k}", "edit"),
        ('UPDATE audit_events SET details = \'{{"name":"forged"}}\' WHERE seq = {k}', "edit"),
        ("DELETE FROM audit_events WHERE seq = {k}", "gap"),
        (
            "UPDATE audit_events SET seq = -1 WHERE seq = {k};"
            "UPDATE audit_events SET seq = {k} WHERE seq = {k} + 1;"
            "UPDATE audit_events SET seq = {k} + 1 WHERE seq = -1",
            "reorder",
        ),
        ("DELETE FROM audit_events WHERE seq >= {k}", "truncation"),
    ],
)
def test_tampering_is_reported_at_row_k(chain: tuple[Path, int], attack: str, reason: str) -> None:
    path, _ = chain
    conn = raw(path)
    drop_audit_triggers(conn)
    conn.executescript(attack.format(k=K))
    conn.close()
    report = verify(path)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, K, reason)


def test_tampered_head_hash_is_reported_as_the_head(chain: tuple[Path, int]) -> None:
    path, head = chain
    conn = raw(path)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_heads SET hash = ?", ("f" * 64,))
    conn.close()
    report = verify(path)
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "head", head)
    assert "head tampered" in report.detail


def test_head_behind_the_chain_is_reported_as_the_head(chain: tuple[Path, int]) -> None:
    path, head = chain
    conn = raw(path)
    drop_audit_triggers(conn)
    row = conn.execute("SELECT seq, hash FROM audit_events WHERE seq = ?", (K,)).fetchone()
    conn.execute("UPDATE audit_heads SET seq = ?, hash = ?", row)
    conn.close()
    report = verify(path)
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "head", K)
    assert f"goes on to {head}" in report.detail


def test_cli_names_the_tampered_head(
    chain: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, head = chain
    config = tmp_path / "config.yaml"
    config.write_text(
        "tenants:\n  - name: acme\n    principal: olivia\n"
        f"    backend: {{kind: local, path: {path}}}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    conn = raw(path)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_heads SET hash = ?", ("e" * 64,))
    conn.close()
    done = subprocess.run(
        [sys.executable, "-m", "coditect_tui", "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith(f"TAMPERED: first bad seq {head} (head): ")
    assert "Traceback" not in done.stderr


def test_rehashed_chain_passes_without_checkpoint_and_fails_with_one(
    chain: tuple[Path, int],
) -> None:
    path, head = chain
    conn = raw(path)
    certified = conn.execute(
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = ?", (K,))
    rehash_from(conn, K)
    conn.close()
    assert verify(path).ok, "a full re-hash is invisible without a checkpoint"
    report = verify(path, checkpoint=certified)
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "checkpoint_mismatch", head)


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_cli_checkpoint_and_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"tenants:\n  - name: acme\n    principal: olivia\n"
        f"    backend: {{kind: local, path: {db}}}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    code, out = _cli("audit", "verify", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["ok"] is True
    checkpoint = tmp_path / "cp.json"
    code, out = _cli("audit", "checkpoint", "--new-key", "--out", str(checkpoint), capsys=capsys)
    assert code == 0 and checkpoint.exists()
    key = Path(tmp_path / "home/config/coditect/audit-signing.key")
    assert key.stat().st_mode & 0o777 == 0o600
    code, out = _cli("audit", "verify", "--checkpoint", str(checkpoint), capsys=capsys)
    assert code == 0 and out.startswith("ok:")
    # an attacker re-hashes the whole chain from row 2
    conn = raw(db)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    rehash_from(conn, 2)
    conn.close()
    code, out = _cli("audit", "verify", capsys=capsys)
    assert code == 0
    code, out = _cli("audit", "verify", "--checkpoint", str(checkpoint), "--json", capsys=capsys)
    verdict = json.loads(out)
    assert code == 2 and verdict["reason"] == "checkpoint_mismatch"
    # a forged checkpoint (edited to match the tampered chain) does not verify
    data = json.loads(checkpoint.read_text())
    data["payload"]["hash"] = (
        sqlite3.connect(db)
        .execute("SELECT hash FROM audit_events WHERE seq = ?", (data["payload"]["seq"],))
        .fetchone()[0]
    )
    checkpoint.write_text(json.dumps(data))
    code, out = _cli("audit", "verify", "--checkpoint", str(checkpoint), capsys=capsys)
    assert code == 2 and "checkpoint_mismatch" in out and "forged" in out


def test_cli_verify_reports_first_bad_seq(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.db"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"tenants:\n  - name: acme\n    principal: olivia\n"
        f"    backend: {{kind: local, path: {db}}}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    assert main(["audit", "export", "--format", "csv"]) == 0
    capsys.readouterr()
    conn = raw(db)
    drop_audit_triggers(conn)
    conn.execute("DELETE FROM audit_events WHERE seq = 2")
    conn.close()
    code, out = _cli("audit", "verify", capsys=capsys)
    assert code == 2 and out.startswith("TAMPERED: first bad seq 2 (gap)")
