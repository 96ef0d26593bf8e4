"""Egress policy: which addresses the relay may connect to on a user's behalf (an SSRF guard).

The relay resolves a host once, checks every address it got, and connects to an address it
checked, so a second DNS answer cannot point the connection somewhere else.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from sessions.errors import EgressDenied

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# getaddrinfo's signature: (host, port, family, type, proto, flags) -> [(family, type, proto,
# canonname, sockaddr)]; tests pass their own to map test names without touching real DNS.
Resolver = Callable[..., Awaitable[list[tuple[Any, ...]]]]

# 6to4 and NAT64 embed an IPv4 address that the packet ends up at.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Target:
    family: int
    address: str  # the checked IP address, as connected to
    port: int


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings (a bare address is a /32 or /128); ValueError names a bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"Invalid CIDR {value!r} in the egress policy: {exc}") from None
    return tuple(networks)


def effective_address(raw: str) -> IPAddress:
    """The address a packet really goes to: scope ids dropped, IPv4 inside IPv6 unwrapped.

    ``::ffff:169.254.169.254`` is the metadata address, not some IPv6 host, and must be
    judged as such.
    """
    address = ipaddress.ip_address(raw.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if int(address) >> 32 == 0 and int(address) > 1:
            # Deprecated IPv4-compatible form ::a.b.c.d.
            return ipaddress.IPv4Address(int(address))
    return address


@dataclass(frozen=True)
class EgressPolicy:
    allow: tuple[IPNetwork, ...]
    deny: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls) -> EgressPolicy:
        return cls(
            allow=parse_networks(settings.UPSTREAM_ALLOW_CIDRS),
            deny=parse_networks(settings.UPSTREAM_DENY_CIDRS),
        )

    def problem(self, raw_address: str) -> str | None:
        """Why ``raw_address`` may not be connected to, or None. Deny wins over allow."""
        try:
            address = effective_address(raw_address)
        except ValueError:
            return f"{raw_address} is not an IP address."
        for network in self.deny:
            if address.version == network.version and address in network:
                return (
                    f"{raw_address} is in {network}, which the egress policy denies "
                    "(UPSTREAM_DENY_CIDRS)."
                )
        if self.allow and not any(
            address.version == network.version and address in network for network in self.allow
        ):
            return f"{raw_address} is outside the allowed ranges (UPSTREAM_ALLOW_CIDRS)."
        return None


async def resolve(host: str, port: int, resolver: Resolver | None = None) -> list[Target]:
    """Every TCP address ``host`` resolves to, in the resolver's order, without duplicates.

    Raises socket.gaierror when the name does not resolve.
    """
    lookup = resolver or asyncio.get_running_loop().getaddrinfo
    infos = await lookup(host, port, type=socket.SOCK_STREAM)
    targets: list[Target] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        target = Target(family=family, address=str(sockaddr[0]), port=int(sockaddr[1]))
        if target not in targets:
            targets.append(target)
    if not targets:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} has no IPv4 or IPv6 address")
    return targets


def check(host: str, targets: Sequence[Target], policy: EgressPolicy) -> None:
    """Raise EgressDenied when any address of ``host`` is denied.

    One denied address denies the host: a name that also points at the metadata service is
    not one to trust with the others.
    """
    for target in targets:
        problem = policy.problem(target.address)
        if problem:
            shown = host if host == target.address else f"{host} resolves to {target.address}; "
            detail = problem if host == target.address else shown + problem
            raise EgressDenied(f"Connection refused by the egress policy: {detail}")
