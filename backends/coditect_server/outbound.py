"""Where the server may send webhooks: public addresses, and the networks it is told to allow.

A subscription URL is resolved when it is added, and again by every connection the
worker opens (a name may resolve elsewhere later: DNS rebinding); every address it
resolves to must be a global unicast address, or inside one of the server's allowed
networks (``ServerConfig.webhook_allow_networks``). Private (RFC 1918, ULA), loopback,
link-local, multicast, reserved and shared (CGNAT) ranges are refused otherwise.

The worker's connections go to exactly the address that was checked
(:class:`PinnedBackend`: the check is made inside the connect, with the resolution it
connects with), while the Host header, TLS SNI and certificate verification stay on the
URL's host name. Redirects are never followed (the worker's client), so an allowed host
cannot bounce a delivery inward.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from coditect_tui.core.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``(host, port) -> addresses``: how the server resolves a destination's name (the
#: system's resolver by default; tests give their own)
Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]


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


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to (the system's resolver, ``getaddrinfo``).

    Raises:
        OSError: the name does not resolve.
    """
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise OSError(str(exc)) from None
    # a scoped IPv6 address ("fe80::1%eth0") is checked without its scope
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def allowed_addresses(
    host: str, port: int, networks: Sequence[IPNetwork], resolver: Resolver = system_resolver
) -> list[IPAddress]:
    """Resolve ``host`` and refuse it unless every address is allowed.

    Args:
        host: a host name or an IP address.
        port: the port (for the resolver).
        networks: the server's allowed networks.
        resolver: how names are resolved.

    Returns:
        The addresses, in the resolver's order, every one of them allowed.

    Raises:
        Refused: the host does not resolve, or an address is not allowed.
    """
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = list(await resolver(host, port))
        except OSError as exc:
            raise Refused(f"{host}: does not resolve ({exc})") from None
    if not addresses:
        raise Refused(f"{host}: does not resolve")
    for address in addresses:
        if not allowed(address, networks):
            raise Refused(
                f"{host} resolves to {address}, a private, loopback, link-local or reserved "
                "address; the server allows it only with --webhook-allow-network"
            )
    return addresses


async def check_destination(
    url: str, networks: Sequence[IPNetwork], resolver: Resolver = system_resolver
) -> list[IPAddress]:
    """Resolve ``url``'s host and refuse it unless every address is allowed.

    Args:
        url: a subscription URL (already checked for form).
        networks: the server's allowed networks.
        resolver: how names are resolved.

    Returns:
        The addresses the host resolved to.

    Raises:
        Refused: the host does not resolve, or an address is not allowed.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return await allowed_addresses(parts.hostname or "", port, networks, resolver)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend whose connections go only to checked addresses.

    ``connect_tcp`` resolves the host once, refuses it unless every address is allowed
    (:func:`allowed_addresses`), and connects to those very addresses (the first that
    answers), never to a name: nothing resolves it a second time. httpcore starts TLS on
    the stream with the URL's host name, so SNI and certificate verification are the
    name's; the Host header is the URL's.

    Args:
        networks: the server's allowed networks.
        resolver: how names are resolved.
    """

    def __init__(self, networks: Sequence[IPNetwork], resolver: Resolver = system_resolver) -> None:
        self._networks = tuple(networks)
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await allowed_addresses(host, port, self._networks, self._resolver)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses is never empty
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the connection pool on a :class:`PinnedBackend`.

    No proxy (from the environment or elsewhere), no Unix socket: a delivery connects
    to the checked address of the URL's host and nowhere else.

    Args:
        networks: the server's allowed networks.
        resolver: how names are resolved.
        verify: certificate verification: True (certifi's CA bundle) or an SSL context.
        limits: connection limits of the pool (default: httpx's).
    """

    def __init__(
        self,
        networks: Sequence[IPNetwork],
        *,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        # httpx builds its pool without a way to name the network backend: the same pool
        # again, on the pinned one (the first holds no connection yet)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(networks, resolver),
        )
