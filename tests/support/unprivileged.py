"""Run a child process without root's power to read and write every file.

Tests of unreadable folders need permissions to mean something. Root bypasses them through
the CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH capabilities; ``setpriv`` (util-linux) starts
the child with both dropped from its bounding set, so ``chmod 0`` stops it as it stops
any user.
"""

from __future__ import annotations

import os
import shutil


def unprivileged_prefix() -> list[str]:
    """The command prefix that runs a child without the permission-bypassing capabilities.

    Returns:
        ``[]`` for a non-root user; otherwise ``setpriv`` with both capabilities dropped.

    Raises:
        RuntimeError: running as root and ``setpriv`` is not installed.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("running as root and setpriv (util-linux) is not installed")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
