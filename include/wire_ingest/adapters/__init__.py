"""Site adapters by name, and the page reader a feed's declared adapter implies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from wire_ingest.models import Article

ADAPTER_NAMES = ("china_org_cn", "news_cn")  # "" / None in the config: the generic extractor


class PageReader(Protocol):
    def __call__(
        self, html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article: ...


def page_reader(
    adapter: str | None, *, feed: str, timezone: str = "UTC", agency: str = ""
) -> PageReader:
    """Reads one landed page of `feed` into an Article (raises parse.NotAnArticle)."""
    from wire_ingest import parse

    def china_org_cn(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        return parse.parse_article(html, url, feed=feed, charset=charset, raw_ref=raw_ref)

    def news_cn(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        from wire_ingest.adapters import news_cn as adapter_module

        return adapter_module.parse_article(html, url, feed=feed, charset=charset, raw_ref=raw_ref)

    def generic(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        return parse.generic_article(
            html, url, feed=feed, charset=charset, raw_ref=raw_ref, timezone=timezone, source=agency
        )

    readers: dict[str, Callable[..., Article]] = {
        "china_org_cn": china_org_cn,
        "news_cn": news_cn,
    }
    if not adapter:
        return generic
    if adapter not in readers:
        raise ValueError(f"unknown adapter {adapter!r} (known: {', '.join(ADAPTER_NAMES)})")
    reader: PageReader = readers[adapter]
    return reader


def reader_for_feed(feed: str) -> PageReader:
    """The page reader of a feed declared in sources.toml; undeclared feeds use china_org_cn."""
    from wire_ingest import sources

    declared = sources.load_sources().get(feed)
    if declared is None:
        return page_reader("china_org_cn", feed=feed)
    return page_reader(
        declared.adapter, feed=feed, timezone=declared.timezone, agency=declared.agency
    )
