"""Durable per-URL fetch state, a per-host rate limiter shared through the warehouse, robots.txt."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import re
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine

from wire_ingest import fetch
from wire_ingest.load import fetch_state, host_rate_slots, listing_days_walked, listing_items_seen
from wire_ingest.models import FetchResult, ListingItem
from wire_ingest.settings import FetchSettings
from wire_ingest.storage import LandingWriter

IN_CHUNK = 500
# Fetch state statuses: `fetched` = body landed, run not finished yet; `done` = its run finished,
# so a later run may ask conditionally; `failed` = tried again by later runs; `given_up` = never.
FETCHED, DONE, FAILED, GIVEN_UP = "fetched", "done", "failed", "given_up"
ROBOTS_DISALLOWED = "robots_disallowed"
ROBOTS_UNAVAILABLE = "robots_unavailable"
BROKEN_BODY = "incomplete_body"


def _insert(conn: Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    return sqlite_dialect.insert(table)


def _write(engine: Engine) -> Any:
    """A connection whose transaction takes the write lock up front (BEGIN IMMEDIATE on SQLite)."""
    return engine.connect().execution_options(wire_write=True)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


# ---------------------------------------------------------------- failure classification


@dataclass(frozen=True, slots=True)
class FailureKind:
    """What a failed fetch means: a short reason code, and whether trying again could help."""

    reason: str
    permanent: bool


_REDIRECT_LOOP = re.compile(r"redirect loop|more than \d+ redirects")


def classify_failure(result: FetchResult) -> FailureKind:
    """Reason code for a failed fetch; 4xx (but 408/429), oversize, non-HTML, refused redirects and
    robots are permanent; timeouts, connection errors, broken bodies and 5xx are worth a retry."""
    error = (result.error or "").lower()
    if error.startswith("disallowed by robots.txt"):
        return FailureKind(ROBOTS_DISALLOWED, True)
    if error.startswith("robots.txt unavailable"):
        return FailureKind(ROBOTS_UNAVAILABLE, False)
    if "redirect to other host refused" in error:
        return FailureKind("redirect_refused", True)
    if _REDIRECT_LOOP.search(error):
        return FailureKind("redirect_loop", True)
    if error.startswith("body exceeds"):
        return FailureKind("body_too_large", True)
    if error.startswith("content type"):
        return FailureKind("not_html", True)
    status = result.status
    if status is not None and not 200 <= status < 400 and error.startswith("http "):
        transient = status >= 500 or status in (408, 429)
        return FailureKind(f"http_{status}", not transient)
    if error.startswith("timeout"):
        return FailureKind("timeout", False)
    if error.startswith("connection error"):
        return FailureKind("connection_error", False)
    if any(word in error for word in ("chunkedencoding", "incompleteread", "protocolerror")):
        return FailureKind(BROKEN_BODY, False)
    return FailureKind("fetch_error", False)


# ---------------------------------------------------------------- per-URL state


@dataclass(frozen=True, slots=True)
class UrlState:
    """What the warehouse remembers about fetching one URL."""

    url: str
    status: str
    etag: str | None = None
    last_modified: str | None = None
    failed_runs: int = 0
    attempts: int = 0
    error_reason: str | None = None
    given_up_reason: str | None = None


def load_states(engine: Engine, feed: str, urls: Iterable[str]) -> dict[str, UrlState]:
    wanted = sorted(set(urls))
    found: dict[str, UrlState] = {}
    t = fetch_state
    with engine.connect() as conn:
        for chunk in _chunks(wanted):
            query = sa.select(
                t.c.url,
                t.c.status,
                t.c.etag,
                t.c.last_modified,
                t.c.failed_runs,
                t.c.attempts,
                t.c.error_reason,
                t.c.given_up_reason,
            ).where(t.c.feed == feed, t.c.url.in_(chunk))
            for row in conn.execute(query):
                found[row.url] = UrlState(**row._mapping)
    return found


def urls_to_retry(engine: Engine, feed: str, day: dt.date) -> list[str]:
    """URLs of `day` that failed (or whose run did not finish) and are not given up."""
    t = fetch_state
    query = (
        sa.select(t.c.url)
        .where(t.c.feed == feed, t.c.target_day == day, t.c.status.in_((FAILED, FETCHED)))
        .order_by(t.c.url)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def conditional_headers(state: UrlState | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for a URL whose earlier run finished; else nothing."""
    if state is None or state.status != DONE:
        return {}
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """A landed fetch result plus the validators to store for next time."""

    result: FetchResult
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A failed URL after this run: its reason, how many runs failed on it, whether given up."""

    url: str
    reason: str
    failed_runs: int
    given_up_reason: str | None


def record_outcomes(
    engine: Engine,
    outcomes: Sequence[FetchOutcome],
    *,
    feed: str,
    day: dt.date,
    run_id: str,
    max_runs: int,
    now: dt.datetime | None = None,
) -> dict[str, FailureRecord]:
    """Store every outcome in `fetch_state` (one transaction); returns the failures' records."""
    at = now or dt.datetime.now(dt.UTC)
    by_url = {o.result.url: o for o in outcomes}
    failures: dict[str, FailureRecord] = {}
    if not by_url:
        return failures
    t = fetch_state
    with _write(engine) as conn, conn.begin():
        known: dict[str, Any] = {}
        for chunk in _chunks(sorted(by_url)):
            query = sa.select(t).where(t.c.feed == feed, t.c.url.in_(chunk))
            known.update({row.url: row for row in conn.execute(query)})
        rows = []
        for url in sorted(by_url):
            outcome, old = by_url[url], known.get(url)
            result = outcome.result
            row: dict[str, Any] = {
                "feed": feed,
                "url": url,
                "target_day": day,
                "http_status": result.status,
                "attempts": (old.attempts if old else 0) + result.attempts,
                "last_fetched_at": at,
                "last_run_id": run_id,
                "etag": old.etag if old else None,
                "last_modified": old.last_modified if old else None,
                "raw_ref": result.raw_ref,
                "failed_runs": 0,
                "last_error": None,
                "error_reason": None,
                "given_up_reason": None,
            }
            if result.ok and result.status == 304:
                row["status"] = DONE
                row["raw_ref"] = old.raw_ref if old else None  # the body is the one landed before
            elif result.ok:
                row.update(status=FETCHED, etag=outcome.etag, last_modified=outcome.last_modified)
            else:
                kind = classify_failure(result)
                failed_runs = (old.failed_runs if old else 0) + 1
                given_up = None
                if kind.permanent:
                    given_up = f"{kind.reason}: {result.error}"
                elif failed_runs >= max_runs:
                    given_up = f"failed in {failed_runs} runs, last: {kind.reason}: {result.error}"
                row.update(
                    status=GIVEN_UP if given_up else FAILED,
                    failed_runs=failed_runs,
                    last_error=result.error,
                    error_reason=kind.reason,
                    given_up_reason=given_up,
                )
                failures[url] = FailureRecord(url, kind.reason, failed_runs, given_up)
            rows.append(row)
        insert = _insert(conn, t)
        names = [name for name in rows[0] if name not in ("feed", "url")]
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "url"], set_={n: insert.excluded[n] for n in names}
            ),
            rows,
        )
    return failures


