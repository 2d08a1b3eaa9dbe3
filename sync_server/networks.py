"""Which addresses count as one client: as networks are handed out, not address by address.

An IPv6 home, office or phone is given a whole /64 at least (RFC 6177), often a /56 or a /48: one person can
send from 2^64 addresses, so a limit per IPv6 address limits nothing. IPv4 addresses are scarce and often
shared (a household or a mobile carrier's NAT), so each still counts alone. The rate limits, the daily
budget of stored bytes and the worker's connection cap all count by ``client_network``; the daily budget is
also counted for the wider ``site_network``, which holds many people's /64s.
"""

from __future__ import annotations

import ipaddress

# One client's IPv6 network, and one site's: what a home or phone is given, and what an organisation or a
# whole ISP customer is.
IPV6_CLIENT_PREFIX = 64
IPV6_SITE_PREFIX = 48
# How many people's daily budget a whole IPv6 site may spend together.
SITE_BUDGET_PEOPLE = 16


def _network(address: str, ipv6_prefix: int) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP address (a Unix socket's peer): counted as it is
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # an IPv4 client on a dual-stack socket
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/{ipv6_prefix}", strict=False))


def client_network(address: str) -> str:
    """What counts as one client: an IPv4 address, or the IPv6 /64 an address is in."""
    return _network(address, IPV6_CLIENT_PREFIX)


def site_network(address: str) -> str:
    """What counts as one site: an IPv4 address, or the IPv6 /48 an address is in."""
    return _network(address, IPV6_SITE_PREFIX)
