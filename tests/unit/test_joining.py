"""core/joining.py: the files ``coditect join`` writes are whole or untouched."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from coditect_tui.core import joining
from coditect_tui.core.errors import ConfigError, Conflict
from coditect_tui.core.settings import load_settings

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


COMMENTED = """\
# my workspace: do not lose these notes
default_tenant: acme  # the one I open
tenants:
  # the client I work for on Mondays
  - name: acme
    backend: {kind: local}
    workspace_roots: [~/src/acme]  # where acme lives

  - name: beta  # replaced by --force below
    backend: {kind: local}
ui:
  theme: coditect-dark  # trailing note
"""


def test_the_users_comments_and_layout_are_kept(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(COMMENTED)
    key = tmp_path / "data" / "tokens" / "gamma.key"
    joining.write_joined(config, _entry("gamma", key), "cdt_usr_x", key, force=False)
    text = config.read_text()
    assert text.startswith(COMMENTED.split("ui:")[0])  # every line before the end untouched
    assert text.endswith("ui:\n  theme: coditect-dark  # trailing note\n")
    assert "  - name: gamma\n    backend:\n      kind: remote\n" in text
    joining.write_joined(config, _entry("beta", key), "cdt_usr_x", key, force=True)
    text = config.read_text()
    assert "replaced by --force" not in text and text.count("name: beta") == 1
    for note in ("do not lose these notes", "the one I open", "on Mondays", "where acme"):
        assert note in text
    loaded = yaml.safe_load(text)
    assert [t["name"] for t in loaded["tenants"]] == ["acme", "gamma", "beta"]


def test_a_flow_style_list_is_rewritten_whole(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("# note\ntenants: [{name: acme, backend: {kind: local}}]\n")
    key = tmp_path / "data" / "tokens" / "gamma.key"
    joining.write_joined(config, _entry("gamma", key), "cdt_usr_x", key, force=False)
    loaded = yaml.safe_load(config.read_text())
    assert [t["name"] for t in loaded["tenants"]] == ["acme", "gamma"]


def test_a_first_join_keeps_the_tenant_a_first_run_opens(tmp_path: Path) -> None:
    config = tmp_path / "config" / "config.yaml"
    key = tmp_path / "data" / "tokens" / "gamma.key"
    joining.write_joined(config, _entry("gamma", key), "cdt_usr_x", key, force=False)
    settings = load_settings(config, env={}).settings
    assert [t.name for t in settings.tenants] == ["personal", "gamma"]
    assert settings.profile().name == "personal"  # what opened before still opens
    assert settings.profile().backend.kind == "local"
