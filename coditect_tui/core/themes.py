"""Theme files: YAML with a name, colours and an optional brand, validated without Textual.

Built-in themes ship in themes/; user themes are read from ``<XDG config>/coditect/themes/``
and may replace a built-in of the same name. A broken file never stops the app: it is
skipped with a one-line warning naming the file, line and key (coditect_tui.ui.themes
turns the valid ones into Textual themes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.paths import config_dir, shipped_themes_dir
from coditect_tui.core.yamlio import load_yaml, validate

DEFAULT_THEME = "coditect-dark"
_COLOR = re.compile(
    r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-z_]+|"
    r"(rgb|rgba|hsl|hsla)\([0-9., %]+\))$"
)


def _check_color(value: str | None) -> str | None:
    if value is not None and not _COLOR.match(value.strip()):
        raise ValueError(f"{value!r} is not a colour (#rrggbb, a name, rgb(...) or hsl(...))")
    return value


class ThemeSpec(BaseModel):
    """One theme file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    description: str = ""
    brand: str | None = Field(default=None, max_length=40)
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)

    @field_validator(
        "primary",
        "secondary",
        "accent",
        "warning",
        "error",
        "success",
        "foreground",
        "background",
        "surface",
        "panel",
    )
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        return _check_color(value)


@dataclass
class ThemeCatalog:
    """Every valid theme by name, plus a warning per file that was skipped."""

    themes: dict[str, ThemeSpec] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _read_dir(directory: Path, catalog: ThemeCatalog) -> None:
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.yaml")):
        try:
            spec = validate(load_yaml(path), ThemeSpec)
        except ConfigError as exc:
            catalog.warnings.append(f"theme skipped: {exc}")
            continue
        catalog.themes[spec.name] = spec


def load_themes(user_dir: Path | None = None) -> ThemeCatalog:
    """Built-in themes, then the user's (same name replaces the built-in)."""
    catalog = ThemeCatalog()
    _read_dir(shipped_themes_dir(), catalog)
    _read_dir(user_dir if user_dir is not None else config_dir() / "themes", catalog)
    return catalog
