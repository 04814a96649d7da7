"""core/joining.py: the files ``coditect join`` writes are whole or untouched."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coditect_tui.core import joining
from coditect_tui.core.errors import ConfigError, Conflict

EXISTING = "tenants:\n  - name: acme\n    backend: {kind: local}\n"


def _entry(name: str, token_file: Path, role: str = "viewer") -> dict[str, object]:
    backend = {"kind": "remote", "url": "http://127.0.0.1:1", "token_file": str(token_file)}
    return {"name": name, "backend": backend, "principal": "nina", "role": role}


def test_a_config_that_would_not_load_is_not_written(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(EXISTING)
    key = tmp_path / "data" / "tokens" / "beta.key"
    with pytest.raises(ConfigError):
        joining.write_joined(
            config, _entry("beta", key, "superuser"), "cdt_usr_x", key, force=False
        )
    assert config.read_text() == EXISTING
    assert not key.exists()  # the key written first is taken back
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_added_beside_the_others_and_never_over_one(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(EXISTING)
    key = tmp_path / "data" / "tokens" / "acme.key"
    with pytest.raises(Conflict, match="already exists"):
        joining.write_joined(config, _entry("acme", key), "cdt_usr_x", key, force=False)
    with pytest.raises(Conflict):
        joining.check_free(config, "acme", force=False)
    assert config.read_text() == EXISTING and not key.exists()
    assert joining.free_name(config, "acme", "Nina Q") == "acme-nina-q"
    joining.write_joined(config, _entry("acme", key), "cdt_usr_x", key, force=True)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.read_text() == "cdt_usr_x\n"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "kind: remote" in config.read_text() and "kind: local" not in config.read_text()
