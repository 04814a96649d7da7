"""Where a remote profile's token comes from: an env var, the OS keyring, or a 0600 file."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.settings import RemoteBackendConfig

#: The keyring service name under which tokens are stored (username = the profile's
#: ``keyring`` value).
KEYRING_SERVICE = "coditect"


def load_token(
    config: RemoteBackendConfig, *, tenant: str, env: Mapping[str, str] | None = None
) -> str:
    """The API token of a remote profile.

    Sources, first configured one wins: ``token_env`` (an environment variable),
    ``keyring`` (an entry of the OS keyring, service "coditect"; only when the optional
    ``keyring`` package is installed), ``token_file`` (a file readable by its owner only).

    Raises:
        ConfigError: no source configured, the source is empty or missing, the keyring
            package is missing, or the token file is readable by group or others.
    """
    env = os.environ if env is None else env
    if config.token_env:
        value = env.get(config.token_env, "").strip()
        if not value:
            raise ConfigError(
                f"tenant {tenant!r}: environment variable {config.token_env} "
                "is not set (it should hold the API key)"
            )
        return value
    if config.keyring:
        return _from_keyring(config.keyring, tenant)
    if config.token_file:
        return read_token_file(Path(config.token_file).expanduser())
    raise ConfigError(f"tenant {tenant!r}: a remote backend needs token_env, keyring or token_file")


def _from_keyring(entry: str, tenant: str) -> str:
    try:
        import keyring
    except ImportError:
        raise ConfigError(
            f"tenant {tenant!r}: keyring: {entry!r} is configured but the "
            "keyring package is not installed (pip install keyring)"
        ) from None
    try:
        value = keyring.get_password(KEYRING_SERVICE, entry)
    except Exception as exc:  # every backend raises its own errors
        raise ConfigError(f"tenant {tenant!r}: the OS keyring failed: {exc}") from None
    if not value:
        raise ConfigError(
            f"tenant {tenant!r}: no keyring entry {entry!r} under service {KEYRING_SERVICE!r}"
        )
    return value.strip()


def read_token_file(path: Path) -> str:
    """The token in ``path``, refused when group or others may read it.

    Raises:
        ConfigError: missing, unreadable, empty, not a regular file, or mode not 0600/0400.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"token file: {exc.strerror}", path=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("token file is not a regular file", path=str(path))
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"token file is readable by group or others (mode {mode:04o}); run: chmod 600 {path}",
            path=str(path),
        )
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"token file: cannot read: {exc}", path=str(path)) from None
    if not value:
        raise ConfigError("token file is empty", path=str(path))
    return value
