"""Start the Textual app from the CLI (the only place the CLI touches Textual)."""

from __future__ import annotations

from coditect_tui.commands.context import CliContext


def run_app(ctx: CliContext, *, theme: str | None = None, exit_after_paint: bool = False) -> int:
    """Run the full-screen app on the chosen tenant; returns the exit code.

    Raises:
        ConfigError: the configuration is invalid (before anything is drawn).
    """
    loaded = ctx.loaded
    profile = ctx.profile()
    from coditect_tui.ui.app import CoditectApp

    app = CoditectApp(loaded.settings, profile, read_only=ctx.read_only, theme=theme,
                      exit_after_paint=exit_after_paint,
                      demo_allowed=not loaded.from_file and not profile.workspace_roots,
                      config_path=loaded.path)
    app.run(headless=exit_after_paint)
    return app.return_code or 0
