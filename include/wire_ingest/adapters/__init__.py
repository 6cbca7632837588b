"""Site adapters: the page reader a source's declared adapter implies (or the generic extractor)."""

from __future__ import annotations

from collections.abc import Callable

from wire_ingest.adapters.base import NotAnArticle, PageReader
from wire_ingest.models import Article
from wire_ingest.sources import Source

__all__ = [
    "ADAPTER_NAMES",
    "NotAnArticle",
    "PageReader",
    "page_reader",
    "reader_for_source",
    "related_links_reader",
]

ADAPTER_NAMES = ("china_org_cn", "news_cn")  # "" in sources.toml: the generic extractor


def page_reader(
    adapter: str | None, *, feed: str, timezone: str = "UTC", agency: str = ""
) -> PageReader:
    """Reads one landed page of `feed` into an Article (raises NotAnArticle)."""

    def china_org_cn(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        from wire_ingest.adapters import china_org_cn as site

        return site.parse_article(html, url, feed=feed, charset=charset, raw_ref=raw_ref)

    def news_cn(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        from wire_ingest.adapters import news_cn as site

        return site.parse_article(html, url, feed=feed, charset=charset, raw_ref=raw_ref)

    def generic(
        html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article:
        from wire_ingest.adapters import generic as extractor

        return extractor.generic_article(
            html, url, feed=feed, charset=charset, raw_ref=raw_ref, timezone=timezone, source=agency
        )

    readers: dict[str, PageReader] = {"china_org_cn": china_org_cn, "news_cn": news_cn}
    if not adapter:
        return generic
    if adapter not in readers:
        raise ValueError(f"unknown adapter {adapter!r} (known: {', '.join(ADAPTER_NAMES)})")
    return readers[adapter]


def reader_for_source(source: Source, *, feed: str | None = None) -> PageReader:
    """The page reader of a declared source (its adapter, time zone and agency)."""
    return page_reader(
        source.adapter, feed=feed or source.name, timezone=source.timezone, agency=source.agency
    )


def related_links_reader(adapter: str | None) -> Callable[[bytes, str], list[str]] | None:
    """What reads the links to other wire stories on an article page ((html, url) -> URLs), for
    adapters whose pages carry them (china.org.cn's "Off the wire" box); None for the others."""
    if adapter != "china_org_cn":
        return None
    from wire_ingest.adapters import china_org_cn as site

    return site.off_the_wire_links
