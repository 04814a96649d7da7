"""``coditect audit checkpoint`` never makes a signing key unasked: a lost key is reported
(with the older checkpoints that need it), not silently replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coditect_tui.cli import main
from tests.git.helpers import run_cli


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local profile (set through CODITECT_CONFIG) on a store in tmp; returns the key path."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "tenants:\n  - name: acme\n    principal: olivia\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 'store.db'))}}}\n"
    )
    monkeypatch.setenv("CODITECT_CONFIG", str(config))
    return tmp_path / "home/config/coditect/audit-signing.key"


def _write_key(path: Path) -> None:
    """An Ed25519 signing key made by the test (0600), as an earlier run would have left it."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_key_is_refused_not_replaced(
    tmp_path: Path, profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_key(profile)
    older = tmp_path / "checkpoints" / "first.json"
    assert _cli(capsys, "audit", "checkpoint", "--out", str(older))[0] == 0
    old_id = json.loads(older.read_text())["payload"]["key_id"]
    moved = profile.with_name("elsewhere.key")
    profile.rename(moved)  # the key is lost (another machine, a wiped config dir)

    second = tmp_path / "checkpoints" / "second.json"
    result = run_cli("audit", "checkpoint", "--out", str(second))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"coditect: error: {profile}: no audit signing key; ")
    assert "pass --new-key" in result.stderr
    assert f"1 older checkpoint (e.g. {older}, signed with key {old_id})" in result.stderr
    assert not profile.exists() and not second.exists()

    # the genuine older checkpoint is not reported as forged: it still verifies with its key
    moved.rename(profile)
    code, out, _ = _cli(capsys, "audit", "verify", "--checkpoint", str(older))
    assert code == 0 and out.startswith("ok:"), out


def test_new_key_never_replaces_a_key_and_warns_about_older_checkpoints(
    tmp_path: Path, profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = tmp_path / "first.json"
    code, _, err = _cli(capsys, "audit", "checkpoint", "--new-key", "--out", str(older))
    assert code == 0 and older.exists() and profile.stat().st_mode & 0o777 == 0o600
    assert "created signing key" in err
    original = profile.read_bytes()
    code, out, err = _cli(capsys, "audit", "checkpoint", "--new-key", "--out", str(older))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "a signing key already exists and is never replaced" in err
    assert profile.read_bytes() == original

    # without the flag the existing key signs, and no key is made
    second = tmp_path / "second.json"
    assert _cli(capsys, "audit", "checkpoint", "--out", str(second))[0] == 0
    assert profile.read_bytes() == original

    profile.unlink()
    third = tmp_path / "third.json"
    code, out, err = _cli(capsys, "audit", "checkpoint", "--new-key", "--out", str(third))
    assert code == 0 and third.exists() and profile.read_bytes() != original
    assert "coditect: warning: 2 older checkpoints" in err
    assert "verify only with the key that signed them, not with the new key" in err
