"""Polite, bounded HTTP fetching: retries, per-host rate limit, size cap, same-host redirects."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from wire_ingest.http.guard import GuardedAdapter, LinkGuard, LinkRefused
from wire_ingest.http.ratelimit import HostLimiter, RateLimiter
from wire_ingest.landing import LandingWriter, charset_of, media_type_of
from wire_ingest.models import FetchResult
from wire_ingest.settings import FetchSettings

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024
# urllib3 would otherwise obey a Retry-After of up to 6 hours while holding a worker slot.
MAX_RETRY_AFTER_SECONDS = 120
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A fetch outcome plus what the landing area needs; bodies never leave fetch_all."""

    result: FetchResult
    body: bytes
    headers: dict[str, str]
    reason: str
    request_headers: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # a whole HTTP response (status, headers, full body) was received


def utc_now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def make_retry(settings: FetchSettings) -> Retry:
    return Retry(
        total=max(settings.max_attempts - 1, 0),
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        backoff_factor=settings.backoff_factor,
        backoff_jitter=settings.backoff_jitter,
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER_SECONDS,
        raise_on_status=False,  # hand back the last response instead of raising
        raise_on_redirect=False,
    )


def make_session(settings: FetchSettings, guard: LinkGuard | None = None) -> requests.Session:
    """A session with an identifying User-Agent, retries with backoff and a big enough pool.

    With a `guard`, every request (each redirect hop and robots.txt too) is checked by it, down
    to the address connected to (http.guard); the environment's proxies are then not used.
    """
    session = requests.Session()
    session.headers.update({"User-Agent": settings.user_agent, "Accept": ACCEPT})
    pool_size = max(settings.concurrency, 1)
    options: dict[str, Any] = {
        "pool_connections": pool_size,
        "pool_maxsize": pool_size,
        "max_retries": make_retry(settings),
    }
    adapter = HTTPAdapter(**options) if guard is None else GuardedAdapter(guard, **options)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if guard is not None:
        session.trust_env = False  # no proxy from the environment: it would pick the address
        session.mount("", adapter)  # other schemes too: refused by the guard, with its reason
    return session


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _describe(exc: BaseException) -> str:
    """A one-line reason for a requests exception, naming the root cause (timeout, refused...)."""
    if isinstance(exc, LinkRefused):
        return _one_line(f"link refused: {exc}")
    cause: BaseException = exc
    for arg in exc.args:
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            cause = arg.reason
    if isinstance(exc, requests.Timeout) or "timed out" in str(cause).lower():
        kind = "timeout"
    elif isinstance(exc, requests.ConnectionError):
        kind = "connection error"
    else:
        kind = type(exc).__name__
    return _one_line(f"{kind}: {cause}")


def _retries_exhausted(exc: BaseException) -> bool:
    return any(isinstance(arg, MaxRetryError) for arg in exc.args)


def _retry_count(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) if retries is not None else 0


def _read_body(response: requests.Response, cap: int) -> tuple[bytes, str | None]:
    """The decoded body, or what was read plus an error (cap exceeded, broken stream)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > cap:
                return b"".join(chunks), f"body exceeds {cap} bytes"
            chunks.append(chunk)
    except requests.RequestException as exc:
        return b"".join(chunks), _describe(exc)
    return b"".join(chunks), None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _failed(url: str, final_url: str, error: str, retries: int) -> FetchedPage:
    result = FetchResult(
        url=url,
        final_url=final_url,
        status=None,
        ok=False,
        error=_one_line(error),
        attempts=retries + 1,
        fetched_at=utc_now_iso(),
    )
    return FetchedPage(result=result, body=b"", headers={}, reason="")


def _judge(
    url: str,
    final_url: str,
    response: requests.Response,
    retries: int,
    max_body_bytes: int,
    error: str | None,
) -> FetchedPage:
    """Read (or skip) the last response's body and decide whether the fetch succeeded."""
    fetched_at = utc_now_iso()
    content_type = response.headers.get("Content-Type")
    media_type = media_type_of(content_type)
    status = response.status_code
    if error is None and status == 304:  # answer to a conditional request: nothing to read
        result = FetchResult(
            url=url,
            final_url=final_url,
            status=status,
            ok=True,
            attempts=retries + 1,
            fetched_at=fetched_at,
        )
        return FetchedPage(
            result=result,
            body=b"",
            headers=dict(response.headers),
            reason=response.reason or "",
            request_headers={k: str(v) for k, v in response.request.headers.items()},
            complete=True,
        )
    if error is None and not 200 <= status < 300:
        error = f"HTTP {status} {response.reason or ''}".strip()
    if error is None and media_type not in HTML_TYPES:
        # Left unread: of no use to us and possibly large.
        body, complete = b"", False
        error = f"content type {media_type or 'missing'} is not HTML"
    else:
        body, read_error = _read_body(response, max_body_bytes)
        complete = read_error is None
        error = error or read_error
    result = FetchResult(
        url=url,
        final_url=final_url,
        status=status,
        ok=error is None,
        error=None if error is None else _one_line(error),
        attempts=retries + 1,
        content_type=media_type,
        charset=charset_of(content_type),
        fetched_at=fetched_at,
    )
    return FetchedPage(
        result=result,
        body=body if complete else b"",  # a partial body must never be mistaken for the page
        headers=dict(response.headers),
        reason=response.reason or "",
        request_headers={k: str(v) for k, v in response.request.headers.items()},
        complete=complete,
    )


