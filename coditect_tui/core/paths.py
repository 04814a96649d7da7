"""Where things live: XDG directories (platformdirs) and the shipped config/ and themes/.

Also the one way the app creates its own files and folders: private ones (0600 files in
0700 folders, whatever the umask), because a store, its backups, exports and caches hold
a tenant's data and may sit on a shared machine (docs/security.md, "Private files").
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from platformdirs import user_cache_path, user_config_path, user_data_path, user_state_path

APP_NAME = "coditect"
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def config_dir() -> Path:
    """The user's config directory (``$XDG_CONFIG_HOME/coditect`` on Linux)."""
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The user's data directory (``$XDG_DATA_HOME/coditect`` on Linux)."""
    return user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """The user's cache directory (``$XDG_CACHE_HOME/coditect`` on Linux)."""
    return user_cache_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """The user's state directory (``$XDG_STATE_HOME/coditect`` on Linux)."""
    return user_state_path(APP_NAME, appauthor=False)


def screenshot_dir() -> Path:
    """Where the app saves screenshots: the user's Downloads folder when it exists, else
    ``<state dir>/screenshots`` (over SSH there is often no Downloads folder).

    Returns:
        An existing folder (the state one is created private).

    Raises:
        OSError: neither exists nor can be created.
    """
    from platformdirs import user_downloads_path

    downloads = user_downloads_path()
    if downloads.is_dir():
        return downloads
    return make_private_dir(state_dir() / "screenshots")


def user_config_file() -> Path:
    """The user config file: ``$CODITECT_CONFIG`` if set, else ``<config dir>/config.yaml``."""
    override = os.environ.get("CODITECT_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.yaml"


def default_store_path() -> Path:
    """The embedded default store: one SQLite file in the data directory."""
    return data_dir() / "coditect.db"


def _shipped_root() -> Path:
    package = Path(__file__).resolve().parent.parent
    installed = package / "_shipped"
    if installed.is_dir():
        return installed
    return package.parent  # a source checkout or an editable install


def shipped_config_dir() -> Path:
    """The shipped defaults (roles.yaml, tiers.yaml, the example config)."""
    return _shipped_root() / "config"


def shipped_themes_dir() -> Path:
    """The built-in themes (*.yaml)."""
    return _shipped_root() / "themes"


def tighten(path: Path | str) -> bool:
    """Take group and other permissions away from a file or folder the user owns.

    Symlinks and other users' files are left alone (chmod would follow the one and fail
    on the other).

    Args:
        path: an existing file or folder.

    Returns:
        Whether its mode changed.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return False
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid() or not mode & 0o077:
        return False
    try:
        os.chmod(path, mode & 0o700)
    except OSError:
        return False
    return True


def make_private_dir(path: Path | str) -> Path:
    """Create ``path`` and its missing parents as 0700 folders, whatever the umask.

    A folder that exists is left as it is, except the app's own folders (``coditect`` in
    the XDG config, data, cache and state directories, and folders inside them), which
    are tightened to owner-only.

    Args:
        path: the folder.

    Returns:
        ``path``, absolute.

    Raises:
        OSError: a folder cannot be created.
    """
    target = Path(os.path.abspath(path))
    missing: list[Path] = []
    probe = target
    while not os.path.isdir(probe) and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR_MODE)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # the umask may have taken the owner's bits
    for root in (config_dir(), data_dir(), cache_dir(), state_dir()):
        if target == root or target.is_relative_to(root):
            folder = root
            tighten(folder)
            for part in target.relative_to(root).parts:
                folder = folder / part
                tighten(folder)
    return target


def open_new_private(path: Path | str, mode: str = "wb", **kwargs: Any) -> IO[Any]:
    """Create ``path`` as a new 0600 file and open it for writing.

    Args:
        path: the file; it must not exist (a symlink there is refused too).
        mode: ``"wb"`` or ``"w"``.
        **kwargs: passed to :func:`open` (``encoding``, ``newline``, ``buffering``).

    Returns:
        The open file (the caller closes it).

    Raises:
        FileExistsError: something is there already.
        OSError: it cannot be created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have taken the owner's bits
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def create_private_file(path: Path | str) -> bool:
    """Create an empty 0600 file at ``path`` unless something is there already.

    An existing file is never opened (a SQLite file may be open in this process, and
    closing any descriptor of it would drop that connection's locks).

    Returns:
        Whether the file was created.

    Raises:
        OSError: it cannot be created.
    """
    try:
        open_new_private(path).close()
    except FileExistsError:
        return False
    return True


@contextmanager
def replacing_private(path: Path | str, *, durable: bool = True) -> Iterator[Path]:
    """Stage a new 0600 file for ``path`` and move it into place when the block ends.

    The block writes the staged file (its path is yielded, the file exists and is
    empty); on success it replaces ``path`` atomically, on an exception it is removed
    and ``path`` is untouched.

    Args:
        path: the file to create or replace; its folder must exist.
        durable: fsync the staged file before the rename.

    Raises:
        OSError: the staged file cannot be created or moved.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left by a dead process that had our pid
    create_private_file(tmp)
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_private_file(path: Path | str, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically as a 0600 file in 0700 folders.

    Args:
        path: the file to create or replace; missing folders are created private.
        data: its content.
        durable: fsync before the rename (caches skip it).

    Raises:
        OSError: it cannot be written (``path`` is then untouched).
    """
    target = Path(path)
    make_private_dir(target.parent)
    with replacing_private(target, durable=durable) as tmp, open(tmp, "r+b") as handle:
        handle.write(data)