def mark_done(engine: Engine, feed: str, urls: Iterable[str]) -> int:
    """The run that fetched these URLs finished: later runs may ask for them conditionally."""
    wanted = sorted(set(urls))
    t = fetch_state
    done = 0
    with _write(engine) as conn, conn.begin():
        for chunk in _chunks(wanted):
            update = (
                sa.update(t)
                .where(t.c.feed == feed, t.c.url.in_(chunk), t.c.status == FETCHED)
                .values(status=DONE)
            )
            done += conn.execute(update).rowcount
    return done


# ---------------------------------------------------------------- shared rate limiter


class SharedRateLimiter:
    """Per-host request slots reserved in the warehouse: holds across threads, tasks and runs.

    Each request reserves the host's next free slot in one write transaction (BEGIN IMMEDIATE on
    SQLite, SELECT ... FOR UPDATE on PostgreSQL) and sleeps until it. The clock is the wall clock
    of the machines involved, so workers on several hosts need synchronised clocks (NTP).
    """

    def __init__(
        self,
        engine: Engine,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_second < 0:
            raise ValueError("rate_per_second must be >= 0")
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._host_interval: dict[str, float] = {}  # slower hosts (robots.txt Crawl-delay)
        self._engine = engine
        self._clock = clock
        self._sleep = sleep

    def at_least(self, host: str, seconds: float) -> None:
        """Space this host's requests at least `seconds` apart (never faster than the rate)."""
        self._host_interval[host] = max(seconds, self._host_interval.get(host, 0.0))

    def reserve(self, host: str) -> float:
        """Reserve the host's next slot; returns the seconds to wait for it."""
        t = host_rate_slots
        with _write(self._engine) as conn, conn.begin():
            conn.execute(
                _insert(conn, t).values(host=host, next_slot_at=0.0).on_conflict_do_nothing()
            )
            query = sa.select(t.c.next_slot_at).where(t.c.host == host)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            reserved = float(conn.execute(query).scalar_one())
            now = self._clock()
            slot = max(now, reserved)
            interval = max(self.interval, self._host_interval.get(host, 0.0))
            conn.execute(sa.update(t).where(t.c.host == host).values(next_slot_at=slot + interval))
        return slot - now

    def wait(self, host: str) -> float:
        if self.interval == 0:  # the limit is off (a site we run ourselves)
            return 0.0
        delay = self.reserve(host)
        if delay > 0:
            self._sleep(delay)
        return delay


# ---------------------------------------------------------------- robots.txt


class RobotsRules:
    """robots.txt per host, fetched once per run (kept in the run's work folder) and obeyed.

    As RFC 9309 says: a 4xx robots.txt allows everything; an unreachable one or a 5xx allows
    nothing, so the URLs are recorded as failed (`robots_unavailable`) and tried again later.
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        settings: FetchSettings,
        limiter: fetch.HostLimiter,
        cache_dir: Path | None = None,
    ) -> None:
        self._session = session
        self._settings = settings
        self._limiter = limiter
        self._cache_dir = cache_dir
        self._parsers: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._lock = threading.Lock()  # fetch threads ask at once: one download per host

    def _cache_file(self, origin: str) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / ("robots-" + re.sub(r"[^A-Za-z0-9.-]+", "_", origin) + ".txt")

    def _download(self, origin: str) -> tuple[int, str] | None:
        url = f"{origin}/robots.txt"
        self._limiter.wait((urlsplit(url).hostname or "").lower())
        try:
            timeout = (self._settings.connect_timeout, self._settings.read_timeout)
            response = self._session.get(url, timeout=timeout, allow_redirects=True)
        except requests.RequestException:
            return None
        with response:
            text = response.content[: self._settings.max_body_bytes].decode("utf-8", "replace")
            return response.status_code, text

    def _parser(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        with self._lock:
            if origin not in self._parsers:
                self._parsers[origin] = self._load(origin)
            return self._parsers[origin]

    def _load(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        cache = self._cache_file(origin)
        answer: tuple[int, str] | None = None
        if cache is not None and cache.exists():
            status_line, _, text = cache.read_text(encoding="utf-8").partition("\n")
            answer = int(status_line), text
        else:
            answer = self._download(origin)
            if answer is not None and cache is not None and answer[0] < 500:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(f"{answer[0]}\n{answer[1]}", encoding="utf-8")
        parser: urllib.robotparser.RobotFileParser | None = None
        if answer is not None and answer[0] < 500:
            parser = urllib.robotparser.RobotFileParser()
            # 4xx: no rules at all, which allows everything
            parser.parse(answer[1].splitlines() if 200 <= answer[0] < 300 else [])
            delay = parser.crawl_delay(self._settings.user_agent)
            at_least = getattr(self._limiter, "at_least", None)
            if delay is not None and at_least is not None:
                at_least((urlsplit(origin).hostname or "").lower(), float(delay))
        return parser

    def check(self, url: str) -> str | None:
        """None when `url` may be fetched, else why not (an error message for the fetch result)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parser(origin)
        if parser is None:
            return f"robots.txt unavailable for {parts.netloc}; not fetched"
        if not parser.can_fetch(self._settings.user_agent, url):
            return f"disallowed by robots.txt of {parts.netloc}"
        return None


# ---------------------------------------------------------------- links the fetcher refuses


def is_local_source(base_url: str) -> bool:
    """A source on this machine or a private network (the local wire site), not the internet."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def link_refusal(url: str, *, allowed_hosts: Iterable[str], local_source: bool) -> str | None:
    """Why a discovered link must not be fetched (None = fine): no request forgery via pages.

    Only http(s) links to the source's own hosts pass; when the source is not local, IP literals
    and localhost names are refused even if listed, so a crafted page cannot aim us inward.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or 'missing'} refused"
    if not host:
        return "link without a host refused"
    if not local_source:
        if host == "localhost" or host.endswith(".localhost"):
            return f"link to {host} refused"
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            kind = "private address" if address.is_private or address.is_loopback else "IP literal"
            return f"link to {kind} {host} refused"
    if host not in {h.lower() for h in allowed_hosts}:
        return f"link to other host {host} refused"
    return None


