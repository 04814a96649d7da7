"""Theme files (coditect_tui.core.themes) turned into Textual themes and registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.theme import Theme

_COLOURS = (
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


def theme_from_spec(spec: Mapping[str, Any]) -> Theme:
    """A Textual ``Theme`` from a validated theme's fields (a plain mapping: the first
    paint builds its theme from the boot cache without importing the validators)."""
    colours = {k: spec[k] for k in _COLOURS if spec.get(k) is not None}
    return Theme(
        name=spec["name"],
        dark=bool(spec.get("dark", True)),
        variables=dict(spec.get("variables") or {}),
        **colours,
    )


def register_catalog(app: App[object], specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Register every theme; returns a warning per theme Textual itself rejects."""
    warnings = []
    for name, spec in specs.items():
        if name in app.available_themes:
            continue
        try:
            app.register_theme(theme_from_spec(spec))
        except Exception as exc:  # a bad colour must not stop the app
            warnings.append(f"theme skipped: {name}: {exc}")
    return warnings
