"""Saving the theme picked in the app: one line of the user's config, atomic, 0600,
validated first, read by the next start."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.settings import load_settings
from coditect_tui.core.theme_choice import save_theme_choice

CONFIG = """\
# my tenants
tenants:
  - name: acme   # the day job
    backend: {kind: local}
  - name: globex
    theme: coditect-dark  # Globex's colours
    backend: {kind: local}
ui:
    keymap: {}
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ui_theme_is_added_and_comments_stay(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    config.parent.mkdir()
    config.write_text(CONFIG)
    config.chmod(0o644)
    assert save_theme_choice(config, "coditect-light", "acme") == "ui.theme"
    text = config.read_text()
    assert text == CONFIG.replace("ui:\n", "ui:\n    theme: coditect-light\n")
    assert _mode(config) == 0o600
    assert load_settings(config, env={}).settings.ui.theme == "coditect-light"
    assert not [p for p in config.parent.iterdir() if p.name != "config.yaml"]  # no staged file


def test_a_tenant_that_sets_its_theme_gets_the_choice(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    config.parent.mkdir()
    config.write_text(CONFIG)
    assert save_theme_choice(config, "coditect-high-contrast", "globex") == "tenants[1].theme"
    assert config.read_text() == CONFIG.replace(
        "theme: coditect-dark  #", "theme: coditect-high-contrast  #"
    )
    settings = load_settings(config, env={}).settings
    assert settings.profile("globex").theme == "coditect-high-contrast"


def test_a_file_without_ui_and_a_json_file(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    config.parent.mkdir()
    config.write_text("tenants:\n  - name: acme\n")
    save_theme_choice(config, "coditect-light", "acme")
    assert config.read_text() == "tenants:\n  - name: acme\nui:\n  theme: coditect-light\n"
    config.write_text(json.dumps({"tenants": [{"name": "acme"}], "ui": {"theme": "x"}}))
    save_theme_choice(config, "coditect-light", "acme")
    assert load_settings(config, env={}).settings.ui.theme == "coditect-light"


def test_failures_leave_the_file_as_it_was(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    config.parent.mkdir()
    with pytest.raises(ConfigError, match="no config file"):
        save_theme_choice(config, "coditect-light", "acme")
    assert not config.exists()
    broken = "tenants:\n  - name: acme\n    nosuchkey: 1\n"
    config.write_text(broken)
    with pytest.raises(ConfigError, match=r"theme not saved: .*config.yaml:3"):
        save_theme_choice(config, "coditect-light", "acme")
    assert config.read_text() == broken
    with pytest.raises(ConfigError, match="not a theme name"):
        save_theme_choice(config, "Bad Name: x", "acme")
    assert [p.name for p in config.parent.iterdir()] == ["config.yaml"]
