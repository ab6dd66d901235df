"""Where a server-side request may go (against SSRF): https, and a host that resolves to public
addresses only, unless the admin allows http or addresses inside the network. The request then
goes to the address that was checked (``pinned``), so a second DNS answer cannot point it
elsewhere; ``praesent.webhooks.connections`` checks each connection of a requests session."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from praesent.errors import InputError

URL_MAX = 2000


class EndpointRefusedError(InputError):
    code = "endpoint_refused"


@dataclass(frozen=True, slots=True)
class Target:
    """A checked endpoint: the URL, its host name and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, allow_http: bool) -> tuple[str, str, int]:
    """The scheme, host and port of a well-formed endpoint URL (no credentials in it)."""
    if len(url) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in url):
        raise EndpointRefusedError(f"an endpoint is a URL of at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise EndpointRefusedError(f"not a URL: {error}") from None
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed:
        raise EndpointRefusedError(
            "an endpoint must be https" + ("" if allow_http else " (the admin may allow http)")
        )
    if not parts.hostname:
        raise EndpointRefusedError("an endpoint URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise EndpointRefusedError("no credentials in an endpoint URL; it is signed instead")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_http: bool, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host; refused when any address it resolves to is not
    public (unless ``allow_private``)."""
    scheme, host, port = check_url(url, allow_http=allow_http)
    addresses = _lookup(host, port)
    if not allow_private:
        _refuse_blocked(
            host, addresses, "; the admin may allow these (PRAESENT_WEBHOOKS_ALLOW_PRIVATE)"
        )
    return Target(url, scheme, host, port, str(addresses[0]))


def refuse_private(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, refused when any of them is not public: the check
    made as a connection opens, which then goes to one of these addresses."""
    addresses = _lookup(host, port)
    _refuse_blocked(host, addresses, "")
    return [str(address) for address in addresses]


def _lookup(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise EndpointRefusedError(f"{host} cannot be resolved: {error}") from None
    addresses = [ipaddress.ip_address(str(entry[4][0]).split("%")[0]) for entry in found]
    if not addresses:
        raise EndpointRefusedError(f"{host} has no address")
    return addresses


def _refuse_blocked(
    host: str, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address], hint: str
) -> None:
    for address in addresses:
        if _blocked(address):
            raise EndpointRefusedError(
                f"{host} resolves to {address}, a loopback, private or link-local address{hint}"
            )


def pinned(target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """For httpx: the URL with the checked address in place of the host, the Host header, and
    for https the name the certificate must carry."""
    default = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default else f"{target.host}:{target.port}"
    address = f"[{target.address}]" if ":" in target.address else target.address
    url = httpx.URL(target.url).copy_with(host=address.strip("[]"), port=target.port)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return str(url), {"host": host}, extensions
