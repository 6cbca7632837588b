"""URL facts for wire pages: canonical form, stable article id, page date, section and host."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Hosts that name the same site; the value is the one we keep.
HOST_ALIASES = {
    "china.org.cn": "www.china.org.cn",
    "news.cn": "english.news.cn",
}
# Real sites serve https; links to them circulate with both schemes, so we pin one.
HTTPS_SITE_DOMAINS = ("china.org.cn", "news.cn")
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from, never which page it is.
TRACKING_PARAMS = frozenset(
    {
        "spm",
        "from",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "share",
        "isappinstalled",
        "scene",
        "clicktime",
        "enterid",
        "from_source",
    }
)
TRACKING_PREFIXES = ("utm_",)

# Junk that sticks to URLs copied out of prose: whitespace, closing bracket, comma, full stop, %20.
_TRAILING_JUNK = re.compile(r"(?:\s|%20|[),.])+$", re.IGNORECASE)
# A later page of a split article: content_N_2.htm -> content_N.htm (same for .shtml).
_CONTINUATION_PAGE = re.compile(r"/(content_\d+)_\d+(\.s?html?)$", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _is_local_host(host: str) -> bool:
    """Loopback names and IP literals: the local wire site, whose scheme we must not change."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_https_site(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in HTTPS_SITE_DOMAINS)


def host_of(url: str) -> str:
    """The URL's host name, lower-cased, without port or user info ("" if it has none)."""
    return (urlsplit(url.strip()).hostname or "").rstrip(".")


def canonical_url(url: str) -> str:
    """One spelling per page, so the same article found via different links gets one id."""
    cleaned = _TRAILING_JUNK.sub("", url.strip())
    if cleaned.startswith("//"):
        cleaned = "http:" + cleaned
    elif not _HAS_SCHEME.match(cleaned) and "." in cleaned.split("/", 1)[0]:
        cleaned = "http://" + cleaned  # "www.china.org.cn/..." as pasted from a browser bar
    parts = urlsplit(cleaned)
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").rstrip(".")
    host = HOST_ALIASES.get(host, host)
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep nothing rather than fail the whole URL
        port = None
    if port is not None and port == DEFAULT_PORTS.get(scheme):
        port = None
    if _is_https_site(host) and not _is_local_host(host):
        if scheme == "http" and port is None:
            scheme = "https"
        elif scheme == "http" and port == DEFAULT_PORTS["https"]:
            scheme, port = "https", None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    path = _CONTINUATION_PAGE.sub(r"/\1\2", parts.path or "/")
    query = urlencode(sorted(_kept_query(parts.query)))
    return urlunsplit((scheme, netloc, path, query, ""))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _kept_query(query: str) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if not _is_tracking(name)
    ]


def without_tracking(url: str) -> str:
    """The URL without the query parameters that only say where a click came from (utm_*,
    fbclid, ...), otherwise as it was: one page linked with and without them is fetched once."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    return urlunsplit(parts._replace(query=urlencode(_kept_query(parts.query))))


def article_id(canonical: str) -> str:
    """A stable id for an article: the first 20 hex digits of the canonical URL's sha256."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


def section_from_url(url: str) -> str:
    """The first folder of the path ("world", "china", ...), lower-cased; "" for a top-level file."""
    segments = urlsplit(url.strip()).path.split("/")
    # segments[0] is "" (before the leading slash); a section is a folder, so it needs a segment after it.
    if len(segments) < 3 or not segments[1]:
        return ""
    return segments[1].lower()


_CONTENT_NUMBER = re.compile(r"/content_(\d+)(?:_\d+)?\.s?html?$", re.IGNORECASE)


def publication_key(url: str) -> tuple[str, int, str]:
    """Sort key that puts an earlier-published page first: page date, then content id (ids grow
    over time on the site), then the URL itself as a tie-breaker."""
    page_date = url_date(url)
    match = _CONTENT_NUMBER.search(urlsplit(url).path)
    number = int(match.group(1)) if match else sys.maxsize
    return (page_date.isoformat() if page_date else "", number, url)


# A listing named node_N.htm is page 1; its page K is node_N_K.htm (china.org.cn's paging).
LISTING_PAGE_NAME = re.compile(r"^(?P<stem>.*/node_\d+)(?:_(?P<page>\d+))?(?P<ext>\.s?html?)$")


def listing_page_number(url: str) -> int | None:
    """The page number a node_N[_K].htm listing URL names, or None for another name."""
    match = LISTING_PAGE_NAME.match(urlsplit(url).path)
    if match is None:
        return None
    return int(match["page"]) if match["page"] else 1


def listing_page_url(url: str, page: int) -> str | None:
    """Page `page` of the node_N[_K].htm listing that `url` is a page of (None for another name)."""
    parts = urlsplit(url)
    match = LISTING_PAGE_NAME.match(parts.path)
    if match is None:
        return None
    name = match["stem"] + (f"_{page}" if page > 1 else "") + match["ext"]
    return parts._replace(path=name, query="", fragment="").geturl()


# /2020-12/23/, /2020/12/23/, /2020-12-23/, /20201223/ (english.news.cn) in a URL path.
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})(?:-(?P<m1>\d{2})/(?P<d1>\d{2})|/(?P<m2>\d{2})/(?P<d2>\d{2})"
    r"|-(?P<m3>\d{2})-(?P<d3>\d{2})|(?P<m4>\d{2})(?P<d4>\d{2}))(?=/)"
)


def url_date(url: str) -> dt.date | None:
    """The date a URL's path carries (/2020-12/23/, /2020/12/23/, /2020-12-23/, /20201223/)."""
    for match in _URL_DATE.finditer(urlsplit(url.strip()).path + "/"):
        month = next(match[g] for g in ("m1", "m2", "m3", "m4") if match[g])
        day = next(match[g] for g in ("d1", "d2", "d3", "d4") if match[g])
        try:
            return dt.date(int(match["y"]), int(month), int(day))
        except ValueError:
            continue
    return None


def same_url_key(url: str) -> str:
    """http and https copies of a link circulate, with and without tracking parameters: they
    are one URL for de-duplication."""
    parts = urlsplit(without_tracking(url))
    return f"{(parts.hostname or '').lower()}{parts.path}?{parts.query}"
