"""Where the server may send webhooks: public addresses, and the networks it is told to allow.

A subscription URL is resolved when it is added and again before every attempt (a name
may resolve elsewhere later: DNS rebinding); every address it resolves to must be a
global unicast address, or inside one of the server's allowed networks
(``ServerConfig.webhook_allow_networks``). Private (RFC 1918, ULA), loopback,
link-local, multicast, reserved and shared (CGNAT) ranges are refused otherwise.
Redirects are never followed (the worker's client), so an allowed host cannot bounce a
delivery inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from coditect_tui.core.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class WebhookEnv:
    """The webhook settings ``coditect serve`` hands its workers through the environment."""

    allow_networks: tuple[str, ...] = ()
    lease: float = 60.0
    poll_interval: float = 1.0


ALLOW_ENV = "CODITECT_SERVE_WEBHOOK_ALLOW"
LEASE_ENV = "CODITECT_SERVE_WEBHOOK_LEASE"
POLL_ENV = "CODITECT_SERVE_WEBHOOK_POLL"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise ConfigError(f"{name}={raw!r}: give seconds, more than 0 and at most 86400")
    return value


def webhook_env(environ: Mapping[str, str] | None = None) -> WebhookEnv:
    """The webhook settings of the environment: ``CODITECT_SERVE_WEBHOOK_ALLOW``
    (comma-separated networks), ``CODITECT_SERVE_WEBHOOK_LEASE`` and
    ``CODITECT_SERVE_WEBHOOK_POLL`` (seconds).

    Raises:
        ConfigError: a value that is not a network, or not a number of seconds.
    """
    env = os.environ if environ is None else environ
    allow = tuple(n.strip() for n in env.get(ALLOW_ENV, "").split(",") if n.strip())
    try:
        parse_networks(allow)
    except ValueError as exc:
        raise ConfigError(f"{ALLOW_ENV}: {exc}") from None
    return WebhookEnv(
        allow_networks=allow,
        lease=_seconds(env, LEASE_ENV, 60.0),
        poll_interval=_seconds(env, POLL_ENV, 1.0),
    )


class Refused(ValueError):
    """The destination is not allowed, or cannot be resolved."""


def parse_networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    """The allowed networks of the configuration (``127.0.0.1/32``, ``10.0.0.0/8``, ``::1``).

    Raises:
        ValueError: a value is not a network (the message names it).
    """
    out: list[IPNetwork] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not a network: {value!r} (e.g. 127.0.0.1/32)") from None
    return tuple(out)


def allowed(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    """Whether the server may connect to ``address``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in networks):
        return True
    return address.is_global and not address.is_multicast


async def check_destination(url: str, networks: Sequence[IPNetwork]) -> list[IPAddress]:
    """Resolve ``url``'s host and refuse it unless every address is allowed.

    Args:
        url: a subscription URL (already checked for form).
        networks: the server's allowed networks.

    Returns:
        The addresses the host resolved to.

    Raises:
        Refused: the host does not resolve, or an address is not allowed.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host}: does not resolve ({exc})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Refused(f"{host}: does not resolve")
    for address in addresses:
        if not allowed(address, networks):
            raise Refused(
                f"{host} resolves to {address}, a private, loopback, link-local or reserved "
                "address; the server allows it only with --webhook-allow-network"
            )
    return addresses
