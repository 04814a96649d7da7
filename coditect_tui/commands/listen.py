"""What ``coditect serve`` and ``coditect web`` share: the ``--port`` type and the check,
before anything starts, that the address can be listened on."""

from __future__ import annotations

import argparse


def port(value: str) -> int:
    """``--port``'s type: a number in 0..65535.

    Raises:
        argparse.ArgumentTypeError: not a port number (argparse says so in one line).
    """
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"port {number} is outside 0..65535")
    return number


def check_can_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go, so a busy port fails in one line up front.

    Raises:
        ConfigError: the address cannot be listened on.
    """
    import socket

    from coditect_tui.core.errors import ConfigError

    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
