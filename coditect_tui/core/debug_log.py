"""The app's debug log: written to a file only when asked (``coditect --log-file PATH``).

Nothing else configures logging, so without the option no log record is written
anywhere (Python's last-resort handler aside, which prints warnings to stderr). With it,
the project's own loggers write DEBUG and above, other libraries WARNING and above, one
line per record, with untrusted text neutralised (control characters escaped).
"""

from __future__ import annotations

import logging
from pathlib import Path

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.safe_text import safe_text

#: The loggers of the project's own packages (debug level in the file).
OWN_LOGGERS = ("coditect_tui", "coditect", "coditect_store", "coditect_remote", "coditect_server")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SafeFormatter(logging.Formatter):
    """A formatter whose lines carry no control characters (one record, one line)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one neutralised line."""
        return safe_text(super().format(record))


def start_debug_log(path: Path) -> logging.Handler:
    """Send debug logging to ``path`` (appended to).

    Args:
        path: the log file.

    Returns:
        The handler (close it with :func:`stop_debug_log`).

    Raises:
        ConfigError: the file cannot be opened for writing.
    """
    try:
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log-file {path}: {exc.strerror or exc}") from None
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    return handler


def stop_debug_log(handler: logging.Handler) -> None:
    """Detach and close a handler of :func:`start_debug_log`."""
    logging.getLogger().removeHandler(handler)
    handler.close()
