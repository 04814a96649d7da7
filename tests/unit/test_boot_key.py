"""The boot cache is keyed on every file the start-up resolver reads: a change of
views.yaml (the user's, which replaces the shipped one) makes a principal aggregate-only,
and a boot cached before it must not paint the full tree (issue [3/8] item 3)."""

from __future__ import annotations

from pathlib import Path

from coditect_tui.core.boot import boot_from_settings, boot_key, load_boot, save_boot
from coditect_tui.core.paths import config_dir, shipped_config_dir
from coditect_tui.core.settings import load_settings
from coditect_tui.core.themes import load_themes
from tests.ui.conftest import write_config


def resolve_boot(config: Path, tenant: str = "acme"):  # type: ignore[no-untyped-def]
    """The start-up facts of ``tenant`` in the config file, as the app resolves them."""
    loaded = load_settings(config)
    profile = loaded.settings.profile(tenant)
    return boot_from_settings(
        loaded.settings,
        profile,
        theme_override=None,
        read_only=False,
        from_file=True,
        config_path=config,
        catalog=load_themes(),
    )


def test_a_views_change_misses_the_boot_cache(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "acme",
                "principal": "alice",
                "role": "owner",
                "backend": {"kind": "local", "path": str(tmp_path / "s.db")},
                "workspace_roots": [],
            }
        ],
    )
    key = boot_key(config, {}, {})
    first = resolve_boot(config)
    assert not first.aggregate_only
    save_boot(key, first)
    assert load_boot(boot_key(config, {}, {})) == first

    # the user's views.yaml now gives the owner role the advisor view only
    shipped = (shipped_config_dir() / "views.yaml").read_text()
    user = config_dir() / "views.yaml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(shipped.replace("  owner: [team, advisor, portfolio]", "  owner: [advisor]"))
    assert "owner: [advisor]" in user.read_text()

    assert load_boot(boot_key(config, {}, {})) is None  # the stale boot is not used
    assert resolve_boot(config).aggregate_only  # what the start resolves instead
