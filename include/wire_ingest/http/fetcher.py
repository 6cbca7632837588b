"""Fetch a run's URLs into the landing area: robots permitting, conditionally, broken bodies retried."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import requests

from wire_ingest.http.failures import BROKEN_BODY, RETRIED_IN_RUN, classify_failure
from wire_ingest.http.fetch import fetch_page, land_page, make_session, utc_now_iso
from wire_ingest.http.ratelimit import HostLimiter
from wire_ingest.http.robots import RobotsRules
from wire_ingest.landing import LandingWriter
from wire_ingest.models import FetchOutcome, FetchResult
from wire_ingest.settings import FetchSettings


def fetch_urls(
    urls: Sequence[str],
    *,
    settings: FetchSettings,
    writer: LandingWriter,
    limiter: HostLimiter,
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
                fetched_at=utc_now_iso(),
            )
            return FetchOutcome(result, failure=classify_failure(result))
        attempts = 0
        while True:
            page = fetch_page(
                http, url, settings=settings, limiter=limiter, extra_headers=headers_for.get(url)
            )
            attempts += page.result.attempts
            # urllib3 retries before a response arrives; a body cut short, stalled or corrupt
            # is retried here.
            broken = not page.result.ok and _retry_here(page.result)
            if not broken or attempts >= settings.max_attempts:
                break
            time.sleep(settings.backoff_factor * 2 ** (attempts - 1))
        if attempts != page.result.attempts:
            page = dataclasses.replace(
                page, result=dataclasses.replace(page.result, attempts=attempts)
            )
        landed = land_page(writer, page)
        return FetchOutcome(
            landed,
            _header(page.headers, "ETag"),
            _header(page.headers, "Last-Modified"),
            failure=None if landed.ok else classify_failure(landed),
        )

    own = session is None
    http = session or make_session(settings)
    try:
        with ThreadPoolExecutor(max_workers=max(settings.concurrency, 1)) as pool:
            return list(pool.map(lambda url: one(http, url), urls))
    finally:
        if own:
            http.close()


def _retry_here(result: FetchResult) -> bool:
    reason = classify_failure(result).reason
    return reason == BROKEN_BODY or (result.status is not None and reason in RETRIED_IN_RUN)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


# ---------------------------------------------------------------- listing memory
