"""The second discovery path: same-day wire stories that fetched article pages link to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit

from wire_ingest import adapters, urls
from wire_ingest.http.guard import guard_for
from wire_ingest.landing import LandedPage
from wire_ingest.sources import Source


def related_articles(
    source: Source,
    day: dt.date,
    *,
    base_url: str,
    pages: Iterable[LandedPage],
    known: Iterable[str],
) -> list[str]:
    """Article URLs of `day` that the pages' "Off the wire" boxes link to and `known` lacks.

    Only links the listing could have given: the source's article URL pattern, the target day
    in the path, the site actually read (a local copy's pages may link to the real site, which
    is never fetched from it) and a URL the source's link guard lets through.
    """
    read_links = adapters.related_links_reader(source.adapter)
    if read_links is None:
        return []
    guard = guard_for(source, base_url)
    site = urlsplit(base_url).netloc.lower()
    seen = {urls.same_url_key(url) for url in known}
    found: dict[str, str] = {}
    for page in pages:
        if page.status != 200:
            continue
        for url in read_links(page.body, page.url):
            key = urls.same_url_key(url)
            if key in seen or key in found or urls.url_date(url) != day:
                continue
            if not source.is_article_url(url) or urlsplit(url).netloc.lower() != site:
                continue
            if guard.refusal(url) is None:
                found[key] = url
    return list(found.values())