# ---------------------------------------------------------------- fetching with state


def fetch_urls(
    urls: Sequence[str],
    *,
    settings: FetchSettings,
    writer: LandingWriter,
    limiter: fetch.HostLimiter,
    conditional: Mapping[str, Mapping[str, str]] | None = None,
    robots: RobotsRules | None = None,
    session: requests.Session | None = None,
) -> list[FetchOutcome]:
    """Fetch and land every URL (conditionally where asked, robots permitting), in input order."""
    headers_for = conditional or {}

    def one(http: requests.Session, url: str) -> FetchOutcome:
        refusal = robots.check(url) if robots is not None else None
        if refusal is not None:
            result = FetchResult(
                url=url,
                final_url=url,
                status=None,
                ok=False,
                error=refusal,
                attempts=0,
                fetched_at=fetch.utc_now_iso(),
            )
            return FetchOutcome(result)
        attempts = 0
        while True:
            page = fetch.fetch_page(
                http, url, settings=settings, limiter=limiter, extra_headers=headers_for.get(url)
            )
            attempts += page.result.attempts
            broken = not page.result.ok and classify_failure(page.result).reason == BROKEN_BODY
            # urllib3 retries before a response arrives; a body cut short is retried here.
            if not broken or attempts >= settings.max_attempts:
                break
            time.sleep(settings.backoff_factor * 2 ** (attempts - 1))
        if attempts != page.result.attempts:
            page = dataclasses.replace(
                page, result=dataclasses.replace(page.result, attempts=attempts)
            )
        landed = fetch.land_page(writer, page)
        return FetchOutcome(
            landed, _header(page.headers, "ETag"), _header(page.headers, "Last-Modified")
        )

    own = session is None
    http = session or fetch.make_session(settings)
    try:
        with ThreadPoolExecutor(max_workers=max(settings.concurrency, 1)) as pool:
            return list(pool.map(lambda url: one(http, url), urls))
    finally:
        if own:
            http.close()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


