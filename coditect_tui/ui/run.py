"""Start the Textual app from the CLI (the only place the CLI touches Textual)."""

from __future__ import annotations

from coditect_tui.commands.context import CliContext


def run_app(ctx: CliContext, *, theme: str | None = None, exit_after_paint: bool = False) -> int:
    """Run the full-screen app on the chosen tenant; returns the exit code."""
    from coditect_tui.ui.app import CoditectApp

    profile = ctx.profile()
    app = CoditectApp(profile, read_only=ctx.read_only, exit_after_paint=exit_after_paint)
    if exit_after_paint:
        app.run(headless=True)
    else:
        app.run()
    return app.return_code or 0
