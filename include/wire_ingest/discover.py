"""Discovery: walk the section listing newest first and collect one day's article links."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import requests
from lxml.etree import ParserError

from wire_ingest.fetch import HostLimiter, fetch_page, land_page
from wire_ingest.models import ListingItem
from wire_ingest.settings import FetchSettings
from wire_ingest.storage import LandingWriter

# /<section>/Off_the_Wire/YYYY-MM/DD/content_N[_K].htm|.html|.shtml; the path carries the page date.
ARTICLE_PATH = re.compile(
    r"^/(?P<section>[^/]+)/Off_the_Wire/(?P<year>\d{4})-(?P<month>\d{2})/(?P<day>\d{2})"
    r"/content_\d+(?:_\d+)?\.s?html?$"
)
# node_N.htm is page 1 of a listing, node_N_K.htm its page K.
LISTING_PAGE_NAME = re.compile(r"^(?P<stem>.*/node_\d+)(?:_(?P<page>\d+))?(?P<ext>\.s?html?)$")

_CLASS_COLUMNS1 = "contains(concat(' ', normalize-space(@class), ' '), ' columns1 ')"
ITEM_LINKS_XPATH = f"//*[{_CLASS_COLUMNS1}]/ul/li/a[@href]"
PAGINATION_XPATH = f"//*[{_CLASS_COLUMNS1}]/*[@id='autopage']/center"


@dataclass(frozen=True, slots=True)
class ListingPage:
    """What one listing page offers: article links and the way to the next (older) page."""

    items: list[ListingItem]
    next_url: str | None
    page_number: int
    next_is_guess: bool = False  # next_url derived from the node_N_K naming, not from a link


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    items: list[ListingItem]  # unique by URL, in listing order
    pages_fetched: int
    errors: list[str]
    raw_refs: list[str] = field(default_factory=list)  # landed listing pages
    seen: list[ListingItem] = field(default_factory=list)  # every item of every page walked


def article_page_date(url: str) -> str | None:
    """The YYYY-MM-DD in an Off the Wire article URL's path, or None if it is not one."""
    match = ARTICLE_PATH.match(urlsplit(url).path)
    if match is None:
        return None
    try:
        day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return day.isoformat()


def _page_number_from_name(url: str) -> int | None:
    match = LISTING_PAGE_NAME.match(urlsplit(url).path)
    if match is None:
        return None
    return int(match["page"]) if match["page"] else 1


def _next_by_name(url: str) -> str | None:
    """node_N.htm -> node_N_2.htm, node_N_K.htm -> node_N_{K+1}.htm."""
    parts = urlsplit(url)
    match = LISTING_PAGE_NAME.match(parts.path)
    if match is None:
        return None
    next_page = (int(match["page"]) if match["page"] else 1) + 1
    path = f"{match['stem']}_{next_page}{match['ext']}"
    return parts._replace(path=path, query="", fragment="").geturl()


def _int_text(element: lxml.html.HtmlElement) -> int | None:
    text = element.text_content().strip()
    return int(text) if text.isdigit() else None


def _url_key(url: str) -> str:
    """http and https copies of a link circulate: they are one URL for de-duplication."""
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}{parts.path}?{parts.query}"


def parse_listing(html: bytes, page_url: str) -> ListingPage:
    """Article links and next-page URL of one listing page (DOM per the shared wire-site notes)."""
    named_page = _page_number_from_name(page_url)
    try:
        document = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return ListingPage(items=[], next_url=None, page_number=named_page or 1)

    pagination = document.xpath(PAGINATION_XPATH)
    current: int | None = None
    numbered_links: dict[int, str] = {}
    for center in pagination[:1]:
        for span in center.xpath(".//span"):
            current = current or _int_text(span)
        for link in center.xpath(".//a[@href]"):
            number = _int_text(link)
            if number is not None:
                numbered_links.setdefault(number, urljoin(page_url, link.get("href")))
    page_number = current or named_page or 1

    items: list[ListingItem] = []
    seen: set[str] = set()
    for link in document.xpath(ITEM_LINKS_XPATH):
        url, _fragment = urldefrag(urljoin(page_url, link.get("href").strip()))
        page_date = article_page_date(url)
        if page_date is None or _url_key(url) in seen:
            continue
        seen.add(_url_key(url))
        title = " ".join(link.text_content().split())
        items.append(
            ListingItem(url=url, title=title, page_date=page_date, listing_page=page_number)
        )

    if pagination:
        return ListingPage(items, numbered_links.get(page_number + 1), page_number)
    return ListingPage(items, _next_by_name(page_url), page_number, next_is_guess=True)


def listing_start_url(base_url: str, listing_path: str) -> str:
    return f"{base_url.rstrip('/')}/{listing_path.lstrip('/')}"


def discover_day(
    base_url: str,
    listing_path: str,
    day: dt.date,
    *,
    session: requests.Session,
    settings: FetchSettings,
    limiter: HostLimiter,
    writer: LandingWriter | None,
    start_url: str | None = None,
    refuse: Callable[[str], str | None] | None = None,
) -> DiscoveryResult:
    """Collect `day`'s article links, walking listing pages newest first only as far as needed.

    Stops at the first page whose items are all older than `day`, at the last page, or after
    settings.max_listing_pages (an error: the day may be incomplete). A page that fails to fetch
    or has no article links is an error and ends the walk; the caller decides what that means.
    `start_url` starts the walk at a later listing page (one known to hold only newer items).
    `refuse` says why a listing page may not be fetched (robots.txt), or None: a refused page is
    an error and ends the walk, like a failed one.
    """
    target = day.isoformat()
    found: dict[str, ListingItem] = {}
    errors: list[str] = []
    raw_refs: list[str] = []
    visited: set[str] = set()
    seen: list[ListingItem] = []
    url: str | None = start_url or listing_start_url(base_url, listing_path)
    url_is_guess = False
    pages_fetched = 0
    while url is not None:
        if pages_fetched >= settings.max_listing_pages:
            errors.append(
                f"stopped after max_listing_pages={settings.max_listing_pages} before reaching "
                f"items older than {target}; the day may be incomplete"
            )
            break
        visited.add(url)
        refusal = refuse(url) if refuse is not None else None
        if refusal is not None:
            errors.append(f"listing page {pages_fetched + 1} ({url}): {refusal}")
            break
        page = fetch_page(session, url, settings=settings, limiter=limiter)
        pages_fetched += 1
        if writer is not None:
            raw_ref = land_page(writer, page).raw_ref
            if raw_ref is not None:
                raw_refs.append(raw_ref)
        result = page.result
        if not result.ok:
            if url_is_guess and result.status == 404:
                break  # a guessed page past the end of the listing
            errors.append(f"listing page {pages_fetched} ({url}): {result.error}")
            break
        listing = parse_listing(page.body, result.final_url)
        if not listing.items:
            errors.append(
                f"listing page {pages_fetched} ({url}) has no article links: layout changed?"
            )
            break
        seen.extend(listing.items)
        for item in listing.items:
            if item.page_date == target:
                found.setdefault(_url_key(item.url), item)
        if all(item.page_date < target for item in listing.items):
            break
        url, url_is_guess = listing.next_url, listing.next_is_guess
        if url is not None and url in visited:
            errors.append(f"listing pagination loops back to {url}")
            break
    return DiscoveryResult(list(found.values()), pages_fetched, errors, raw_refs, seen)
