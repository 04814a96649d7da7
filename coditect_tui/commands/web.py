"""``coditect web``: the same app in a browser, served by textual-serve.

Each browser tab starts its own ``coditect`` process (the full-screen app, with the
options given here) behind a web socket. The page has no login of its own: it listens on
127.0.0.1 unless ``--host`` names another address, and then says so.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.listen import check_can_listen, port

#: What ``coditect web`` imports from the web extra.
WEB_MODULES = ("textual_serve",)
WEB_EXTRA = "web"
#: Printed when the page is reachable from other machines.
NO_LOGIN_WARNING = (
    "coditect web: warning: {host} is reachable from other machines and the page has no "
    "login of its own: anyone who reaches it works as you. Prefer the default 127.0.0.1 "
    "and an SSH tunnel (ssh -L {port}:127.0.0.1:{port} HOST); see docs/user-guide.md"
)


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``web``."""
    parser = sub.add_parser(
        "web",
        help="serve the app to a browser (textual-serve), on 127.0.0.1 by default",
        description="Serve the full-screen app to a web browser: each tab runs its own app "
        "with these options. The page has no login: keep it on 127.0.0.1 and reach it "
        "through an SSH tunnel. Needs the 'web' extra.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default %(default)s; any other address is reachable "
        "without a login and prints a warning)",
    )
    parser.add_argument("--port", type=port, default=8000, help="port (default %(default)s)")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use, when a proxy or tunnel serves the page elsewhere",
    )
    parser.add_argument("--theme", metavar="NAME", help="theme of the served app")
    add_common(parser)
    parser.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def app_command(args: argparse.Namespace, ctx: CliContext) -> str:
    """The shell command textual-serve runs for each browser tab: this Python, the app,
    and the options given to ``coditect web``."""
    argv = [sys.executable, "-m", "coditect_tui"]
    if ctx.config_path is not None:
        argv += ["--config", str(ctx.config_path.resolve())]
    if ctx.tenant:
        argv += ["--tenant", ctx.tenant]
    if ctx.read_only_flag:
        argv.append("--read-only")
    if args.theme:
        argv += ["--theme", args.theme]
    return shlex.join(argv)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Check the extra, the configuration and the address, then serve until interrupted."""

    from coditect_tui.core.extras import require_extra

    require_extra("coditect web", WEB_MODULES, WEB_EXTRA)
    ctx.profile()  # a bad config or an unknown tenant fails here, in one line
    if not is_loopback(args.host):
        print(NO_LOGIN_WARNING.format(host=args.host, port=args.port), file=sys.stderr)
    check_can_listen(args.host, args.port)

    from pathlib import Path

    from textual_serve.server import Server

    server = Server(
        app_command(args, ctx),
        host=args.host,
        port=args.port,
        title="CODITECT",
        public_url=args.public_url,
        templates_path=Path(__file__).with_name("web_page"),  # no third-party fonts
    )
    server.serve()  # prints the address; until Ctrl+C
    return 0
