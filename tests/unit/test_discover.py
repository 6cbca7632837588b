"""Listing parsing and the newest-first walk over a handcrafted listing on loopback HTTP."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wire_ingest.adapters.china_org_cn import article_page_date, parse_listing
from wire_ingest.discover.listings import listing_reader
from wire_ingest.discover.walker import DiscoveryResult, walk_listing
from wire_ingest.http.fetch import make_session
from wire_ingest.http.ratelimit import RateLimiter
from wire_ingest.http.robots import RobotsRules
from wire_ingest.landing import LandingWriter, iter_landed
from wire_ingest.settings import FetchSettings
from wire_ingest.sources import get_source

LIVE = "http://www.china.org.cn"
DAY = dt.date(2020, 12, 23)


def article(day: dt.date, content_id: int, section: str = "world") -> str:
    return f"{LIVE}/{section}/Off_the_Wire/{day:%Y-%m}/{day:%d}/content_{content_id}.htm"


def listing_html(links: list[tuple[str, str]], pagination: str | None) -> bytes:
    items = "\n".join(f'<li><a href="{href}">{title}</a></li>' for href, title in links)
    autopage = f'<div id="autopage"><center>{pagination}</center></div>' if pagination else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Off the Wire</title></head>
<body><div class="wrapper">
<div class="sidebar"><ul><li><a href="{article(DAY, 1)}">sidebar story</a></li></ul></div>
<div class="columns1 clearfix"><ul>{items}</ul>{autopage}</div>
</div></body></html>""".encode()


def test_parse_listing_items_and_pagination() -> None:
    page_url = f"{LIVE}/world/node_7075238_2.htm"
    html = listing_html(
        [
            (article(DAY, 76990001), "  Absolute \n link  "),
            ("Off_the_Wire/2020-12/23/content_76990002.htm", "Relative link"),
            (
                "/china/Off_the_Wire/2020-12/22/content_76990003.shtml#top",
                "Root-relative, other section",
            ),
            (
                "https://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_76990001.htm",
                "https twin",
            ),
            ("/world/Off_the_Wire/2020-12/23/content_76990004_2.htm", "Second page of a story"),
            ("/world/node_7075238.htm", "A listing, not an article"),
            ("/world/Off_the_Wire/2020-02/30/content_76990005.htm", "No such date"),
            ("/world/Off_the_Wire/2020-12/23/photo_76990006.htm", "Not a content page"),
            ("http://www.china.org.cn/english/index.htm", "Home"),
            ("javascript:void(0)", "Script"),
        ],
        '<a href="node_7075238.htm">1</a> <span>2</span> '
        '<a href="node_7075238_3.htm">3</a> <a href="node_7075238_4.htm">4</a> '
        '<a href="node_7075238_3.htm">Next</a>',
    )
    listing = parse_listing(html, page_url)
    assert listing.page_number == 2
    assert listing.next_url == f"{LIVE}/world/node_7075238_3.htm"
    assert not listing.next_is_guess
    assert [(item.url, item.title, item.page_date) for item in listing.items] == [
        (article(DAY, 76990001), "Absolute link", "2020-12-23"),
        (
            f"{LIVE}/world/Off_the_Wire/2020-12/23/content_76990002.htm",
            "Relative link",
            "2020-12-23",
        ),
        (
            f"{LIVE}/china/Off_the_Wire/2020-12/22/content_76990003.shtml",
            "Root-relative, other section",
            "2020-12-22",
        ),
        (
            f"{LIVE}/world/Off_the_Wire/2020-12/23/content_76990004_2.htm",
            "Second page of a story",
            "2020-12-23",
        ),
    ]
    assert {item.listing_page for item in listing.items} == {2}


def test_parse_listing_last_page_has_no_next() -> None:
    html = listing_html(
        [(article(DAY, 5), "x")],
        '<a href="node_1.htm">1</a> <a href="node_1_2.htm">2</a> <span>3</span>',
    )
    listing = parse_listing(html, f"{LIVE}/world/node_1_3.htm")
    assert (listing.page_number, listing.next_url) == (3, None)


def test_parse_listing_without_pagination_guesses_from_page_names() -> None:
    html = listing_html([(article(DAY, 5), "x")], None)
    first = parse_listing(html, f"{LIVE}/world/node_7075238.htm")
    assert (first.page_number, first.next_url, first.next_is_guess) == (
        1,
        f"{LIVE}/world/node_7075238_2.htm",
        True,
    )
    third = parse_listing(html, f"{LIVE}/world/node_7075238_3.htm")
    assert (third.page_number, third.next_url) == (3, f"{LIVE}/world/node_7075238_4.htm")
    assert parse_listing(html, f"{LIVE}/world/index.htm").next_url is None


