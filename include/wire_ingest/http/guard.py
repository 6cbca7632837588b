"""The link guard: which URLs and addresses a source's requests may reach (no request forgery)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util.connection import create_connection

from wire_ingest.sources import Source

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_LOCALHOST_ADDRESSES = frozenset({ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")})


class LinkRefused(requests.RequestException):
    """A request the link guard refused before anything was sent; the message says why."""


class _AddressRefused(HTTPError):
    # Not an OSError: urllib3 retries those, and a refused address is refused on every try.
    pass


def _inward_kind(address: IPAddress) -> str | None:
    """What makes an address one we must not reach from a page (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, inward in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    ):
        if inward:
            return kind
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class LinkGuard:
    """What one source's requests may reach: http(s) URLs on its hosts, at public addresses.

    Loopback, private, link-local, multicast and reserved addresses are refused unless the source
    allows them (`allow_private_addresses`) or they are in `allowed_addresses` (the local wire
    site's, when its base URL names it by address). The address check is made on the address
    actually connected to (GuardedAdapter), so a name cannot resolve one way for the check and
    another way for the connection.
    """

    allowed_hosts: frozenset[str]
    allowed_addresses: frozenset[IPAddress] = frozenset()
    allow_private: bool = False

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be requested (None = fine), from the URL alone."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https"):
            return f"scheme {parts.scheme or 'missing'} refused"
        if not host:
            return "link without a host refused"
        if host not in self.allowed_hosts:
            return f"link to other host {host} refused"
        address = _literal(host)
        if address is not None:
            return self.address_refusal(str(address))
        if (host == "localhost" or host.endswith(".localhost")) and not self._inward_allowed(
            _LOCALHOST_ADDRESSES
        ):
            return f"link to {host} refused"
        return None

    def address_refusal(self, address: str) -> str | None:
        """Why connecting to `address` is refused (None = fine)."""
        parsed = _literal(address.split("%", 1)[0])
        if parsed is None:
            return f"address {address} refused: not an IP address"
        if self.allow_private or parsed in self.allowed_addresses:
            return None
        kind = _inward_kind(parsed)
        return None if kind is None else f"{kind} address {parsed} refused"

    def _inward_allowed(self, addresses: frozenset[IPAddress]) -> bool:
        return self.allow_private or bool(addresses & self.allowed_addresses)


def guard_for(source: Source, base_url: str) -> LinkGuard:
    """The guard of `source` read at `base_url`: its hosts; inward addresses only where the base
    URL names one (a local wire site at 127.0.0.1:8765, or localhost) or the source allows them."""
    base_host = (urlsplit(base_url).hostname or "").lower().rstrip(".")
    allowed: frozenset[IPAddress] = frozenset()
    literal = _literal(base_host)
    if literal is not None:
        allowed = frozenset({literal})
    elif base_host == "localhost" or base_host.endswith(".localhost"):
        allowed = _LOCALHOST_ADDRESSES
    return LinkGuard(
        allowed_hosts=frozenset(h.lower().rstrip(".") for h in source.hosts_for(base_url)),
        allowed_addresses=allowed,
        allow_private=source.allow_private_addresses,
    )


def _connect_checked(conn: HTTPConnection, guard: LinkGuard) -> socket.socket:
    """Resolve the host once, connect only to an address the guard accepts (what urllib3's own
    `_new_conn` does, with the check between resolving and connecting)."""
    host, port = conn.host, conn.port
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(host, conn, exc) from exc
    refusals: list[str] = []
    failure: OSError | None = None
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        refused = guard.address_refusal(address)
        if refused is not None:
            refusals.append(refused)
            continue
        try:
            return create_connection(
                (address, port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                conn, f"Connection to {host} timed out. (connect timeout={conn.timeout})"
            ) from exc
        except OSError as exc:
            failure = exc
    if failure is not None:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {failure}")
    raise _AddressRefused(f"{host} resolves to a refused address: {'; '.join(refusals)}")


def _pool_classes(guard: LinkGuard) -> dict[str, type[HTTPConnectionPool]]:
    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect_checked(self, guard)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _connect_checked(self, guard)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    """A requests transport that asks the guard about every request's URL before sending it and
    about the peer address before connecting. Every request of a guarded session goes through it:
    listing pages, each redirect hop (fetches follow redirects themselves), robots.txt."""

    def __init__(self, guard: LinkGuard, **kwargs: Any) -> None:
        self.guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.guard)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # Through a proxy the proxy picks the address: the check above could not hold.
        raise LinkRefused(f"proxy {proxy} refused: the link guard checks the address connected to")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        refused = self.guard.refusal(request.url or "")
        if refused is not None:
            raise LinkRefused(refused, request=request)
        try:
            return super().send(request, *args, **kwargs)
        except _AddressRefused as exc:
            raise LinkRefused(str(exc), request=request) from exc
