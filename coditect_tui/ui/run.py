"""Start the Textual app from the CLI (the only place the CLI touches Textual).

The boot cache (coditect_tui.core.boot) lets the first paint happen before the settings
and themes are validated; a changed input misses the cache and validates first.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.run_context import RunContext
    from coditect_tui.core.settings import Settings, TenantProfile


def run_app(
    ctx: RunContext,
    *,
    theme: str | None = None,
    exit_after_paint: bool = False,
    exit_after_live: bool = False,
) -> int:
    """Run the full-screen app on the chosen tenant; returns the exit code.

    Args:
        ctx: the settings, profile and read-only choice of this run.
        theme: ``--theme`` (overrides ``$CODITECT_THEME`` and the config).
        exit_after_paint: stop after the first paint (start-up measurements, tests).
        exit_after_live: stop once every repo's status was read from git (measurements).

    Raises:
        ConfigError: the configuration is invalid (before anything is drawn, unless the
            boot cache matched; then the app stops with the same error after painting).
    """
    from coditect_tui.core.boot import boot_from_settings, boot_key, load_boot, save_boot
    from coditect_tui.core.paths import user_config_file

    config_path = ctx.config_path or user_config_file()
    env_theme = os.environ.get("CODITECT_THEME") or None
    theme_override = theme or env_theme
    key = boot_key(
        config_path,
        {"tenant": ctx.tenant, "theme": theme, "read_only": ctx.read_only_flag},
        os.environ,
    )
    boot = load_boot(key)
    settings = profile = None
    if boot is None:
        from coditect_tui.core.themes import load_themes

        loaded = ctx.loaded
        settings, profile = loaded.settings, ctx.profile()
        boot = boot_from_settings(
            settings,
            profile,
            theme_override=theme_override,
            read_only=ctx.read_only,
            from_file=loaded.from_file,
            config_path=loaded.path,
            catalog=load_themes(),
        )
        save_boot(key, boot)

    prefetch = None
    if boot.roots and not boot.aggregate_only and not exit_after_paint:
        # git reads the statuses in a child process while the UI is imported and painted
        from coditect_tui.core.tenant.prefetch import StatusPrefetch

        prefetch = StatusPrefetch(boot.tenant, [Path(root) for root in boot.roots]).start()

    def settings_loader() -> tuple[Settings, TenantProfile]:
        return ctx.loaded.settings, ctx.profile()

    try:
        from coditect_tui.ui.app import CoditectApp

        app = CoditectApp(
            boot,
            settings=settings,
            profile=profile,
            settings_loader=settings_loader,
            read_only=boot.read_only,
            theme_override=theme_override,
            exit_after_paint=exit_after_paint,
            exit_after_live=exit_after_live,
            prefetch=prefetch,
        )
    except BaseException:
        if prefetch is not None:
            prefetch.close()
        raise
    # Headless, Textual would lay out at Rich's default console size (80x25) and again at
    # the driver's (80x24); a terminal reports one size to both.
    headless = exit_after_paint or exit_after_live
    size = None
    if headless:
        terminal = shutil.get_terminal_size()
        size = (terminal.columns, terminal.lines)
    try:
        app.run(headless=headless, size=size)
    finally:
        left = app.take_prefetch()  # the app ended before a session took it
        if left is not None:
            left.close()
    if exit_after_live and app.live_at is not None:
        print(f"live-at {app.live_at:.6f}", file=sys.stderr)
    return app.return_code or 0
