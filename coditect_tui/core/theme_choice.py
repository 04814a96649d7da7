"""Saving the theme picked in the app to the user's config file, for the next start.

The choice goes where the start-up reads it (``core/boot.py``): the open tenant's own
``theme`` when its profile sets one (it wins over ``ui.theme``), else ``ui.theme``. The
file is edited in place, one line, so the user's comments and layout stay; a file in flow
style (JSON, say) is written again whole. The new file is validated before it replaces the
old one, atomically and private (0600): a failure leaves the old file as it was.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.yamlio import LocatedYaml, dump_yaml, load_yaml

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_VALUE_LINE = re.compile(
    r"""^(?P<key>[ \t]*(?:-[ \t]+)?theme[ \t]*:[ \t]*)"""
    r"""(?P<value>[^\s#'"{}\[\],]+|"[^"\n]*"|'[^'\n]*')(?P<rest>[ \t]*(?:#.*)?)$"""
)
_BLOCK_KEY = re.compile(r"^(?P<indent>[ \t]*)ui[ \t]*:[ \t]*(?:#.*)?$")


def theme_key(data: Any, tenant: str | None) -> tuple[str | int, ...]:
    """Where the start-up takes the theme from for ``tenant``.

    Args:
        data: the config file's data.
        tenant: the open tenant's name.

    Returns:
        ``("tenants", i, "theme")`` when that tenant sets a theme, else ``("ui", "theme")``.
    """
    tenants = data.get("tenants") if isinstance(data, dict) else None
    for index, profile in enumerate(tenants if isinstance(tenants, list) else []):
        if isinstance(profile, dict) and profile.get("name") == tenant and "theme" in profile:
            return ("tenants", index, "theme")
    return ("ui", "theme")


def _edit_line(text: str, doc: LocatedYaml, key: tuple[str | int, ...], theme: str) -> str | None:
    """``text`` with the one line that sets ``key`` changed (or added), else None when the
    file's layout is not the plain block style this edit understands."""
    lines = text.splitlines(keepends=True)
    line_no = doc.lines.get(key)
    if line_no is not None:
        match = _VALUE_LINE.match(lines[line_no - 1].rstrip("\r\n"))
        if match is None:
            return None
        ending = lines[line_no - 1][len(lines[line_no - 1].rstrip("\r\n")) :] or "\n"
        lines[line_no - 1] = f"{match['key']}{theme}{match['rest']}{ending}"
        return "".join(lines)
    if key != ("ui", "theme"):
        return None
    ui_line = doc.lines.get(("ui",))
    if ui_line is None:
        if text.lstrip().startswith(("{", "[")):
            return None
        return text + ("" if not text or text.endswith("\n") else "\n") + f"ui:\n  theme: {theme}\n"
    match = _BLOCK_KEY.match(lines[ui_line - 1].rstrip("\r\n"))
    if match is None:
        return None
    children = [line for loc, line in doc.lines.items() if len(loc) == 2 and loc[0] == "ui"]
    if children:
        child = lines[min(children) - 1]
        indent = child[: len(child) - len(child.lstrip(" \t"))]
    else:
        indent = match["indent"] + "  "
    lines.insert(ui_line, f"{indent}theme: {theme}\n")
    return "".join(lines)


def _dump(data: dict[str, Any], key: tuple[str | int, ...], theme: str) -> str:
    target: Any = data
    for part in key[:-1]:
        if isinstance(target, dict) and not isinstance(target.get(part), dict | list):
            target[part] = {}
        target = target[part]
    target[key[-1]] = theme
    return dump_yaml(data)


def save_theme_choice(config_path: Path, theme: str, tenant: str | None) -> str:
    """Make ``theme`` the theme the next start uses for ``tenant``.

    Args:
        config_path: the user's config file (it must exist: its tenants are needed).
        theme: a theme name (as the theme files name them).
        tenant: the open tenant.

    Returns:
        The key written, as a user reads it (``ui.theme`` or ``tenants[1].theme``).

    Raises:
        ConfigError: no config file, an unreadable or invalid one, or a bad theme name;
            the file is then unchanged.
    """
    from coditect_tui.core.paths import replacing_private
    from coditect_tui.core.settings import load_settings

    shown = str(config_path)
    if not _NAME.match(theme):
        raise ConfigError(f"{theme!r} is not a theme name", path=shown, key="ui.theme")
    if not config_path.is_file():
        raise ConfigError(
            "no config file to save the theme in (`coditect init` writes one)", path=shown
        )
    doc = load_yaml(config_path)
    if not isinstance(doc.data, dict):
        raise ConfigError("the config is not a mapping", path=shown, line=doc.line_of(()))
    key = theme_key(doc.data, tenant)
    text = config_path.read_text(encoding="utf-8")
    new_text = _edit_line(text, doc, key, theme) or _dump(doc.data, key, theme)
    staged = config_path
    try:
        with replacing_private(config_path) as staged:
            staged.write_text(new_text, encoding="utf-8")
            load_settings(staged, env={})  # never replace a valid file with a broken one
    except OSError as exc:
        raise ConfigError(f"cannot write: {exc.strerror}", path=shown) from None
    except ConfigError as exc:
        raise ConfigError(f"theme not saved: {str(exc).replace(str(staged), shown)}") from None
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in key).replace(
        ".[", "["
    )
