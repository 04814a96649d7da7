"""What the app's first paint needs, cached as plain JSON so start-up skips validation.

Validating the settings and themes costs pydantic's import plus YAML parsing: about as
long as Textual's own start. The first paint needs only a few resolved facts (tenant,
title, role, read-only, backend kind, theme colours, keymap), so the last validated
result is kept in ``$XDG_CACHE_HOME/coditect/boot.json`` under a key made of everything
it depends on: the config file's and theme files' size and mtime, the shipped policy
files, the relevant environment variables, the command-line flags and the version. A
changed input misses the cache and validates first; on a hit the app validates right
after painting (and stops with the same one-line error if anything is wrong).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from coditect_tui import __version__
from coditect_tui.core.paths import (
    cache_dir,
    config_dir,
    shipped_config_dir,
    shipped_themes_dir,
    write_private_file,
)

BOOT_VERSION = 6  # 6: roots (the status prefetch starts from them)
_ENV_KEYS = ("CODITECT_TENANT", "CODITECT_THEME", "CODITECT_READ_ONLY", "CODITECT_CONFIG")


@dataclass(frozen=True)
class Boot:
    """The resolved start-up facts of one tenant profile.

    Attributes:
        tenant: the profile's name.
        title: its display name.
        role: the role it acts in.
        read_only: read-only by flag, environment or config: the user's word, kept across
            tenant switches (the role's is ``role_read_only``, this tenant's only).
        backend_kind: local or remote.
        theme: the resolved theme's name.
        theme_spec: that theme's fields (colours, brand) as validated.
        keymap: binding id -> keys.
        demo_allowed: no config file and no roots: the demo workspace may be built.
        config_path: the config file (shown in hints).
        warnings: skipped theme files and the like, shown at every start.
        aggregate_only: every dashboard view the principal may open is an aggregate one
            (an advisor): the app shows counts and trends only, no repo names at all.
        paint_key: the paint cache's key (tenant, principal, role, tier, backend, roots).
        brand: the header's name (the theme's brand when the tier includes branding).
        role_read_only: the profile's role is a read-only one (an auditor).
        roots: the tenant's workspace roots (``~`` expanded; empty for the demo), from
            which the app starts reading statuses while it is still starting.
    """

    tenant: str
    title: str
    role: str
    read_only: bool
    backend_kind: str
    theme: str
    theme_spec: dict[str, Any] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    demo_allowed: bool = False
    config_path: str = ""
    warnings: list[str] = field(default_factory=list)
    aggregate_only: bool = False
    paint_key: str = ""
    brand: str = "CODITECT"
    role_read_only: bool = False
    roots: list[str] = field(default_factory=list)


def _stat(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def _dir_stats(directory: Path) -> list[Any]:
    try:
        names = sorted(p for p in directory.iterdir() if p.suffix == ".yaml")
    except OSError:
        return [str(directory), None]
    return [_stat(p) for p in names]


def boot_key(config_path: Path, flags: Mapping[str, Any], env: Mapping[str, str]) -> list[Any]:
    """Everything the resolved start-up facts depend on: every file the resolver reads.

    views.yaml (shipped, and the user's, which replaces it) decides whether the principal
    sees repo names at all; a boot kept across a change of it would paint a full tree
    for an advisor.
    """
    return [
        BOOT_VERSION,
        __version__,
        _stat(config_path),
        dict(sorted(flags.items())),
        {k: env.get(k) for k in _ENV_KEYS},
        _stat(shipped_config_dir() / "roles.yaml"),
        _stat(shipped_config_dir() / "tiers.yaml"),
        _stat(shipped_config_dir() / "views.yaml"),
        _stat(config_dir() / "views.yaml"),
        _dir_stats(shipped_themes_dir()),
        _dir_stats(config_dir() / "themes"),
    ]


def _file() -> Path:
    return cache_dir() / "boot.json"


def load_boot(key: list[Any]) -> Boot | None:
    """The cached facts for exactly this ``key``, or None."""
    try:
        raw = orjson.loads(_file().read_bytes())
        if raw.get("key") != orjson.loads(orjson.dumps(key)):
            return None
        return Boot(**raw["boot"])
    except (OSError, orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
        return None


def save_boot(key: list[Any], boot: Boot) -> None:
    """Remember ``boot`` under ``key`` (a cache: failures are ignored)."""
    with contextlib.suppress(OSError):
        write_private_file(_file(), orjson.dumps({"key": key, "boot": asdict(boot)}), durable=False)


def boot_from_settings(
    settings: Any,
    profile: Any,
    *,
    theme_override: str | None,
    read_only: bool,
    from_file: bool,
    config_path: Path,
    catalog: Any,
) -> Boot:
    """Resolve the start-up facts from validated settings and the theme catalog.

    Args:
        settings: the validated ``Settings``.
        profile: the chosen ``TenantProfile``.
        theme_override: ``--theme`` or ``$CODITECT_THEME``.
        read_only: read-only by flag, environment or config.
        from_file: the settings came from a file (else: built-in defaults).
        config_path: where the config file is (or would be).
        catalog: the loaded ``ThemeCatalog``.
    """
    from coditect_tui.core.policy import shipped_policy
    from coditect_tui.core.themes import DEFAULT_THEME
    from coditect_tui.core.workspace_roots import demo_allowed
    from coditect_tui.core.workspace_view import paint_key

    warnings = list(catalog.warnings)
    wanted = theme_override or profile.theme or settings.ui.theme
    theme = wanted if wanted in catalog.themes else DEFAULT_THEME
    if theme != wanted:
        warnings.append(f"unknown theme {wanted!r}; using {DEFAULT_THEME!r}")
    spec = catalog.themes[theme].model_dump() if theme in catalog.themes else {}
    from coditect_tui.core.views import load_views

    try:
        views = load_views().views_for(role=profile.role, tier=profile.tier)
    except Exception:  # a broken views.yaml is reported by the dashboard, not here
        views = []
    aggregate_only = bool(views) and all(v.kind == "aggregate" for v in views)
    return Boot(
        tenant=profile.name,
        title=profile.title,
        role=profile.role,
        read_only=read_only,
        backend_kind=profile.backend.kind,
        theme=theme,
        theme_spec=spec,
        keymap=dict(settings.ui.keymap),
        demo_allowed=demo_allowed(profile, from_file=from_file),
        config_path=str(config_path),
        warnings=warnings,
        aggregate_only=aggregate_only,
        paint_key=paint_key(profile),
        brand=shipped_policy().brand(profile.tier, spec.get("brand")),
        role_read_only=shipped_policy().is_read_only(profile.role),
        roots=[str(root) for root in profile.roots()],
    )
