"""The link guard: which URLs may be fetched at all (no request forgery through pages)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


def is_local_source(base_url: str) -> bool:
    """A source on this machine or a private network (the local wire site), not the internet."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def link_refusal(url: str, *, allowed_hosts: Iterable[str], local_source: bool) -> str | None:
    """Why a discovered link must not be fetched (None = fine): no request forgery via pages.

    Only http(s) links to the source's own hosts pass; when the source is not local, IP literals
    and localhost names are refused even if listed, so a crafted page cannot aim us inward.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or 'missing'} refused"
    if not host:
        return "link without a host refused"
    if not local_source:
        if host == "localhost" or host.endswith(".localhost"):
            return f"link to {host} refused"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            kind = "private address" if address.is_private or address.is_loopback else "IP literal"
            return f"link to {kind} {host} refused"
    if host not in {h.lower() for h in allowed_hosts}:
        return f"link to other host {host} refused"
    return None
