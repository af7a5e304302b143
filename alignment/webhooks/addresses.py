"""Which addresses a webhook may be sent to.

Never to link-local addresses (169.254.0.0/16 and fe80::/10: cloud metadata services
live there), multicast, reserved or unspecified ones; never to private or loopback ones
either, unless ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` (tests, receivers inside the company's
own network). Checked when a URL is saved (a literal address, a scheme other than http(s))
and again at every send, on the addresses the name resolves to then, and on every
redirect: a name that pointed outside may point inside later.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The URL may not be sent to; the message says why, for people."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: Address) -> str | None:
    """Why ``address`` may not be sent to, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "not an address a web server answers on"
    if address.is_loopback or address.is_private or not address.is_global:
        if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
            return None
        return "a private or loopback address"
    return None


def split(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an http(s) URL, or ``AddressRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused(f"The URL cannot be read: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused(
            "Put credentials in the receiver's check of the signature, not the URL."
        )
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str) -> None:
    """Refuse what is plainly not allowed when a URL is saved: the scheme, and a host
    written as a forbidden address. A name is resolved at send time, not now."""
    _, host, _ = split(url)
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host.rstrip(".").lower() == "localhost" and not settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
            raise AddressRefused("The URL points at this machine (localhost).") from None
        return
    reason = refusal(address)
    if reason:
        raise AddressRefused(f"The URL points at {reason}.")


def resolve(host: str, port: int) -> Address:
    """The first address ``host`` resolves to that may be sent to; ``AddressRefused`` if
    one it resolves to may not (a name must not mix public and forbidden addresses)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"{host} does not resolve ({error}).") from None
    # sockaddr[0] is the address as text (an IPv6 one may carry a "%zone").
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise AddressRefused(f"{host} resolves to {address}, {reason}.")
    if not addresses:
        raise AddressRefused(f"{host} does not resolve.")
    return addresses[0]
