"""Listing page readers: a source's adapter reads the links, its paging style finds the next page."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from urllib.parse import urljoin

from wire_ingest import urls
from wire_ingest.models import ListingItem, ListingPage
from wire_ingest.sources import Source
from wire_ingest.text import decode_html

# (page body, the page's final URL, its number in the walk) -> the page's links and the next page
ListingReader = Callable[[bytes, str, int], ListingPage]


def listing_reader(source: Source) -> ListingReader:
    """How `source`'s listing pages are read: its adapter's reader, or every link matching its
    article URL pattern; the next page by its paging style (see sources.PAGING_STYLES)."""

    def read(body: bytes, url: str, number: int) -> ListingPage:
        page = _read_links(source, body, url, number)
        # A link with tracking parameters (utm_*, ...) is the plain page: judged and fetched so.
        plain = (dataclasses.replace(i, url=urls.without_tracking(i.url)) for i in page.items)
        items = [item for item in plain if source.is_article_url(item.url)]
        if source.paging == "single":
            return dataclasses.replace(page, items=items, next_url=None)
        if source.paging == "node_suffix" and not source.adapter:
            # the generic reader sees no pagination: the next page is guessed from the name
            guess = urls.listing_page_url(url, number + 1)
            return dataclasses.replace(page, items=items, next_url=guess, next_is_guess=True)
        return dataclasses.replace(page, items=items)

    return read


def _read_links(source: Source, body: bytes, url: str, number: int) -> ListingPage:
    if source.adapter == "china_org_cn":
        from wire_ingest.adapters import china_org_cn

        return china_org_cn.parse_listing(body, url)
    if source.adapter == "news_cn":
        from wire_ingest.adapters import news_cn

        return news_cn.parse_listing(body, url, page_number=number)
    return generic_listing(body, url, number)


def generic_listing(body: bytes, url: str, number: int) -> ListingPage:
    """Every link of a page that carries a date in its URL (the source's pattern filters them)."""
    import lxml.html

    document = lxml.html.document_fromstring(decode_html(body))
    found: dict[str, ListingItem] = {}
    for link in document.iter("a"):
        target = urls.canonical_url(urljoin(url, link.get("href") or ""))
        day = urls.url_date(target)
        if day is None or target in found:
            continue
        title = " ".join(link.text_content().split())
        found[target] = ListingItem(target, title, day.isoformat(), number)
    return ListingPage(list(found.values()), None, number)