# ---------------------------------------------------------------- listing memory


def remember_listing(
    engine: Engine, feed: str, items: Sequence[ListingItem], *, now: dt.datetime | None = None
) -> int:
    """Keep what a listing walk saw (URL, page date, listing page) for later walks."""
    at = now or dt.datetime.now(dt.UTC)
    latest: dict[str, ListingItem] = {}
    for item in items:
        latest[item.url] = item
    if not latest:
        return 0
    rows = [
        {
            "feed": feed,
            "url": url,
            "page_date": dt.date.fromisoformat(item.page_date),
            "listing_page": item.listing_page,
            "title": item.title,
            "first_seen_at": at,
            "last_seen_at": at,
        }
        for url, item in sorted(latest.items())
    ]
    t = listing_items_seen
    with _write(engine) as conn, conn.begin():
        insert = _insert(conn, t)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "url"],
                set_={
                    "page_date": insert.excluded.page_date,
                    "listing_page": insert.excluded.listing_page,
                    "title": insert.excluded.title,
                    "last_seen_at": insert.excluded.last_seen_at,
                },
            ),
            rows,
        )
    return len(rows)


def listing_start_page(engine: Engine, feed: str, day: dt.date) -> int:
    """The deepest listing page known to hold an item newer than `day` (1 if none is known).

    The listing only grows at the top, so items move to later pages, never earlier ones: every
    page before that one held (and still holds) only items newer than `day`.
    """
    t = listing_items_seen
    query = sa.select(sa.func.max(t.c.listing_page)).where(t.c.feed == feed, t.c.page_date > day)
    with engine.connect() as conn:
        deepest = conn.execute(query).scalar_one_or_none()
    return int(deepest) if deepest else 1


