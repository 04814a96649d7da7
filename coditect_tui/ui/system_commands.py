"""The app's share of Textual's system commands: theme picker, screenshot, the ctrl+c hint.

Textual's own versions list its built-in themes beside the project's, forget the choice,
save screenshots only into ``~/Downloads`` (missing over SSH, so the save fails) and show
their notifications as markup, which this app's ``notify`` prints as raw text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.command import CommandPalette

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.palette import EntriesProvider, Entry

if TYPE_CHECKING:
    from textual.screen import Screen

    from coditect_tui.ui.startup import PaintFirstApp


class ProjectThemes(EntriesProvider):
    """The project's themes (themes/ and the user's), never Textual's built-in ones."""

    async def startup(self) -> None:
        from coditect_tui.ui.themes import load_catalog

        app: PaintFirstApp = self.app  # type: ignore[assignment]
        load_catalog(app, app.theme_specs)  # type: ignore[arg-type]

    def _themes(self) -> list[tuple[str, str]]:
        app: PaintFirstApp = self.app  # type: ignore[assignment]
        specs = app.theme_specs
        return [
            (name, str(specs[name].get("description") or ""))
            for name in sorted(specs)
            if name in app.available_themes
        ]

    def entries(self) -> list[Entry]:
        app: SystemCommandsMixin = self.app  # type: ignore[assignment]
        return [(n, partial(app.pick_theme, n), d or None) for n, d in self._themes()]


class SystemCommandsMixin(App[None]):
    """Theme, Screenshot and ctrl+c, for :class:`~coditect_tui.ui.app.CoditectApp`."""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands, with the theme picker and the screenshot replaced."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                yield SystemCommand(
                    "Screenshot",
                    "Save an SVG screenshot (Downloads, else the app's state folder)",
                    self.save_screenshot_file,
                )
            elif command.title == "Theme":
                yield SystemCommand(
                    "Theme", "Pick a theme (saved for the next start)", self.action_change_theme
                )
            else:
                yield command

    def action_change_theme(self) -> None:
        """Pick one of the project's themes (every one, at once)."""
        self.push_screen(CommandPalette(providers=[ProjectThemes], placeholder="Theme…"))

    def pick_theme(self, name: str) -> None:
        """Use theme ``name`` now and save it for the next start."""
        from coditect_tui.core.theme_choice import save_theme_choice

        app: PaintFirstApp = self  # type: ignore[assignment]
        self.theme = name
        try:
            key = save_theme_choice(Path(app.config_path), name, app.tenant)
        except CoditectError as exc:
            self.notify(f"Theme {name} is used until you quit: {safe_text(exc)}", timeout=10)
            return
        note = " (--theme or $CODITECT_THEME still wins)" if app.theme_override else ""
        self.notify(
            f"Theme {name} saved as {key} in {safe_text(app.config_path)}{note}.", title="Theme"
        )
        self._remember_theme(name)

    def _remember_theme(self, name: str) -> None:
        """The settings in memory say what the file now says (a tenant switch reads them)."""
        app: PaintFirstApp = self  # type: ignore[assignment]
        settings, profile = app.settings, app.profile
        if settings is None or profile is None:
            return
        if profile.theme:
            profile = profile.model_copy(update={"theme": name})
            tenants = [profile if t.name == profile.name else t for t in settings.tenants]
            app.settings = settings.model_copy(update={"tenants": tenants})
            app.profile = profile
        else:
            ui = settings.ui.model_copy(update={"theme": name})
            app.settings = settings.model_copy(update={"ui": ui})

    def save_screenshot_file(self) -> Path | None:
        """Save an SVG of the screen as a private file and say where it went.

        Returns:
            The file written, or None when it could not be (the user is told why).
        """
        from coditect_tui.core.paths import screenshot_dir, write_private_file

        stamp = datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
        try:
            target = screenshot_dir() / f"coditect-{stamp}.svg"
            write_private_file(target, self.export_screenshot().encode("utf-8"))
        except OSError as exc:
            self.notify(f"Screenshot not saved: {safe_text(exc)}", severity="error", timeout=10)
            return None
        self.notify(f"Saved to {safe_text(target)}", title="Screenshot", timeout=10)
        return target

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """The screenshot action (Textual binds it to no key; the palette runs it)."""
        self.save_screenshot_file()

    def action_help_quit(self) -> None:
        """ctrl+c does not quit: say which key does, in plain words (no markup)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit.", title="Do you want to quit?")
                return
