"""robots.txt per host, fetched once per run and obeyed."""

from __future__ import annotations

import re
import threading
import urllib.robotparser
from pathlib import Path
from urllib.parse import urlsplit

import requests

from wire_ingest.http.ratelimit import HostLimiter
from wire_ingest.settings import FetchSettings


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
        limiter: HostLimiter,
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
