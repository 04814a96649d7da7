"""``python -m coditect_tui``."""

from coditect_tui.cli import entry

entry()
