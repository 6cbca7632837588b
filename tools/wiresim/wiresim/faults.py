"""Switchable, deterministic fault modes for the local wire site, and what a fetcher should make of them."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from wiresim.generate import Site

Recovery = Literal["in_run", "next_run", "never"]


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault mode: what the site does, and what a good fetcher ends up with."""

    mode: str
    does: str
    recovery: Recovery  # in_run: retries within one run load it; next_run: a later run does
    reason: str | None = None  # the reject reason a fetcher should record when recovery == never


FAULT_SPECS: dict[str, FaultSpec] = {
    spec.mode: spec
    for spec in (
        FaultSpec("burst_500", "first `burst_length` requests answer 500", "in_run"),
        FaultSpec("burst_502", "first `burst_length` requests answer 502", "in_run"),
        FaultSpec("burst_503", "first `burst_length` requests answer 503", "in_run"),
        FaultSpec(
            "outage_503",
            "first `outage_length` requests answer 503 (more than one run's attempts)",
            "next_run",
        ),
        FaultSpec("rate_limited_429", "first request answers 429 with Retry-After", "in_run"),
        FaultSpec("slow", "first request waits `slow_seconds` before answering", "in_run"),
        FaultSpec("reset", "first request's connection is reset (RST)", "in_run"),
        FaultSpec(
            "truncated",
            "first request's body stops short of its Content-Length, then the connection closes",
            "in_run",
        ),
        FaultSpec("gb18030", "page encoded in GB18030, no charset anywhere", "in_run"),
        FaultSpec(
            "stall_body",
            "first request sends half its body, then stalls `slow_seconds` and hangs up",
            "in_run",
        ),
        FaultSpec("corrupt_gzip", "first request's gzip-encoded body is corrupt", "in_run"),
        FaultSpec(
            "tracking_duplicate",
            "the listing links the page twice, first with tracking parameters (utm_*)",
            "in_run",
        ),
        FaultSpec("huge", "page of `huge_bytes` bytes", "never", "body_too_large"),
        FaultSpec("offhost_redirect", "302 to another host", "never", "redirect_refused"),
        FaultSpec("redirect_loop", "302 to itself, for ever", "never", "redirect_loop"),
        FaultSpec("robots_disallow", "robots.txt disallows the page", "never", "robots_disallowed"),
        FaultSpec("listing_404", "listed, but answers 404", "never", "http_404"),
    )
}
ALL_MODES: tuple[str, ...] = tuple(FAULT_SPECS)
OFFHOST_REDIRECT_HOST = "offhost.invalid"
_GB18030_MARK = (
    "<!-- 中国网 新闻 -->\n"  # non-ASCII in GB18030: strict UTF-8 cannot decode the page
)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which fault modes are on, how hard they hit; the same plan always hits the same URLs."""

    modes: tuple[str, ...] = ALL_MODES
    per_day: int = 1  # victims per mode and page date
    burst_length: int = 2
    outage_length: int = 4  # = the default max_attempts: a whole run's attempts fail
    retry_after_seconds: int = 1
    slow_seconds: float = 3.0
    huge_bytes: int = 6_000_000

    def __post_init__(self) -> None:
        unknown = sorted(set(self.modes) - set(FAULT_SPECS))
        if unknown:
            raise ValueError(f"unknown fault modes {unknown}; known: {', '.join(ALL_MODES)}")
        if self.per_day < 1:
            raise ValueError("per_day must be at least 1")

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """`all`, `name,name,...`, or the path of a JSON file with the plan's fields."""
        text = text.strip()
        if text.endswith(".json") or Path(text).is_file():
            data: dict[str, Any] = json.loads(Path(text).read_text(encoding="utf-8"))
            if "modes" in data:
                data["modes"] = tuple(ALL_MODES if data["modes"] == "all" else data["modes"])
            return cls(**data)
        if text in {"", "all"}:
            return cls()
        return cls(modes=tuple(name.strip() for name in text.split(",") if name.strip()))

    def victims(self, site: Site) -> dict[str, str]:
        """Article path -> fault mode. Victims are plain articles nothing else depends on."""
        depended_on = {a.duplicate_of_path for a in site.articles if a.duplicate_of_path}
        by_day: dict[Any, list[Any]] = {}
        for article in site.articles:
            plain = (
                article.kind == "article"
                and article.defect is None
                and article.duplicate_of_path is None
                and article.relisted_at is None
                and article.path not in depended_on
            )
            if plain:
                by_day.setdefault(article.page_date, []).append(article)
        chosen: dict[str, str] = {}
        for day_articles in by_day.values():
            day_articles.sort(key=lambda a: a.seq)
            # Spread over the day; a mode's victims do not move when other modes are switched off.
            stride = max(len(day_articles) // (len(ALL_MODES) * self.per_day), 1)
            for mode_index, mode in enumerate(ALL_MODES):
                if mode not in self.modes:
                    continue
                for k in range(self.per_day):
                    slot = (mode_index * self.per_day + k) * stride
                    if slot < len(day_articles):
                        chosen[day_articles[slot].path] = mode
        return chosen

    def answer_key(self, site: Site, base_url: str) -> list[dict[str, Any]]:
        """The site's answer key with `fault` and `recovery` per URL; unrecoverable ones rejected."""
        victims = self.victims(site)
        base = base_url.rstrip("/")
        entries: list[dict[str, Any]] = []
        for entry in site.answer_key(base):
            path = entry["url"][len(base) :]
            mode = victims.get(path)
            entry = {**entry, "fault": mode, "recovery": None}
            if mode is not None:
                spec = FAULT_SPECS[mode]
                entry["recovery"] = spec.recovery
                if spec.recovery == "never":
                    entry.update(outcome="reject", reject_stage="fetch", reject_reason=spec.reason)
            entries.append(entry)
        return entries


@dataclass
class FaultInjector:
    """A plan applied to one served site: counts requests per path and misbehaves accordingly."""

    plan: FaultPlan
    site: Site
    victims: dict[str, str] = field(init=False)
    requests_seen: Counter[str] = field(init=False, default_factory=Counter)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.victims = self.plan.victims(self.site)

    def robots_txt(self) -> str:
        lines = ["User-agent: *"]
        disallowed = sorted(p for p, m in self.victims.items() if m == "robots_disallow")
        lines += [f"Disallow: {path}" for path in disallowed] or ["Disallow:"]
        return "\n".join(lines) + "\n"

    def handle(self, handler: BaseHTTPRequestHandler, path: str, *, send_body: bool) -> bool:
        """Answer the request if a fault applies (True), else leave it to the site (False)."""
        if path == "/robots.txt":
            body = self.robots_txt().encode("utf-8")
            _send(handler, 200, {"Content-Type": "text/plain; charset=utf-8"}, body, send_body)
            return True
        mode = self.victims.get(path)
        if mode is None:
            return self._listing_with_tracking_links(handler, path, send_body=send_body)
        with self._lock:
            self.requests_seen[path] += 1
            nth = self.requests_seen[path]  # 1 = first request for this path
        return self._misbehave(handler, path, mode, nth, send_body=send_body)

    def _misbehave(
        self, handler: BaseHTTPRequestHandler, path: str, mode: str, nth: int, *, send_body: bool
    ) -> bool:
        plan = self.plan
        html = {"Content-Type": "text/html; charset=utf-8"}
        if mode.startswith("burst_") and nth <= plan.burst_length:
            status = int(mode.removeprefix("burst_"))
            _send(handler, status, html, f"<h1>{status}</h1>".encode(), send_body)
            return True
        if mode == "outage_503" and nth <= plan.outage_length:
            _send(handler, 503, html, b"<h1>503 Service Unavailable</h1>", send_body)
            return True
        if mode == "rate_limited_429" and nth == 1:
            headers = {**html, "Retry-After": str(plan.retry_after_seconds)}
            _send(handler, 429, headers, b"<h1>429 Too Many Requests</h1>", send_body)
            return True
        if mode == "slow" and nth == 1:
            time.sleep(plan.slow_seconds)
            return False
        if mode == "reset" and nth == 1:
            _reset(handler)
            return True
        if mode == "listing_404":
            _send(handler, 404, html, b"<h1>404 Not Found</h1>", send_body)
            return True
        if mode == "offhost_redirect":
            location = f"http://{OFFHOST_REDIRECT_HOST}{path}"
            _send(handler, 302, {**html, "Location": location}, b"", send_body)
            return True
        if mode == "redirect_loop":
            _send(handler, 302, {**html, "Location": path}, b"", send_body)
            return True
        rendered = self._rendered(handler, path)
        if rendered is None:
            return False
        status, headers, body = rendered
        if mode == "truncated" and nth == 1:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            if send_body:
                handler.wfile.write(body[: len(body) // 2])
            handler.close_connection = True
            return True
        if mode == "stall_body" and nth == 1:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if send_body:
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                time.sleep(plan.slow_seconds)
            handler.close_connection = True
            return True
        if mode == "corrupt_gzip" and nth == 1:
            garbage = b"\x1f\x8b\x08\x00" + b"not a gzip stream" * 8
            _send(handler, status, {**headers, "Content-Encoding": "gzip"}, garbage, send_body)
            return True
        if mode == "gb18030" and handler.headers.get("If-None-Match") == headers.get("ETag"):
            return False  # the site answers 304 as for any page
        if mode == "gb18030":
            text = body.decode("utf-8").replace(
                '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n', ""
            )
            text = text.replace("<head>\n", "<head>\n" + _GB18030_MARK, 1)
            _send(
                handler,
                status,
                {**headers, "Content-Type": "text/html"},
                text.encode("gb18030"),
                send_body,
            )
            return True
        if mode == "huge":
            padding = b"<!-- " + b"x" * max(plan.huge_bytes - len(body), 0) + b" -->\n"
            huge = body.replace(b"</body>", padding + b"</body>", 1)
            _send(handler, status, headers, huge, send_body)
            return True
        return False

    def _listing_with_tracking_links(
        self, handler: BaseHTTPRequestHandler, path: str, *, send_body: bool
    ) -> bool:
        """A page linking a `tracking_duplicate` victim links it twice: first with tracking
        parameters, then plain (as feeds and social shares spread links)."""
        tracked = [p for p, m in self.victims.items() if m == "tracking_duplicate"]
        if not tracked:
            return False
        rendered = self._rendered(handler, path)
        if rendered is None:
            return False
        status, headers, body = rendered
        base = getattr(handler.server, "base_url", "").encode()
        changed = body
        for victim in tracked:
            plain = b'<li><a href="' + base + victim.encode() + b'"'
            if plain not in changed:
                continue
            tagged = plain[:-1] + b'?utm_source=rss&amp;utm_medium=feed"'
            start = changed.index(plain)
            end = changed.index(b"</li>", start) + len(b"</li>")
            item = changed[start:end]
            changed = changed[:start] + item.replace(plain, tagged, 1) + b"\n" + changed[start:]
        if changed is body:
            return False
        asked = handler.headers.get("If-None-Match")
        if asked is not None and asked == headers.get("ETag"):
            return False  # unchanged since last asked: the site answers 304 as for any page
        _send(handler, status, headers, changed, send_body)
        return True

    def _rendered(
        self, handler: BaseHTTPRequestHandler, path: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        base_url: str = getattr(handler.server, "base_url", "")
        return self.site.render(path, base_url)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    headers: dict[str, str],
    body: bytes,
    send_body: bool,
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() not in {"etag", "last-modified"} or 200 <= status < 300:
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if send_body and body:
        handler.wfile.write(body)


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP RST instead of an answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.log_request(0)
    handler.connection.close()


def with_modes(plan: FaultPlan, *modes: str) -> FaultPlan:
    """The plan with only these modes on."""
    return replace(plan, modes=tuple(modes))
