"""A full run (`steps.run_day`) against a local site serving the hand-written real-template pages."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps
from wire_ingest.warehouse import engines, tables

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "real_pages"
DAY = dt.date(2020, 12, 23)
LISTING_PATH = "/world/node_7075238.htm"
WRONG_LISTING_PATH = "/world/node_7075229.htm"


def _day_pages() -> dict[str, tuple[str, dict[str, Any]]]:
    """path -> (fixture name, golden) for every fixture served at an article URL of DAY."""
    served = {}
    for golden_path in sorted(PAGES.glob("*.expected.json")):
        golden = json.loads(golden_path.read_text("utf-8"))
        for url in [golden["url"], *golden.get("also_served_at", [])]:
            path = urlsplit(url).path
            if f"/Off_the_Wire/{DAY:%Y-%m/%d}/" in path:
                served[path] = (golden_path.name.removesuffix(".expected.json"), golden)
    return served


def _listing(paths: list[str]) -> bytes:
    """The Off the Wire listing in the site's template (`.columns1 > ul > li > a`), one page."""
    items = "".join(f'<li><a href="{p}">Story {i}</a></li>' for i, p in enumerate(paths))
    return (
        '<html><head><meta charset="utf-8"><title>Off the Wire - China.org.cn</title></head>'
        f'<body><div class="wrapper"><div class="columns1"><ul>{items}</ul>'
        '<div id="autopage"><center><span>1</span></center></div></div></div></body></html>'
    ).encode()


@pytest.fixture
def real_site() -> Iterator[tuple[str, dict[str, tuple[str, dict[str, Any]]]]]:
    pages = _day_pages()
    listing = _listing(sorted(pages))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == LISTING_PATH:
                body = listing
            elif path == WRONG_LISTING_PATH:  # a real page, but not the Off the Wire listing
                body = (PAGES / "homepage-at-article-url.html").read_bytes()
            elif path in pages:
                body = (PAGES / f"{pages[path][0]}.html").read_bytes()
            else:
                self.send_error(404)
                return
            # Every page answers 200, error pages included: that is what a soft 404 is.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # Given by address: a loopback source is local, so its links may point at 127.0.0.1.
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()


def test_a_run_loads_the_articles_and_refuses_error_pages_and_listings(
    tmp_path: Path,
    real_site: tuple[str, dict[str, tuple[str, dict[str, Any]]]],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    base_url, pages = real_site
    ctx = plan.plan_run(
        run_id="real-pages-1",
        target_day=DAY,
        base_url=base_url,
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    summary = steps.run_day(ctx)

    # A page that reads as an article alone but is one short text at many URLs ("in_a_run").
    refused = {
        path: g["refused"] if "refused" in g else g["in_a_run"]
        for path, (_, g) in pages.items()
        if "refused" in g or "in_a_run" in g
    }
    articles = {path: g for path, (_, g) in pages.items() if path not in refused}
    assert len(articles) >= 2 and len(refused) >= 10
    assert summary["status"] == "success"
    assert summary["discovered"] == len(pages)
    assert summary["loaded"] == len(articles)
    assert summary["parse_failed"] == len(refused)

    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            loaded = conn.execute(
                sa.select(tables.articles.c.url, tables.articles.c.title, tables.articles.c.source)
            ).all()
            rejects = conn.execute(
                sa.select(
                    tables.article_rejects.c.url,
                    tables.article_rejects.c.stage,
                    tables.article_rejects.c.reason,
                )
            ).all()
    finally:
        engine.dispose()
    assert {(urlsplit(url).path, title, source) for url, title, source in loaded} == {
        (path, g["article"]["title"], g["article"]["source"]) for path, g in articles.items()
    }
    assert {(urlsplit(url).path, stage, reason) for url, stage, reason in rejects} == {
        (path, "parse", reason) for path, reason in refused.items()
    }
    assert not any(title in {"Page Not Found", "China.org.cn", "Notice"} for _, title, _ in loaded)


def test_a_listing_without_article_links_fails_the_run_naming_the_listing_path_variable(
    tmp_path: Path,
    real_site: tuple[str, dict[str, tuple[str, dict[str, Any]]]],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    base_url, _ = real_site
    ctx = plan.plan_run(
        run_id="real-pages-wrong-node",
        target_day=DAY,
        base_url=base_url,
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    with pytest.raises(RuntimeError) as caught:
        steps.run_day(ctx, listing_path=WRONG_LISTING_PATH)
    assert str(caught.value) == (
        f"site_drift listing_no_links: discovery found no articles for {DAY}: "
        f"listing {base_url}{WRONG_LISTING_PATH} "
        "has no article links: check `wire_listing_path`"
    )


def test_off_the_wire_box_links_are_a_second_discovery_path(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing names one story; its "Off the wire" box names two more of the same day."""
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    day_path = f"/world/Off_the_Wire/{DAY:%Y-%m/%d}/"
    listed = f"{day_path}content_77042173.htm"  # its box: content_77041961, content_77041968
    served = {
        listed: PAGES / "sidebar-page-date-later-2020-12-23.html",
        f"{day_path}content_77041961.htm": PAGES / "standard-nbsp-abbrev-2020-12-23.html",
        f"{day_path}content_77041968.htm": PAGES.parent / "pages" / "seed-2020-12-23.html",
    }
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            fetched.append(path)
            if path == LISTING_PATH:
                body = _listing([listed])
            elif path in served:
                # The site's own absolute links, as the local site's: the box points here.
                body = served[path].read_bytes().replace(b"http://www.china.org.cn", base.encode())
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ctx = plan.plan_run(
            run_id="real-pages-box",
            target_day=DAY,
            base_url=base,
            warehouse_url=sqlite_url,
            landing_url=(tmp_path / "landing").as_uri(),
        )
        summary = steps.run_day(ctx)
    finally:
        server.shutdown()
        server.server_close()
    assert summary["status"] == "success"
    assert summary["discovered"] == 1
    assert summary["loaded"] == 3 and summary["rejected"] == 0
    # One round only: the pages found through a box are not followed further (the seed's own
    # box names stories this site does not serve, and none of them was asked for).
    assert sorted(p for p in fetched if "/Off_the_Wire/" in p) == sorted(served)
    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            titles = set(conn.execute(sa.select(tables.articles.c.title)).scalars())
    finally:
        engine.dispose()
    assert titles == {
        "Mexico reports 10,000 new COVID-19 cases",
        "Roundup: Europe tightens holiday curbs as infections climb",
        "Chinese FM stresses importance of stable China-Russia ties in turbulent world",
    }
