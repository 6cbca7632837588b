"""robots.txt per host, fetched once per run, read as RFC 9309 says (protego) and obeyed."""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego

from wire_ingest import workfiles
from wire_ingest.http.guard import LinkRefused
from wire_ingest.http.ratelimit import HostLimiter
from wire_ingest.settings import FetchSettings

# RFC 9309 2.5: crawlers SHOULD parse at least 500 KiB; what lies past the cap is not read.
ROBOTS_MAX_BYTES = 512 * 1024
# RFC 9309 2.3.1.2: follow at least five consecutive redirects (on the same host, here).
ROBOTS_MAX_REDIRECTS = 5
_CHUNK = 16 * 1024


class RobotsRules:
    """robots.txt per host, fetched once per run (kept in the run's work area) and obeyed.

    As RFC 9309 says (rules read by protego: `*` and `$` patterns, the longest match wins, Allow
    on a tie): a 4xx robots.txt allows everything; an unreachable one, a 5xx or one that redirects
    to another host allows nothing, so the URLs are recorded as failed (`robots_unavailable`) and
    tried again later. A Crawl-delay slower than our own rate slows our requests to that host.
    The download goes through the caller's session, so the link guard sees it (http.guard).
    """

    def __init__(
        self,
        *,
        session: requests.Session,
        settings: FetchSettings,
        limiter: HostLimiter,
        cache_url: str | None = None,
    ) -> None:
        self._session = session
        self._settings = settings
        self._limiter = limiter
        self._cache_url = cache_url  # the run's work area: every task of the run sees one answer
        self._parsers: dict[str, Protego | None] = {}
        self._refused: dict[str, str] = {}  # origins whose robots.txt the link guard refused
        self._lock = threading.Lock()  # fetch threads ask at once: one download per host

    def _cache_file(self, origin: str) -> str | None:
        if self._cache_url is None:
            return None
        return f"{self._cache_url}/robots-" + re.sub(r"[^A-Za-z0-9.-]+", "_", origin) + ".txt"

    def _download(self, origin: str) -> tuple[int, str] | None:
        """(status, text) of the origin's robots.txt, redirects followed on its own host only and
        the body read up to ROBOTS_MAX_BYTES while streaming; None when it cannot be had."""
        url = f"{origin}/robots.txt"
        host = _host(url)
        timeout = (self._settings.connect_timeout, self._settings.read_timeout)
        for _hop in range(ROBOTS_MAX_REDIRECTS + 1):
            self._limiter.wait(host)
            try:
                response = self._session.get(
                    url, timeout=timeout, allow_redirects=False, stream=True
                )
            except LinkRefused as exc:
                self._refused[origin] = f"link refused: {exc}"
                return None
            except requests.RequestException:
                return None
            with response:
                if response.is_redirect:
                    target = urljoin(url, response.headers["Location"])
                    if _host(target) != host or urlsplit(target).scheme not in ("http", "https"):
                        return None  # off the host: not this site's rules
                    url = target
                    continue
                try:
                    body = _read_capped(response, ROBOTS_MAX_BYTES)
                except requests.RequestException:
                    return None
                return response.status_code, body.decode("utf-8", "replace")
        return None

    def _parser(self, origin: str) -> Protego | None:
        with self._lock:
            if origin not in self._parsers:
                self._parsers[origin] = self._load(origin)
            return self._parsers[origin]

    def _load(self, origin: str) -> Protego | None:
        cache = self._cache_file(origin)
        cached = workfiles.read_text(cache) if cache is not None else None
        answer: tuple[int, str] | None = None
        if cached is not None:
            status_line, _, text = cached.partition("\n")
            answer = int(status_line), text
        else:
            answer = self._download(origin)
            if answer is not None and cache is not None and answer[0] < 500:
                workfiles.write_text(cache, f"{answer[0]}\n{answer[1]}")
        if answer is None or answer[0] >= 500 or answer[0] < 200:
            return None
        # 4xx: no rules at all, which allows everything
        parser = Protego.parse(answer[1] if answer[0] < 300 else "")
        delay = parser.crawl_delay(self._settings.user_agent)
        if delay is not None:
            # the limiter keeps the larger of this and our own rate
            self._limiter.at_least(_host(origin), float(delay))
        return parser

    def check(self, url: str) -> str | None:
        """None when `url` may be fetched, else why not (an error message for the fetch result)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parser(origin)
        if parser is None:
            if origin in self._refused:  # the URL itself is refused, robots or not
                return self._refused[origin]
            return f"robots.txt unavailable for {parts.netloc}; not fetched"
        if not parser.can_fetch(url, self._settings.user_agent):
            return f"disallowed by robots.txt of {parts.netloc}"
        return None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _read_capped(response: requests.Response, cap: int) -> bytes:
    """At most `cap` bytes of the body, read chunk by chunk: a huge robots.txt is never held."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        chunks.append(chunk[: cap - size])
        size += len(chunks[-1])
        if size >= cap:
            break
    return b"".join(chunks)
