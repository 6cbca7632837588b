"""Fetching against a real HTTP server on loopback: retries, limits, redirects, landing."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wire_ingest.http.fetch import FetchedPage, fetch_all, fetch_page, make_session
from wire_ingest.http.ratelimit import RateLimiter
from wire_ingest.landing import LandingWriter, read_landed
from wire_ingest.settings import FetchSettings

HTML = "text/html; charset=utf-8"
PAGE = b"<html><body><p>BEIJING, Dec. 23 (Xinhua) -- A story. Enditem</p></body></html>"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = PAGE
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": HTML})
    delay: float = 0.0  # seconds before answering


@dataclass(frozen=True)
class Hit:
    at: float  # time.monotonic() on the server when the request arrived
    path: str
    headers: dict[str, str]


class LoopbackSite:
    """Scripted replies per path (the last one repeats) and a log of what was asked."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                reply = site.next_reply(self.path, dict(self.headers))
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.base + path

    def next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.hits.append(Hit(time.monotonic(), path, headers))
            replies = self.routes.get(path)
            if not replies:
                return Reply(404, b"<html>not here</html>")
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    served = LoopbackSite()
    thread = threading.Thread(target=served.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def quick_settings(**changes: object) -> FetchSettings:
    base = {
        "user_agent": "wire-ingest-test/1.0 (+loopback)",
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_attempts": 3,
        "backoff_factor": 0.01,
        "max_requests_per_second": 0.0,
        "concurrency": 4,
        "max_body_bytes": 100_000,
    }
    base.update(changes)
    return FetchSettings(**base)  # type: ignore[arg-type]


def fetch(url: str, settings: FetchSettings | None = None) -> FetchedPage:
    settings = settings or quick_settings()
    with make_session(settings) as session:
        return fetch_page(session, url, settings=settings, limiter=RateLimiter(0))


def test_ok_page_records_type_charset_and_identifies_itself(site: LoopbackSite) -> None:
    url = site.route("/a.htm", Reply(headers={"Content-Type": "text/html; charset=GB2312"}))
    page = fetch(url)
    result = page.result
    assert (result.ok, result.status, result.error, result.attempts) == (True, 200, None, 1)
    assert (result.url, result.final_url) == (url, url)
    assert (result.content_type, result.charset) == ("text/html", "gb2312")
    assert page.body == PAGE and page.complete and page.reason == "OK"
    assert dt.datetime.fromisoformat(result.fetched_at).tzinfo == dt.UTC
    assert site.hits_for("/a.htm")[0].headers["User-Agent"] == "wire-ingest-test/1.0 (+loopback)"
    assert page.request_headers["User-Agent"] == "wire-ingest-test/1.0 (+loopback)"


def test_503_is_retried_then_succeeds(site: LoopbackSite) -> None:
    url = site.route("/flaky.htm", Reply(503, b"busy"), Reply(503, b"busy"), Reply())
    result = fetch(url).result
    assert result.ok and result.status == 200
    assert result.attempts == 3
    assert len(site.hits_for("/flaky.htm")) == 3


def test_persistent_503_gives_up_after_max_attempts(site: LoopbackSite) -> None:
    url = site.route("/down.htm", Reply(503, b"<html>busy</html>"))
    page = fetch(url, quick_settings(max_attempts=3))
    assert not page.result.ok
    assert page.result.status == 503
    assert page.result.error == "HTTP 503 Service Unavailable"
    assert page.result.attempts == 3
    assert len(site.hits_for("/down.htm")) == 3
    assert page.body == b"<html>busy</html>" and page.complete  # landed as evidence


def test_429_retry_after_is_honoured(site: LoopbackSite) -> None:
    slow_down = Reply(429, b"slow down", {"Content-Type": "text/plain", "Retry-After": "1"})
    url = site.route("/limited.htm", slow_down, Reply())
    result = fetch(url).result
    assert result.ok and result.attempts == 2
    first, second = site.hits_for("/limited.htm")
    assert second.at - first.at >= 0.9  # backoff_factor alone would retry at once


def test_read_timeout_is_an_error_not_an_exception(site: LoopbackSite) -> None:
    url = site.route("/slow.htm", Reply(delay=0.8))
    page = fetch(url, quick_settings(read_timeout=0.2, max_attempts=2, backoff_factor=0.0))
    result = page.result
    assert not result.ok
    assert result.status is None
    assert result.error is not None and result.error.startswith("timeout")
    assert "\n" not in result.error
    assert result.attempts == 2
    assert len(site.hits_for("/slow.htm")) == 2


def test_connection_refused_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch(f"http://127.0.0.1:{port}/x.htm", quick_settings(max_attempts=2)).result
    assert not result.ok and result.status is None
    assert result.error is not None and result.error.startswith("connection error")
    assert result.attempts == 2


def test_body_size_cap(site: LoopbackSite) -> None:
    at_cap = site.route("/fits.htm", Reply(body=b"x" * 1000))
    over_cap = site.route("/big.htm", Reply(body=b"x" * 1001))
    settings = quick_settings(max_body_bytes=1000)
    assert fetch(at_cap, settings).result.ok
    page = fetch(over_cap, settings)
    assert not page.result.ok and page.result.status == 200
    assert page.result.error == "body exceeds 1000 bytes"
    assert page.body == b"" and not page.complete


def test_non_html_content_type_is_refused(site: LoopbackSite) -> None:
    pdf = site.route(
        "/doc.pdf", Reply(body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    )
    untyped = site.route("/untyped.htm", Reply(headers={}))
    xhtml = site.route("/x.htm", Reply(headers={"Content-Type": "application/xhtml+xml"}))
    page = fetch(pdf)
    assert not page.result.ok
    assert page.result.error == "content type application/pdf is not HTML"
    assert page.result.content_type == "application/pdf"
    assert fetch(untyped).result.error == "content type missing is not HTML"
    assert fetch(xhtml).result.ok


def test_redirect_to_other_host_is_refused(site: LoopbackSite) -> None:
    url = site.route("/moved.htm", Reply(302, b"", {"Location": "http://elsewhere.example/x.htm"}))
    result = fetch(url).result
    assert not result.ok
    assert result.status == 302
    assert result.error == "redirect to other host refused: elsewhere.example"
    assert result.final_url == url


def test_same_host_redirect_is_followed(site: LoopbackSite) -> None:
    old = site.route("/old.htm", Reply(301, b"", {"Location": "/new.htm"}))
    new = site.route("/new.htm", Reply())
    result = fetch(old).result
    assert result.ok and result.status == 200
    assert (result.url, result.final_url) == (old, new)
    assert result.attempts == 1  # a redirect hop is not a retry


def test_redirect_loop_is_cut_off(site: LoopbackSite) -> None:
    url = site.route("/loop.htm", Reply(302, b"", {"Location": "/loop.htm"}))
    result = fetch(url).result
    assert not result.ok and result.error == "more than 5 redirects"
    assert len(site.hits_for("/loop.htm")) == 6


def test_http_404_is_an_error_with_the_body_kept(site: LoopbackSite) -> None:
    page = fetch(site.base + "/missing.htm")
    assert not page.result.ok
    assert (page.result.status, page.result.error) == (404, "HTTP 404 Not Found")
    assert page.body == b"<html>not here</html>" and page.complete


def test_rate_limiter_reserves_slots_per_host() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.wait("a"), limiter.wait("a"), limiter.wait("a"), limiter.wait("b")]
    assert waits == [0.0, 0.25, 0.5, 0.0]
    assert slept == [0.25, 0.5]
    now[0] += 10  # idle time is not banked as a burst
    assert limiter.wait("a") == 0.0 and limiter.wait("a") == 0.25
    assert RateLimiter(0).wait("a") == 0.0
    with pytest.raises(ValueError):
        RateLimiter(-1)


def test_fetch_all_is_rate_limited_per_host(site: LoopbackSite, tmp_path: Path) -> None:
    urls = [site.route(f"/r{n}.htm", Reply()) for n in range(5)]
    settings = quick_settings(max_requests_per_second=5.0, concurrency=4)
    with LandingWriter(
        tmp_path.as_uri(), feed="t", day=dt.date(2020, 1, 1), kind="articles", run_id="r"
    ) as writer:
        results = fetch_all(urls, settings=settings, writer=writer)
    assert all(result.ok for result in results)
    arrivals = sorted(hit.at for hit in site.hits)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.15  # 0.2 s spacing, loosely
    assert arrivals[-1] - arrivals[0] >= 0.7


def test_fetch_all_keeps_order_and_lands_every_outcome(site: LoopbackSite, tmp_path: Path) -> None:
    bodies = {n: f"<html><p>page {n}</p></html>".encode() * 50 for n in range(6)}
    urls = [site.route(f"/p{n}.htm", Reply(body=bodies[n], delay=0.05 * (6 - n))) for n in range(6)]
    gzipped = site.route(
        "/gz.htm",
        Reply(
            body=gzip.compress(bodies[0]),
            headers={"Content-Type": HTML, "Content-Encoding": "gzip"},
        ),
    )
    pdf = site.route("/doc.pdf", Reply(body=b"%PDF", headers={"Content-Type": "application/pdf"}))
    missing = site.base + "/missing.htm"
    asked = [*urls, gzipped, pdf, missing, urls[0]]  # a repeated URL gets its own result
    with LandingWriter(
        tmp_path.as_uri(), feed="t", day=dt.date(2020, 1, 1), kind="articles", run_id="r"
    ) as writer:
        results = fetch_all(asked, settings=quick_settings(concurrency=4), writer=writer)

    assert [result.url for result in results] == asked
    assert all(result.raw_ref and result.raw_ref.startswith(writer.url + "#") for result in results)
    assert len({result.raw_ref for result in results}) == len(asked)
    for n in range(6):
        landed = read_landed(results[n].raw_ref or "")
        assert (landed.url, landed.status, landed.body) == (urls[n], 200, bodies[n])
        assert landed.charset == "utf-8"
        assert landed.fetched_at == results[n].fetched_at
    assert read_landed(results[6].raw_ref or "").body == bodies[0]  # stored decoded
    pdf_landed = read_landed(results[7].raw_ref or "")
    assert pdf_landed.error == "content type application/pdf is not HTML"
    assert pdf_landed.status == 200 and pdf_landed.body == b""
    missing_landed = read_landed(results[8].raw_ref or "")
    assert (missing_landed.status, missing_landed.error) == (404, None)
    assert not results[8].ok and results[8].error == "HTTP 404 Not Found"
    assert read_landed(results[9].raw_ref or "").body == bodies[0]