def fetch_page(
    session: requests.Session,
    url: str,
    *,
    settings: FetchSettings,
    limiter: HostLimiter,
    extra_headers: Mapping[str, str] | None = None,
) -> FetchedPage:
    """Fetch one page; never raises for HTTP or network problems (ok=False with a reason).

    `attempts` is 1 + the retries urllib3 made, summed over redirect hops. `extra_headers`
    (e.g. If-None-Match) go with every hop; a 304 answer is ok with an empty body.
    """
    origin_host = _host(url)
    current = url
    retries = 0
    timeout = (settings.connect_timeout, settings.read_timeout)
    for _hop in range(MAX_REDIRECTS + 1):
        limiter.wait(_host(current))
        try:
            response = session.get(
                current,
                stream=True,
                allow_redirects=False,
                timeout=timeout,
                headers=dict(extra_headers) if extra_headers else None,
            )
        except requests.RequestException as exc:
            if _retries_exhausted(exc):
                retries += max(settings.max_attempts - 1, 0)
            return _failed(url, current, _describe(exc), retries)
        with response:
            retries += _retry_count(response)
            refused: str | None = None
            if response.is_redirect:
                target = urljoin(current, response.headers["Location"])
                if _host(target) == origin_host:
                    current = target
                    continue
                refused = f"redirect to other host refused: {_host(target) or target}"
            return _judge(url, current, response, retries, settings.max_body_bytes, refused)
    return _failed(url, current, f"more than {MAX_REDIRECTS} redirects", retries)


def land_page(writer: LandingWriter, page: FetchedPage) -> FetchResult:
    """Write a fetched page to the landing area; returns its result with raw_ref set."""
    result = page.result
    if page.complete and result.status is not None:
        raw_ref = writer.write_response(
            result.final_url,
            result.status,
            page.reason,
            page.headers,
            page.body,
            result.fetched_at,
            page.request_headers,
        )
    else:
        raw_ref = writer.write_failure(
            result.final_url,
            result.error or "incomplete response",
            result.fetched_at,
            status=result.status,
            headers=page.headers,
        )
    return dataclasses.replace(result, raw_ref=raw_ref)


def fetch_all(
    urls: Sequence[str],
    *,
    settings: FetchSettings,
    writer: LandingWriter,
    limiter: HostLimiter | None = None,
) -> list[FetchResult]:
    """Fetch every URL (one result each, in input order), landing bodies via `writer`."""
    shared_limiter = limiter or RateLimiter(
        settings.max_requests_per_second, unlimited=settings.unlimited_hosts
    )
    with make_session(settings) as session:

        def fetch_and_land(url: str) -> FetchResult:
            page = fetch_page(session, url, settings=settings, limiter=shared_limiter)
            return land_page(writer, page)

        with ThreadPoolExecutor(max_workers=max(settings.concurrency, 1)) as pool:
            return list(pool.map(fetch_and_land, urls))
