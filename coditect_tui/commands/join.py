"""``coditect join URL TOKEN``: accept an invitation and add the tenant as a profile."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options, print_json

if TYPE_CHECKING:
    from coditect_tui.core.invitations import Joined

#: the variable the keyless join call reads its (placeholder) key from: POST /join
#: takes no key, only the invitation's token in its body
_NO_KEY_ENV = "CODITECT_JOIN_NO_KEY"


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``join``."""
    parser = sub.add_parser(
        "join",
        help="accept an invitation to a tenant API and add it as a profile",
        description="Accept an invitation (coditect members invite) on the tenant API at "
        "URL: the server makes you a member and gives you an API key, which is written to "
        "a 0600 file under your data folder; the tenant is added to your config as a "
        "remote profile reading that file. An existing profile of the same name is kept "
        "unless --force (without --profile: the tenant's name, or "
        "<tenant>-<you> when that is taken).",
    )
    parser.add_argument("url", help="the tenant API's address (http(s)://host:port)")
    parser.add_argument("token", help="the invitation's token (cdt_inv_…)")
    parser.add_argument("--profile", metavar="NAME", help="the profile's name (default: tenant)")
    parser.add_argument("--force", action="store_true", help="replace a profile of that name")
    add_format_options(parser, ("text", "json"))
    add_common(parser, only=("--config",))
    parser.set_defaults(handler=run)


async def _accept(url: str, token: str) -> Joined:
    import os

    from coditect_tui.core import factory
    from coditect_tui.core.settings import RemoteBackendConfig, TenantProfile

    profile = TenantProfile(
        name="join",
        backend=RemoteBackendConfig(kind="remote", url=url, token_env=_NO_KEY_ENV),
    )
    os.environ[_NO_KEY_ENV] = "none"  # a placeholder: the server reads no key on /join
    try:
        backend = await factory.open_backend(profile)
    finally:
        os.environ.pop(_NO_KEY_ENV, None)
    try:
        return await backend.accept_invitation(token)
    finally:
        await backend.close()


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Accept, then write the token file and the profile."""
    import asyncio

    from coditect_tui.core import joining
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.paths import user_config_file
    from coditect_tui.core.safe_text import safe_text

    if not args.url.startswith(("http://", "https://")):
        raise InvalidInput(f"{args.url!r}: the URL must start with http:// or https://")
    config = ctx.config_path or user_config_file()
    if args.profile is not None:
        joining.check_free(config, args.profile, force=args.force)
    joined = asyncio.run(_accept(args.url, args.token))
    name = args.profile or (
        joined.tenant.name
        if args.force
        else joining.free_name(config, joined.tenant.name, joined.principal)
    )
    token_file = joining.token_path(name)
    entry = joining.profile_entry(name, args.url, joined, token_file)
    joining.write_joined(config, entry, joined.key.secret, token_file, force=args.force)
    if args.format == "json":
        print_json(
            {
                "profile": name,
                "tenant": joined.tenant.name,
                "principal": joined.principal,
                "role": joined.role,
                "config": str(config),
                "token_file": str(token_file),
            }
        )
    else:
        print(
            f"joined tenant {safe_text(joined.tenant.name)} as {safe_text(joined.principal)} "
            f"({joined.role}); profile {safe_text(name)} in {safe_text(config)}, "
            f"key in {safe_text(token_file)}: coditect --tenant {safe_text(name)} status"
        )
    return 0