def test_parse_listing_of_garbage_is_empty() -> None:
    assert parse_listing(b"", f"{LIVE}/world/node_1.htm").items == []
    assert (
        parse_listing(b"<html><body><p>maintenance</p></body></html>", f"{LIVE}/x.htm").items == []
    )


def test_article_page_date() -> None:
    assert article_page_date(article(DAY, 1)) == "2020-12-23"
    assert (
        article_page_date(f"{LIVE}/world/Off_the_Wire/2025-04/28/content_117.shtml") == "2025-04-28"
    )
    assert (
        article_page_date(f"{LIVE}/world/Off_the_Wire/2025-04/28/content_117.html") == "2025-04-28"
    )
    assert article_page_date(f"{LIVE}/world/node_7075238.htm") is None
    assert article_page_date(f"{LIVE}/world/Off_the_Wire/2025-13/28/content_117.htm") is None


class StaticSite:
    """Serves fixed pages on loopback (anything else is 404) and logs requested paths."""

    def __init__(self, pages: dict[str, tuple[int, bytes]]) -> None:
        self.pages = pages
        self.requested: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                status, body = site.pages.get(self.path, (404, b"<html>not found</html>"))
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


Serve = Callable[[dict[str, tuple[int, bytes]]], "StaticSite"]


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[StaticSite] = []

    def start(pages: dict[str, tuple[int, bytes]]) -> StaticSite:
        site = StaticSite(pages)
        threading.Thread(target=site.server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(site)
        return site

    yield start
    for site in started:
        site.server.shutdown()
        site.server.server_close()


def nav(current: int, last: int, stem: str = "node_1") -> str:
    parts = []
    for number in range(1, last + 1):
        name = f"{stem}.htm" if number == 1 else f"{stem}_{number}.htm"
        parts.append(
            f"<span>{number}</span>" if number == current else f'<a href="{name}">{number}</a>'
        )
    return " ".join(parts)


D = DAY
BEFORE = dt.timedelta(days=1)
# Newest first; story 104 shifted from page 1 to page 2 while we walked (it appears on both).
LISTING = {
    "/world/node_1.htm": [(D + BEFORE, 101), (D + BEFORE, 102), (D, 103), (D, 104)],
    "/world/node_1_2.htm": [(D, 104), (D, 105), (D - BEFORE, 106)],
    "/world/node_1_3.htm": [(D - BEFORE, 107), (D - 2 * BEFORE, 108)],
    "/world/node_1_4.htm": [(D - 2 * BEFORE, 109), (D - 3 * BEFORE, 110)],
}


def listing_pages(stories: dict[str, list[tuple[dt.date, int]]]) -> dict[str, tuple[int, bytes]]:
    last = len(stories)
    return {
        path: (
            200,
            listing_html([(article(day, cid), f"story {cid}") for day, cid in items], nav(n, last)),
        )
        for n, (path, items) in enumerate(stories.items(), start=1)
    }


def settings(**changes: object) -> FetchSettings:
    base: dict[str, object] = {
        "max_requests_per_second": 0.0,
        "max_attempts": 1,
        "read_timeout": 2.0,
    }
    base.update(changes)
    return FetchSettings(**base)  # type: ignore[arg-type]


def walk(
    site: StaticSite,
    day: dt.date,
    fetch_settings: FetchSettings | None = None,
    writer: LandingWriter | None = None,
    listing_path: str = "/world/node_1.htm",
    obey_robots: bool = False,
) -> DiscoveryResult:
    fetch_settings = fetch_settings or settings()
    with make_session(fetch_settings) as session:
        limiter = RateLimiter(0)
        robots = RobotsRules(session=session, settings=fetch_settings, limiter=limiter)
        return walk_listing(
            f"{site.base}/{listing_path.lstrip('/')}",
            day,
            read_listing=listing_reader(get_source("china_org_cn")),
            session=session,
            settings=fetch_settings,
            limiter=limiter,
            writer=writer,
            refuse=robots.check if obey_robots else None,
        )


def ids(result: DiscoveryResult) -> list[int]:
    return [int(item.url.rsplit("_", 1)[1].split(".")[0]) for item in result.items]


def test_walk_stops_at_first_page_entirely_older_than_the_day(serve: Serve, tmp_path: Path) -> None:
    site = serve(listing_pages(LISTING))
    with LandingWriter(tmp_path.as_uri(), feed="t", day=D, kind="listing", run_id="r") as writer:
        result = walk(site, D, writer=writer)
    assert result.errors == []
    assert ids(result) == [103, 104, 105]
    assert [item.listing_page for item in result.items] == [1, 1, 2]
    assert {item.page_date for item in result.items} == {"2020-12-23"}
    assert result.pages_fetched == 3
    assert site.requested == ["/world/node_1.htm", "/world/node_1_2.htm", "/world/node_1_3.htm"]
    landed = list(iter_landed(writer.url))
    assert [page.url for page in landed] == [site.base + path for path in site.requested]
    assert [page.raw_ref for page in landed] == result.raw_refs


def test_walk_for_the_newest_day_reads_two_pages(serve: Serve) -> None:
    site = serve(listing_pages(LISTING))
    result = walk(site, D + BEFORE)
    assert (ids(result), result.pages_fetched, result.errors) == ([101, 102], 2, [])


def test_walk_to_the_end_of_the_listing(serve: Serve) -> None:
    site = serve(listing_pages(LISTING))
    result = walk(site, D - 2 * BEFORE)
    assert (ids(result), result.pages_fetched, result.errors) == ([108, 109], 4, [])


def test_day_newer_than_the_listing_reads_one_page(serve: Serve) -> None:
    site = serve(listing_pages(LISTING))
    result = walk(site, D + 5 * BEFORE)
    assert (result.items, result.pages_fetched, result.errors) == ([], 1, [])


def test_page_limit_is_reported(serve: Serve) -> None:
    site = serve(listing_pages(LISTING))
    result = walk(site, D - 2 * BEFORE, settings(max_listing_pages=2))
    assert result.pages_fetched == 2
    assert len(result.errors) == 1 and "max_listing_pages=2" in result.errors[0]


def test_failed_listing_page_is_an_error_and_ends_the_walk(serve: Serve, tmp_path: Path) -> None:
    pages = listing_pages(LISTING)
    pages["/world/node_1_2.htm"] = (500, b"<html>oops</html>")
    site = serve(pages)
    with LandingWriter(tmp_path.as_uri(), feed="t", day=D, kind="listing", run_id="r") as writer:
        result = walk(site, D, writer=writer)
    assert ids(result) == [103, 104]
    assert result.pages_fetched == 2
    assert result.errors == [
        f"listing page 2 ({site.base}/world/node_1_2.htm): HTTP 500 Internal Server Error"
    ]
    assert [page.status for page in iter_landed(writer.url)] == [200, 500]


def test_page_without_article_links_is_an_error(serve: Serve) -> None:
    site = serve({"/world/node_1.htm": (200, b"<html><body><p>We have moved.</p></body></html>")})
    result = walk(site, D)
    assert result.items == [] and result.pages_fetched == 1
    assert result.errors == [
        f"listing {site.base}/world/node_1.htm has no article links: check `wire_listing_path`"
    ]


def test_walk_without_pagination_follows_page_names_until_404(serve: Serve) -> None:
    site = serve(
        {
            "/world/node_9.htm": (200, listing_html([(article(D, 201), "a")], None)),
            "/world/node_9_2.htm": (200, listing_html([(article(D, 202), "b")], None)),
        }
    )
    result = walk(site, D, listing_path="world/node_9.htm")
    assert (ids(result), result.errors) == ([201, 202], [])
    assert result.pages_fetched == 3
    assert site.requested[-1] == "/world/node_9_3.htm"


def test_robots_txt_is_asked_for_every_listing_page(serve: Serve) -> None:
    pages = listing_pages(LISTING)
    pages["/robots.txt"] = (200, b"User-agent: *\nDisallow: /world/node_1_3.htm\n")
    site = serve(pages)
    result = walk(site, D - 2 * BEFORE, obey_robots=True)  # the day starts on page 3
    assert result.items == [] and result.pages_fetched == 2
    assert result.errors == [
        f"listing page 3 ({site.base}/world/node_1_3.htm): disallowed by robots.txt of "
        f"{site.base.removeprefix('http://')}"
    ]
    assert site.requested == ["/robots.txt", "/world/node_1.htm", "/world/node_1_2.htm"]
