"""Fetch state in the warehouse, the shared rate limiter, robots.txt and refused links."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wire_ingest.discover import memory
from wire_ingest.discover.memory import listing_start_page, remember_listing
from wire_ingest.http import fetcher, guard
from wire_ingest.http.failures import classify_failure
from wire_ingest.http.ratelimit import RateLimiter, SharedRateLimiter
from wire_ingest.http.robots import RobotsRules
from wire_ingest.models import FetchOutcome, FetchResult, ListingItem
from wire_ingest.settings import FetchSettings
from wire_ingest.sources import get_source
from wire_ingest.urls import listing_page_url
from wire_ingest.warehouse import migrations, tables
from wire_ingest.warehouse.fetch_state import (
    conditional_headers,
    load_states,
    mark_done,
    record_outcomes,
    urls_to_retry,
)

FEED = "feed"
DAY = dt.date(2020, 12, 23)


@pytest.fixture
def schema(engine: Engine) -> Engine:
    migrations.migrate(engine)
    return engine


def result(url: str, *, status: int | None = 200, ok: bool = True, error: str | None = None,
           attempts: int = 1) -> FetchResult:  # fmt: skip
    return FetchResult(url=url, final_url=url, status=status, ok=ok, error=error, attempts=attempts)


def failed(url: str, error: str, status: int | None = None, attempts: int = 4) -> FetchOutcome:
    failed_result = result(url, status=status, ok=False, error=error, attempts=attempts)
    return FetchOutcome(failed_result, failure=classify_failure(failed_result))


@pytest.mark.parametrize(
    ("status", "error", "reason", "permanent"),
    [
        (404, "HTTP 404 Not Found", "http_404", True),
        (410, "HTTP 410 Gone", "http_410", True),
        (503, "HTTP 503 Service Unavailable", "http_503", False),
        (429, "HTTP 429 Too Many Requests", "http_429", False),
        (None, "timeout: Read timed out. (read timeout=1.0)", "read_timeout", False),
        (None, "timeout: Connection to h timed out. (connect timeout=1)", "timeout", False),
        (
            200,
            "ContentDecodingError: ('Received response with content-encoding: gzip, but "
            "failed to decode it.', error('Error -3 while decompressing data: incorrect "
            "header check'))",
            "bad_gzip",
            False,
        ),
        (None, "connection error: [Errno 111] Connection refused", "connection_error", False),
        (
            200,
            "ChunkedEncodingError: ('Connection broken: IncompleteRead",
            "incomplete_body",
            False,
        ),
        (200, "body exceeds 5000000 bytes", "body_too_large", True),
        (200, "content type application/pdf is not HTML", "not_html", True),
        (302, "redirect to other host refused: evil.example", "redirect_refused", True),
        (302, "more than 5 redirects", "redirect_loop", True),
        (None, "disallowed by robots.txt of x", "robots_disallowed", True),
        (None, "robots.txt unavailable for x; not fetched", "robots_unavailable", False),
    ],
)
def test_classify_failure(status: int | None, error: str, reason: str, permanent: bool) -> None:
    kind = classify_failure(result("u", status=status, ok=False, error=error))
    assert (kind.reason, kind.permanent) == (reason, permanent)


def test_failures_are_retried_until_the_cap_then_given_up(schema: Engine) -> None:
    url = "http://site/a.htm"
    for run in range(1, 4):
        failures = record_outcomes(
            schema,
            [failed(url, "HTTP 503 Service Unavailable", 503)],
            feed=FEED,
            day=DAY,
            run_id=f"r{run}",
            max_runs=3,
        )
        state = load_states(schema, FEED, [url])[url]
        assert (state.failed_runs, state.attempts) == (run, 4 * run)
        if run < 3:
            assert state.status == "failed" and failures[url].given_up_reason is None
            assert urls_to_retry(schema, FEED, DAY) == [url]
    assert state.status == "given_up"
    assert "failed in 3 runs" in str(state.given_up_reason) and "http_503" in str(
        state.given_up_reason
    )
    assert urls_to_retry(schema, FEED, DAY) == []


def test_permanent_failure_is_given_up_at_once(schema: Engine) -> None:
    url = "http://site/gone.htm"
    failures = record_outcomes(
        schema, [failed(url, "HTTP 404 Not Found", 404, 1)], feed=FEED, day=DAY, run_id="r1",
        max_runs=5,
    )  # fmt: skip
    assert failures[url].reason == "http_404" and failures[url].given_up_reason
    assert load_states(schema, FEED, [url])[url].status == "given_up"


def test_success_keeps_validators_and_conditional_only_after_its_run_finished(
    schema: Engine,
) -> None:
    url = "http://site/ok.htm"
    record_outcomes(schema, [failed(url, "timeout: read")], feed=FEED, day=DAY, run_id="r1",
                    max_runs=5)  # fmt: skip
    ok = FetchOutcome(result(url), etag='"abc"', last_modified="Wed, 23 Dec 2020 00:00:00 GMT")
    assert record_outcomes(schema, [ok], feed=FEED, day=DAY, run_id="r2", max_runs=5) == {}
    state = load_states(schema, FEED, [url])[url]
    assert (state.status, state.failed_runs, state.etag) == ("fetched", 0, '"abc"')
    assert conditional_headers(state) == {}  # the run that fetched it has not finished
    assert urls_to_retry(schema, FEED, DAY) == [url]
    assert mark_done(schema, FEED, [url]) == 1
    state = load_states(schema, FEED, [url])[url]
    assert conditional_headers(state) == {
        "If-None-Match": '"abc"',
        "If-Modified-Since": "Wed, 23 Dec 2020 00:00:00 GMT",
    }
    not_modified = FetchOutcome(result(url, status=304))
    record_outcomes(schema, [not_modified], feed=FEED, day=DAY, run_id="r3", max_runs=5)
    state = load_states(schema, FEED, [url])[url]
    assert (state.status, state.etag, state.attempts) == ("done", '"abc"', 4 + 1 + 1)


def test_shared_limiter_spaces_reservations_per_host(schema: Engine) -> None:
    now = [1000.0]
    slept: list[float] = []
    limiter = SharedRateLimiter(schema, 4, clock=lambda: now[0], sleep=slept.append)
    other = SharedRateLimiter(schema, 4, clock=lambda: now[0], sleep=slept.append)
    waits = [limiter.wait("a"), other.wait("a"), limiter.wait("a"), other.wait("b")]
    assert waits == [0.0, 0.25, 0.5, 0.0]
    assert slept == [0.25, 0.5]
    assert SharedRateLimiter(schema, 0).wait("a") == 0.0


def test_shared_limiter_reserves_again_when_it_wakes_late(schema: Engine) -> None:
    """A process that oversleeps its slot (a loaded machine) does not ask right after the next
    slot's owner: it reserves again, behind every slot handed out meanwhile."""
    now = [1000.0]
    other = SharedRateLimiter(schema, 4, clock=lambda: now[0], sleep=lambda s: None)
    other_requests: list[float] = []
    oversleep = [0.3]  # more than half the 0.25 s interval

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if oversleep:  # while this one oversleeps, another process takes the next slot on time
            other_requests.append(now[0] + other.reserve("a"))
            now[0] += oversleep.pop()

    late = SharedRateLimiter(schema, 4, clock=lambda: now[0], sleep=sleep)
    assert late.wait("a") == 0.0  # slot 1000.00
    assert other.reserve("a") == 0.25  # slot 1000.25
    # slot 1000.50, woken at 1000.80: the other took 1000.75, so it reserves 1001.00 and waits
    assert late.wait("a") == pytest.approx(0.5 + 0.2)
    assert other_requests == [pytest.approx(1000.75)]
    assert now[0] == pytest.approx(1001.0)  # asks 0.25 s after the other, not 0.05 s


