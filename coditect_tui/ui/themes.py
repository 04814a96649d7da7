"""Theme files (coditect_tui.core.themes) turned into Textual themes and registered."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

from coditect_tui.core.themes import DEFAULT_THEME, ThemeCatalog, ThemeSpec, load_themes


def to_textual(spec: ThemeSpec) -> Theme:
    """A Textual ``Theme`` from a validated theme file."""
    colours = spec.model_dump(include={"primary", "secondary", "accent", "warning", "error",
                                       "success", "foreground", "background", "surface",
                                       "panel"}, exclude_none=True)
    return Theme(name=spec.name, dark=spec.dark, variables=dict(spec.variables), **colours)


class ThemeRegistry:
    """The app's themes: what loaded, what was skipped, and each theme's brand text."""

    def __init__(self, catalog: ThemeCatalog | None = None) -> None:
        self.catalog = catalog or load_themes()
        self.warnings = list(self.catalog.warnings)

    def register(self, app: App[object]) -> None:
        """Register every valid theme with ``app``; a theme Textual rejects is skipped."""
        for spec in self.catalog.themes.values():
            try:
                app.register_theme(to_textual(spec))
            except Exception as exc:  # a bad colour must not stop the app
                self.warnings.append(f"theme skipped: {spec.name}: {exc}")

    def resolve(self, app: App[object], wanted: str | None) -> str:
        """The theme to use for ``wanted`` (falls back to the default, with a warning)."""
        if wanted is None:
            return DEFAULT_THEME
        if wanted in app.available_themes:
            return wanted
        self.warnings.append(f"unknown theme {wanted!r}; using {DEFAULT_THEME!r}")
        return DEFAULT_THEME

    def brand(self, name: str) -> str | None:
        """The brand text a theme sets for the header, if any."""
        spec = self.catalog.themes.get(name)
        return spec.brand if spec else None
