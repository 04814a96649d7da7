"""Where things live: XDG directories (platformdirs) and the shipped config/ and themes/."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "coditect"


def config_dir() -> Path:
    """The user's config directory (``$XDG_CONFIG_HOME/coditect`` on Linux)."""
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The user's data directory (``$XDG_DATA_HOME/coditect`` on Linux)."""
    return user_data_path(APP_NAME, appauthor=False)


def user_config_file() -> Path:
    """The user config file: ``$CODITECT_CONFIG`` if set, else ``<config dir>/config.yaml``."""
    override = os.environ.get("CODITECT_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.yaml"


def default_store_path() -> Path:
    """The embedded default store: one SQLite file in the data directory."""
    return data_dir() / "coditect.db"


def _shipped_root() -> Path:
    package = Path(__file__).resolve().parent.parent
    installed = package / "_shipped"
    if installed.is_dir():
        return installed
    return package.parent  # a source checkout or an editable install


def shipped_config_dir() -> Path:
    """The shipped defaults (roles.yaml, tiers.yaml, the example config)."""
    return _shipped_root() / "config"


def shipped_themes_dir() -> Path:
    """The built-in themes (*.yaml)."""
    return _shipped_root() / "themes"