def test_loopback_hosts_listed_in_local_config_have_no_limit_other_hosts_keep_it(
    schema: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WIRE_UNLIMITED_HOSTS (the local profile) lifts the limit for the loopback site only."""
    monkeypatch.setenv("WIRE_UNLIMITED_HOSTS", "127.0.0.1, localhost")
    settings = FetchSettings.from_env()
    assert settings.unlimited_hosts == {"127.0.0.1", "localhost"}
    now = [1000.0]
    slept: list[float] = []
    shared = SharedRateLimiter(
        schema, 1, clock=lambda: now[0], sleep=slept.append, unlimited=settings.unlimited_hosts
    )
    local = RateLimiter(
        1, clock=lambda: now[0], sleep=slept.append, unlimited=settings.unlimited_hosts
    )
    for limiter in (shared, local):
        assert [limiter.wait("127.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert [limiter.wait("www.china.org.cn") for _ in range(2)] == [0.0, 1.0]
    assert slept == [1.0, 1.0]
    for other in ("www.china.org.cn", "10.0.0.5", "localhost.example.com", "0.0.0.0"):
        monkeypatch.setenv("WIRE_UNLIMITED_HOSTS", f"127.0.0.1,{other}")
        with pytest.raises(ValueError, match="only loopback hosts"):
            FetchSettings.from_env()
    monkeypatch.setenv("WIRE_UNLIMITED_HOSTS", "[::1],127.0.0.2")
    assert FetchSettings.from_env().unlimited_hosts == {"::1", "127.0.0.2"}


def test_shared_limiter_holds_across_threads(schema: Engine) -> None:
    """Eight threads with their own limiters (a frozen clock) reserve 40 distinct slots."""
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter = SharedRateLimiter(schema, 20, clock=lambda: 1000.0)
        for _ in range(5):
            delay = limiter.reserve("h")
            with lock:
                waits.append(delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([k * 0.05 for k in range(40)])
    with schema.connect() as conn:
        next_slot = conn.execute(sa.select(tables.host_rate_slots.c.next_slot_at)).scalar_one()
    assert next_slot == pytest.approx(1000.0 + 40 * 0.05)


def test_link_refusal() -> None:
    source = get_source("china_org_cn")
    refused = guard.guard_for(source, source.base_url).refusal

    assert refused("http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_1.htm") is None
    assert "other host" in str(refused("http://evil.example/world/x.htm"))
    assert "other host" in str(refused("http://169.254.169.254/latest/meta-data"))
    assert "scheme" in str(refused("file:///etc/passwd"))
    assert "scheme" in str(refused("javascript:alert(1)"))
    local = guard.guard_for(source, "http://127.0.0.1:8765")
    assert local.refusal("http://127.0.0.1:8765/x") is None  # the local site, by its address
    assert "other host" in str(local.refusal("http://127.0.0.2:8765/x"))
    assert "loopback" in str(local.address_refusal("127.0.0.2"))
    assert "private" in str(local.address_refusal("10.0.0.5"))
    assert "link-local" in str(local.address_refusal("169.254.169.254"))
    assert "loopback" in str(local.address_refusal("::ffff:127.0.0.3"))
    assert local.address_refusal("8.8.8.8") is None


class _Robots(BaseHTTPRequestHandler):
    answer: ClassVar[tuple[int, bytes]] = (200, b"User-agent: *\nDisallow: /private/\n")
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def robots_site() -> Iterator[str]:
    _Robots.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Robots)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def rules() -> RobotsRules:
    return RobotsRules(session=requests.Session(), settings=FetchSettings(), limiter=RateLimiter(0))


def test_robots_rules_are_fetched_once_and_obeyed(robots_site: str) -> None:
    robots = rules()
    assert robots.check(robots_site + "/news/a.htm") is None
    assert "disallowed by robots.txt" in str(robots.check(robots_site + "/private/b.htm"))
    assert _Robots.hits == ["/robots.txt"]


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (503, False)])
def test_robots_missing_allows_all_unreachable_allows_nothing(
    robots_site: str, status: int, allowed: bool
) -> None:
    _Robots.answer = (status, b"")
    try:
        verdict = rules().check(robots_site + "/private/b.htm")
    finally:
        _Robots.answer = (200, b"User-agent: *\nDisallow: /private/\n")
    assert (verdict is None) == allowed
    if not allowed:
        assert classify_failure(result("u", status=None, ok=False, error=verdict)).reason == (
            "robots_unavailable"
        )


def test_listing_memory_start_page(schema: Engine) -> None:
    def item(day: str, page: int, n: int) -> ListingItem:
        return ListingItem(
            url=f"http://s/{day}/{n}.htm", title="t", page_date=day, listing_page=page
        )

    assert listing_start_page(schema, FEED, DAY) == 1
    remember_listing(
        schema,
        FEED,
        [item("2020-12-24", 1, 1), item("2020-12-24", 3, 2), item("2020-12-23", 3, 3),
         item("2020-12-23", 5, 4), item("2020-12-22", 6, 5)],
    )  # fmt: skip
    assert listing_start_page(schema, FEED, DAY) == 3  # the last page holding a newer day
    assert listing_start_page(schema, FEED, dt.date(2020, 12, 22)) == 5
    assert listing_start_page(schema, FEED, dt.date(2020, 12, 24)) == 1
    # the listing grew: items moved to later pages, the memory follows
    remember_listing(schema, FEED, [item("2020-12-24", 4, 2)])
    assert listing_start_page(schema, FEED, DAY) == 4
    assert listing_page_url("http://s/world/node_7075238.htm", 4) == (
        "http://s/world/node_7075238_4.htm"
    )
    assert listing_page_url("http://s/world/node_7075238.htm", 1) == (
        "http://s/world/node_7075238.htm"
    )


def test_conditional_fetch_of_an_unchanged_page_is_an_ok_304(tmp_path: Path) -> None:
    from wire_ingest.landing import LandingWriter, iter_landed
    from wiresim.generate import build_site
    from wiresim.server import start_in_thread

    site = build_site(DAY, DAY, per_day=20)
    path = site.articles[0].path
    settings = FetchSettings(max_requests_per_second=0)
    with (
        start_in_thread(site) as running,
        LandingWriter(tmp_path.as_uri(), FEED, DAY, "articles", "r1") as writer,
    ):
        url = running.base_url + path
        first = fetcher.fetch_urls([url], settings=settings, writer=writer, limiter=RateLimiter(0))
        etag = first[0].etag
        assert first[0].result.status == 200 and etag
        again = fetcher.fetch_urls(
            [url],
            settings=settings,
            writer=writer,
            limiter=RateLimiter(0),
            conditional={url: {"If-None-Match": etag}},
        )
        assert (again[0].result.ok, again[0].result.status) == (True, 304)
        assert [status for _m, _p, status in running.request_log] == [200, 304]
        warc = writer.url
    assert [page.status for page in iter_landed(warc)] == [200, 304]


def test_robots_crawl_delay_slows_the_shared_limiter(robots_site: str, schema: Engine) -> None:
    _Robots.answer = (200, b"User-agent: *\nCrawl-delay: 3\nDisallow: /private/\n")
    try:
        limiter = SharedRateLimiter(schema, 4, clock=lambda: 1000.0, sleep=lambda _s: None)
        robots = RobotsRules(session=requests.Session(), settings=FetchSettings(), limiter=limiter)
        assert robots.check(robots_site + "/news/a.htm") is None
    finally:
        _Robots.answer = (200, b"User-agent: *\nDisallow: /private/\n")
    # robots.txt itself took the first slot at the plain rate; from then on 3 s apart
    assert [limiter.wait("127.0.0.1") for _ in range(2)] == [0.25, 3.25]
    assert limiter.wait("other.example") == 0.0


def test_days_walked_through_and_remembered(schema: Engine) -> None:
    def item(day: str, n: int) -> ListingItem:
        return ListingItem(
            url=f"http://s/{day}/{n}.htm", title=f"t{n}", page_date=day, listing_page=n
        )

    seen = [item("2020-12-24", 1), item("2020-12-23", 2), item("2020-12-23", 3),
            item("2020-12-22", 4)]  # fmt: skip
    later = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    walked = memory.days_walked_through
    assert walked(seen, target_day=DAY, from_first_page=True, now=later) == [
        dt.date(2020, 12, 23),
        dt.date(2020, 12, 24),
    ]
    # from a later start page only the target day and older ones are whole
    assert walked(seen, target_day=DAY, from_first_page=False, now=later) == [DAY]
    # a day is settled only some hours after it ended (Beijing time)
    just_after = dt.datetime(2020, 12, 24, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 25th in Beijing
    assert walked(seen, target_day=DAY, from_first_page=True, now=just_after) == [DAY]
    assert memory.remembered_day(schema, FEED, DAY) is None
    remember_listing(schema, FEED, seen)
    memory.remember_days_walked(schema, FEED, [DAY])
    assert memory.remembered_day(schema, FEED, DAY) == [seen[1], seen[2]]
    assert memory.remembered_day(schema, FEED, dt.date(2020, 12, 24)) is None


def test_a_url_that_answers_resolves_its_open_fetch_reject(schema: Engine) -> None:
    from wire_ingest.models import Rejection
    from wire_ingest.warehouse import load

    urls = ["http://h/a.htm", "http://h/b.htm"]
    load.record_rejections(
        schema,
        [Rejection(feed=FEED, url=u, stage="fetch", reason="http_503", message="x") for u in urls],
        run_id="run-1",
        target_day=DAY,
    )
    outcomes = [FetchOutcome(result(urls[0])), failed(urls[1], "HTTP 503", status=503)]
    record_outcomes(schema, outcomes, feed=FEED, day=DAY, run_id="run-2", max_runs=3)
    with schema.connect() as conn:
        still_open = conn.execute(sa.select(tables.article_rejects.c.url)).scalars().all()
    assert still_open == [urls[1]]


def test_day_failures_count_retries_and_fresh_give_ups_not_old_ones(schema: Engine) -> None:
    from wire_ingest.warehouse.fetch_state import day_failures

    outcomes = [
        FetchOutcome(result("http://h/ok.htm")),
        failed("http://h/down.htm", "connection error: [Errno 111] Connection refused"),
        failed("http://h/gone.htm", "HTTP 404 Not Found", status=404),
    ]
    record_outcomes(schema, outcomes, feed=FEED, day=DAY, run_id="run-1", max_runs=3)
    fresh = day_failures(schema, FEED, DAY, given_up_now=["http://h/gone.htm"])
    assert (fresh.failed, fresh.total) == (2, 3)
    assert fresh.reasons == {"connection_error": 1, "http_404": 1}
    assert fresh.example is not None and "Connection refused" in fresh.example
    # A later fetch skips the given-up URL: judged by the earlier run, it no longer counts.
    later = day_failures(schema, FEED, DAY)
    assert (later.failed, later.total, later.reasons) == (1, 3, {"connection_error": 1})