_LISTING_NAME = re.compile(r"^(?P<stem>.*/node_\d+)(?:_\d+)?(?P<ext>\.s?html?)$")


def listing_page_url(first_page_url: str, page: int) -> str:
    """node_N.htm -> node_N_<page>.htm (page 1 is the name itself)."""
    if page <= 1:
        return first_page_url
    parts = urlsplit(first_page_url)
    match = _LISTING_NAME.match(parts.path)
    if match is None:
        return first_page_url
    return parts._replace(path=f"{match['stem']}_{page}{match['ext']}").geturl()


# A day's links are final only some hours after it ended (late pages, listing delays).
WALKED_DAY_GRACE = dt.timedelta(hours=6)
BEIJING = dt.timezone(dt.timedelta(hours=8))


def days_walked_through(
    seen: Sequence[ListingItem],
    *,
    target_day: dt.date,
    from_first_page: bool,
    now: dt.datetime | None = None,
) -> list[dt.date]:
    """Days a finished walk saw completely: it went past them (saw an older day), it began where
    they begin (page 1, or the target day's start page for the target and older days), and the
    day had ended `WALKED_DAY_GRACE` before the walk."""
    if not seen:
        return []
    dates = {dt.date.fromisoformat(item.page_date) for item in seen}
    oldest = min(dates)
    settled = ((now or dt.datetime.now(dt.UTC)).astimezone(BEIJING) - WALKED_DAY_GRACE).date()
    return sorted(d for d in dates if oldest < d < settled and (from_first_page or d <= target_day))


def remember_days_walked(
    engine: Engine, feed: str, days: Sequence[dt.date], *, now: dt.datetime | None = None
) -> None:
    if not days:
        return
    at = now or dt.datetime.now(dt.UTC)
    t = listing_days_walked
    with _write(engine) as conn, conn.begin():
        insert = _insert(conn, t)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "day"], set_={"walked_at": insert.excluded.walked_at}
            ),
            [{"feed": feed, "day": day, "walked_at": at} for day in days],
        )


def remembered_day(engine: Engine, feed: str, day: dt.date) -> list[ListingItem] | None:
    """The day's links when an earlier walk saw the whole day (None: walk the listing)."""
    walked = sa.select(listing_days_walked.c.day).where(
        listing_days_walked.c.feed == feed, listing_days_walked.c.day == day
    )
    t = listing_items_seen
    items = (
        sa.select(t.c.url, t.c.title, t.c.listing_page)
        .where(t.c.feed == feed, t.c.page_date == day)
        .order_by(t.c.listing_page, t.c.url)
    )
    with engine.connect() as conn:
        if conn.execute(walked).first() is None:
            return None
        return [
            ListingItem(
                url=r.url, title=r.title, page_date=day.isoformat(), listing_page=r.listing_page
            )
            for r in conn.execute(items)
        ]
