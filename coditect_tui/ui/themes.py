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


def load_catalog(app: App[object], specs: dict[str, dict[str, Any]]) -> None:
    """Register every theme file's theme (the start registers only its own, to paint fast).

    Args:
        app: the app.
        specs: the theme specs registered so far (updated in place, by name).
    """
    from coditect_tui.core.themes import load_themes

    if len(specs) <= 1:  # every theme, validated on first use
        specs.update({n: t.model_dump() for n, t in load_themes().themes.items()})
        register_catalog(app, specs)


def choose_theme(
    app: App[object], specs: dict[str, dict[str, Any]], wanted: str
) -> tuple[str, str | None]:
    """Make ``wanted`` the app's theme (the whole catalog is registered on first use).

    Args:
        app: the app whose theme changes.
        specs: the theme specs registered so far (updated in place).
        wanted: the theme asked for (``--theme``, the tenant's, the config's).

    Returns:
        The theme now in use, and a warning when ``wanted`` is unknown (else None).
    """
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.themes import DEFAULT_THEME

    load_catalog(app, specs)
    theme = wanted if wanted in app.available_themes else DEFAULT_THEME
    app.theme = theme
    if theme == wanted:
        return theme, None
    return theme, f"unknown theme {safe_text(wanted)!r}; using {DEFAULT_THEME!r}"
