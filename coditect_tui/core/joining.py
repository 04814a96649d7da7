"""``coditect join``: after a server accepted an invitation, a remote profile in the
user's config and the new API key in a 0600 token file.

UI-free. Both files are written atomically (a staged 0600 file renamed into place), the
config only once the new file has been read back and validated: an error leaves neither
half-written. A profile of the same name is replaced only when asked (``force``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from coditect_tui.core.errors import ConfigError, Conflict, InvalidInput
from coditect_tui.core.invitations import Joined
from coditect_tui.core.paths import data_dir, make_private_dir, replacing_private
from coditect_tui.core.settings import TenantProfile, default_settings

#: what of the default settings a config written by the first join holds
FIRST_CONFIG_FIELDS: dict[str, Any] = {
    "default_tenant": True,
    "tenants": {"__all__": {"name", "display_name"}},
}

#: the profile entry the token file of a joined profile is named after
TOKENS_DIR = "tokens"


def token_path(profile: str) -> Path:
    """Where the API key of the joined profile ``profile`` is kept:
    ``$XDG_DATA_HOME/coditect/tokens/<profile>.key``."""
    return data_dir() / TOKENS_DIR / f"{profile}.key"


def profile_entry(name: str, url: str, joined: Joined, token_file: Path) -> dict[str, Any]:
    """The config entry of a joined tenant (a remote profile reading ``token_file``).

    Raises:
        InvalidInput: ``name`` is not a valid profile name.
    """
    entry: dict[str, Any] = {
        "name": name,
        "display_name": joined.tenant.display_name,
        "backend": {"kind": "remote", "url": url.rstrip("/"), "token_file": str(token_file)},
        "principal": joined.principal,
        "role": joined.role,
        "tier": joined.tenant.tier,
    }
    try:
        TenantProfile.model_validate(entry)
    except ValueError as exc:
        raise InvalidInput(f"profile {name!r}: {str(exc).splitlines()[-1].strip()}") from None
    return entry


def check_free(config: Path, name: str, *, force: bool) -> None:
    """Refuse before anything is sent: a profile ``name`` exists and ``force`` is off.

    Raises:
        Conflict: the profile exists.
        ConfigError: the config file cannot be read.
    """
    if not force and name in _profiles(_read(config)):
        raise Conflict(
            f"profile {name!r} already exists in {config}: pass --profile with another "
            "name, or --force to replace it"
        )


def free_name(config: Path, tenant: str, principal: str) -> str:
    """The profile name of a join that named none: the tenant's, or when a profile of
    that name exists ``<tenant>-<principal>`` (then ``-2``, ``-3``…), never one taken.

    Raises:
        ConfigError: the config file cannot be read.
    """
    import re

    taken = set(_profiles(_read(config)))
    if tenant not in taken:
        return tenant
    base = re.sub(r"[^a-z0-9._-]+", "-", f"{tenant}-{principal}".lower()).strip("-._")[:56]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _read(config: Path) -> dict[str, Any]:
    from coditect_tui.core.yamlio import load_yaml

    if not config.exists():
        return {}
    data = load_yaml(config).data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("the config is not a mapping", path=str(config))
    return data


def _profiles(data: dict[str, Any]) -> list[str]:
    tenants = data.get("tenants") or []
    return [str(t.get("name")) for t in tenants if isinstance(t, dict)]


def write_joined(
    config: Path, entry: dict[str, Any], secret: str, token_file: Path, *, force: bool
) -> None:
    """Write the API key to ``token_file`` (0600) and add (or, with ``force``, replace)
    the profile ``entry`` in ``config``.

    The user's file keeps its comments and layout: the profile is added as text at the
    end of the ``tenants`` list (:func:`edited_text`); only a file that cannot be edited
    so (a flow-style list, say) is rewritten whole. Without a config, the new file holds
    the tenant a first run opens (still the default) beside the joined one.

    Args:
        config: the user's config file (created when missing).
        entry: the profile (:func:`profile_entry`).
        secret: the API key.
        token_file: where it goes.
        force: replace a profile of the same name.

    Raises:
        Conflict: the profile exists and ``force`` is off.
        ConfigError: the config cannot be read, or would not load with the profile.
        OSError: a file cannot be written (neither is then changed).
    """
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.yamlio import dump_yaml

    existed = config.exists()
    text = config.read_text(encoding="utf-8") if existed else ""
    data = _read(config)
    name = entry["name"]
    if name in _profiles(data) and not force:
        raise Conflict(f"profile {name!r} already exists in {config} (--force replaces it)")
    if not existed:
        # the tenant a first run without a config opens stays, and stays the default
        data = default_settings().model_dump(mode="json", include=FIRST_CONFIG_FIELDS)
    tenants = [t for t in (data.get("tenants") or []) if not _named(t, name)]
    data["tenants"] = [*tenants, entry]
    new_text = edited_text(text, entry, data) or dump_yaml(data)
    make_private_dir(token_file.parent)
    make_private_dir(config.parent)
    old_key = token_file.read_bytes() if token_file.exists() else None
    with replacing_private(token_file) as staged:
        staged.write_text(secret + "\n", encoding="utf-8")
    try:
        with replacing_private(config) as staged:
            staged.write_text(new_text, encoding="utf-8")
            load_settings(staged, env={})  # the file we write must be one we accept
    except BaseException:
        if old_key is None:
            token_file.unlink(missing_ok=True)
        else:
            with replacing_private(token_file) as staged:
                staged.write_bytes(old_key)
        raise
    os.chmod(token_file, 0o600)


def edited_text(text: str, entry: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """``text`` (a config) with the profile ``entry`` added at the end of its block-style
    ``tenants`` list, any profile of the same name taken out, every other line as it was.

    Args:
        text: the config file's text ("" for none).
        entry: the profile to add.
        expected: what the edited text must load as.

    Returns:
        The edited text, or None when it cannot be edited line by line into ``expected``
        (the caller then writes ``expected`` whole).
    """
    import yaml

    from coditect_tui.core.yamlio import dump_yaml

    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    try:
        root = yaml.compose("".join(lines), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    tenants = next((v for k, v in root.value if k.value == "tenants"), None)
    item = dump_yaml([entry])
    if tenants is None:
        lines.append("tenants:\n" + item)
    elif isinstance(tenants, yaml.SequenceNode) and not tenants.flow_style and tenants.value:
        first = tenants.value[0].start_mark
        dash = lines[first.line].rfind("-", 0, first.column)
        if dash < 0:
            return None
        pad = " " * dash
        spans = []  # (first line, line after) of every item
        for index, node in enumerate(tenants.value):
            start = node.start_mark.line
            if index + 1 < len(tenants.value):
                end = tenants.value[index + 1].start_mark.line
            else:
                end = node.end_mark.line + (1 if node.end_mark.column else 0)
            spans.append((start, end, node))
        at = spans[-1][1]
        insert = [pad + line + "\n" for line in item.splitlines()]
        lines[at:at] = insert
        for start, end, node in reversed(spans):
            if isinstance(node, yaml.MappingNode) and any(
                k.value == "name" and v.value == entry["name"] for k, v in node.value
            ):
                del lines[start:end]
    else:
        return None
    edited = "".join(lines)
    try:
        if yaml.safe_load(edited) != expected:
            return None
    except yaml.YAMLError:
        return None
    return edited


def _named(item: Any, name: str) -> bool:
    return isinstance(item, dict) and item.get("name") == name
