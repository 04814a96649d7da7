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

    The user's file keeps its comments and layout: the profile is added as text after
    the last item of the ``tenants`` list (:func:`edited_text`); a file that cannot be
    edited so (a flow-style list, say), or whose edit would not load as meant, is
    written whole. Without a config, the new file holds
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
    from coditect_tui.core.yamlio import dump_yaml, load_yaml

    existed = config.exists()
    data = _read(config)
    name = entry["name"]
    if name in _profiles(data) and not force:
        raise Conflict(f"profile {name!r} already exists in {config} (--force replaces it)")
    if not existed:
        # the tenant a first run without a config opens stays, and stays the default
        data = default_settings().model_dump(mode="json", include=FIRST_CONFIG_FIELDS)
    tenants = [t for t in (data.get("tenants") or []) if not _named(t, name)]
    data["tenants"] = [*tenants, entry]
    edited = edited_text(config, entry) if existed else None
    make_private_dir(token_file.parent)
    make_private_dir(config.parent)
    old_key = token_file.read_bytes() if token_file.exists() else None
    with replacing_private(token_file) as staged:
        staged.write_text(secret + "\n", encoding="utf-8")
    try:
        with replacing_private(config) as staged:
            staged.write_text(edited or dump_yaml(data), encoding="utf-8")
            if edited is not None and load_yaml(staged).data != data:
                staged.write_text(dump_yaml(data), encoding="utf-8")  # not as meant: whole
            load_settings(staged, env={})  # the file we write must be one we accept
    except BaseException:
        if old_key is None:
            token_file.unlink(missing_ok=True)
        else:
            with replacing_private(token_file) as staged:
                staged.write_bytes(old_key)
        raise
    os.chmod(token_file, 0o600)


def edited_text(config: Path, entry: dict[str, Any]) -> str | None:
    """The text of ``config`` with the profile ``entry`` added after the last item of its
    block-style ``tenants`` list, any profile of the same name taken out, every other
    line as it was (the caller checks the result loads as intended).

    Args:
        config: the user's config file (it exists).
        entry: the profile to add.

    Returns:
        The edited text, or None when it cannot be edited line by line (a flow-style
        list, say): the caller then writes the file whole.

    Raises:
        ConfigError: the file cannot be read or parsed.
    """
    from coditect_tui.core.yaml_edit import LineEditor
    from coditect_tui.core.yamlio import dump_yaml, load_yaml

    doc = load_yaml(config)
    if not isinstance(doc.data, dict):
        return None
    ed = LineEditor(config.read_text(encoding="utf-8"), doc)
    item = dump_yaml([entry]).splitlines(keepends=True)
    tenants = doc.data.get("tenants")
    if "tenants" not in doc.data:
        ed.replace(len(ed.lines), len(ed.lines), ["tenants:\n", *item])
        return ed.text()
    if not isinstance(tenants, list) or not tenants:
        return None
    first = ed.lines[ed.line(("tenants", 0))]
    dash = first.rfind("-", 0, doc.columns[("tenants", 0)])
    if dash < 0 or first[:dash].strip():
        return None  # not "  - key: ..." (flow style, or the item below its dash)
    end = ed.span_end(("tenants", len(tenants) - 1))
    ed.replace(end, end, [" " * dash + line for line in item])
    for index, profile in enumerate(tenants):
        if _named(profile, entry["name"]):
            loc = ("tenants", index)
            ed.replace(ed.line(loc), ed.span_end(loc), [])
    return ed.text()


def _named(item: Any, name: str) -> bool:
    return isinstance(item, dict) and item.get("name") == name
