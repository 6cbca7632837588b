"""Table tests for URL canonicalisation, article ids, page dates, sections and hosts."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from wire_ingest import urls

ARTICLE = "https://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (ARTICLE, ARTICLE),
        # scheme and host case, http -> https for the real site, host alias
        ("http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        ("HTTP://WWW.China.ORG.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        ("http://china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        ("https://china.org.cn./world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        # default ports
        ("http://www.china.org.cn:80/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        (
            "https://www.china.org.cn:443/world/Off_the_Wire/2020-12/23/content_77042187.htm",
            ARTICLE,
        ),
        # fragment and tracking parameters
        (
            "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm#comments",
            ARTICLE,
        ),
        (
            "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"
            "?utm_source=twitter&utm_medium=social&spm=a.b.c&from=timeline&fbclid=X1&gclid=Y2",
            ARTICLE,
        ),
        # continuation pages of a split article
        ("http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187_2.htm", ARTICLE),
        ("http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187_13.htm", ARTICLE),
        (
            "http://www.china.org.cn/world/Off_the_Wire/2025-04/30/content_117852410_2.shtml",
            "https://www.china.org.cn/world/Off_the_Wire/2025-04/30/content_117852410.shtml",
        ),
        # .shtml is kept as is
        (
            "http://www.china.org.cn/world/Off_the_Wire/2025-04/30/content_117852410.shtml",
            "https://www.china.org.cn/world/Off_the_Wire/2025-04/30/content_117852410.shtml",
        ),
        # trailing junk from links copied out of prose
        (f"  {ARTICLE}  \n", ARTICLE),
        (f"{ARTICLE})", ARTICLE),
        (f"{ARTICLE}),", ARTICLE),
        (f"{ARTICLE}.", ARTICLE),
        (f"{ARTICLE}%20", ARTICLE),
        (f"{ARTICLE}%20).", ARTICLE),
        # scheme-less links
        ("//www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        ("www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm", ARTICLE),
        # other query parameters are kept, sorted
        (
            "http://www.china.org.cn/world/node_7075238.htm?page=2&utm_campaign=x&a=1",
            "https://www.china.org.cn/world/node_7075238.htm?a=1&page=2",
        ),
        # listing pages are not continuation pages
        (
            "http://www.china.org.cn/world/node_7075238_2.htm",
            "https://www.china.org.cn/world/node_7075238_2.htm",
        ),
        ("http://www.china.org.cn", "https://www.china.org.cn/"),
        # the local wire site: scheme and port are kept, everything else still applies
        (
            "http://127.0.0.1:8765/world/Off_the_Wire/2020-12/23/content_77042187_2.htm?utm_source=a#x",
            "http://127.0.0.1:8765/world/Off_the_Wire/2020-12/23/content_77042187.htm",
        ),
        ("http://LOCALHOST:8080/world/x.htm", "http://localhost:8080/world/x.htm"),
        ("http://127.0.0.1:80/world/x.htm", "http://127.0.0.1/world/x.htm"),
        ("http://[::1]:8765/world/x.htm", "http://[::1]:8765/world/x.htm"),
        # english.news.cn: https, path untouched
        (
            "http://english.news.cn/20251231/0123456789abcdef0123456789abcdef/c.html",
            "https://english.news.cn/20251231/0123456789abcdef0123456789abcdef/c.html",
        ),
        # unrelated hosts keep their scheme
        ("http://example.com/a.htm?b=2&a=1", "http://example.com/a.htm?a=1&b=2"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert urls.canonical_url(raw) == canonical


def test_canonical_url_is_idempotent() -> None:
    messy = "http://China.org.cn:80/world/Off_the_Wire/2020-12/23/content_77042187_2.htm?utm_source=x#y)."
    once = urls.canonical_url(messy)
    assert urls.canonical_url(once) == once == ARTICLE


def test_article_id_is_sha256_prefix_and_stable() -> None:
    expected = hashlib.sha256(ARTICLE.encode()).hexdigest()[:20]
    assert urls.article_id(ARTICLE) == expected
    assert len(expected) == 20
    other = ARTICLE.replace("77042187", "77042188")
    assert urls.article_id(other) != expected


def test_same_article_via_different_links_gets_one_id() -> None:
    links = [
        "http://china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm",
        "https://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187_2.htm?spm=1",
    ]
    assert {urls.article_id(urls.canonical_url(link)) for link in links} == {
        urls.article_id(ARTICLE)
    }


@pytest.mark.parametrize(
    ("url", "day"),
    [
        (ARTICLE, dt.date(2020, 12, 23)),
        ("http://127.0.0.1:9/china/Off_the_Wire/2019-01/05/content_1.htm", dt.date(2019, 1, 5)),
        (
            "https://www.china.org.cn/world/Off_the_Wire/2025-04/30/content_1.shtml",
            dt.date(2025, 4, 30),
        ),
        (
            "https://www.china.org.cn/world/Off_the_Wire/2021-02/30/content_1.htm",
            None,
        ),  # no such day
        ("https://www.china.org.cn/world/node_7075238.htm", None),
        ("https://www.china.org.cn/?d=/2020-12/23/", None),  # only the path counts
    ],
)
def test_page_date_from_url(url: str, day: dt.date | None) -> None:
    assert urls.url_date(url) == day


@pytest.mark.parametrize(
    ("url", "section"),
    [
        (ARTICLE, "world"),
        ("http://127.0.0.1:9/china/Off_the_Wire/2019-01/05/content_1.htm", "china"),
        ("https://www.china.org.cn/World/node_7075238.htm", "world"),
        ("https://www.china.org.cn/index.htm", ""),
        ("https://www.china.org.cn/", ""),
        ("https://www.china.org.cn", ""),
    ],
)
def test_section_from_url(url: str, section: str) -> None:
    assert urls.section_from_url(url) == section


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (ARTICLE, "www.china.org.cn"),
        ("http://China.org.cn/x", "china.org.cn"),
        ("http://127.0.0.1:8765/world/x.htm", "127.0.0.1"),
        ("http://user:pw@Example.COM:8080/", "example.com"),
        ("not a url", ""),
    ],
)
def test_host_of(url: str, host: str) -> None:
    assert urls.host_of(url) == host


def test_publication_key_orders_by_day_then_content_id() -> None:
    from wire_ingest.urls import publication_key

    world = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77041900.htm"
    china = "http://www.china.org.cn/china/Off_the_Wire/2020-12/23/content_77042100.htm"
    next_day = "http://www.china.org.cn/china/Off_the_Wire/2020-12/24/content_77041000.htm"
    # /china/ sorts before /world/ as text, but the world page was published first
    assert sorted([next_day, china, world], key=publication_key) == [world, china, next_day]


def test_tracking_parameters_do_not_make_another_url() -> None:
    from wire_ingest.urls import same_url_key, without_tracking

    plain = "http://127.0.0.1:8765/world/Off_the_Wire/2020-12/23/content_1.htm"
    tagged = plain + "?utm_source=rss&utm_medium=feed&fbclid=x"
    assert without_tracking(tagged) == plain
    assert without_tracking(plain + "?id=3&utm_source=rss") == plain + "?id=3"
    assert without_tracking(plain) == plain
    assert same_url_key(tagged) == same_url_key(plain)
    assert same_url_key(plain + "?id=3") != same_url_key(plain)
