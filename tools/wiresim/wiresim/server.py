"""Serve a simulated wire site over HTTP on the loopback interface (the `wiresim` command)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from wiresim.faults import FaultInjector, FaultPlan
from wiresim.generate import Site, build_site
from wiresim.pages import not_found_page

RequestRecord = tuple[str, str, int]  # (method, path as requested, status)


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match."""
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        since = parsedate_to_datetime(header)
        modified = parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return modified <= since


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], site: Site, faults: FaultPlan | None = None
    ) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.faults = FaultInjector(faults, site) if faults is not None else None
        host, port = self.server_address[:2]
        shown = host if isinstance(host, str) else host.decode()
        if ":" in shown:
            shown = f"[{shown}]"
        self.base_url = f"http://{shown}:{port}"
        self.log_lock = threading.Lock()
        self.request_log: list[RequestRecord] = []
        self.arrivals: list[tuple[float, str]] = []  # (time.monotonic() on arrival, path)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (a size cap reached, a fault-mode reset) are not server errors.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real site
    # headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms
    disable_nagle_algorithm = True
    timeout = 30  # idle keep-alive connections do not hold a thread for ever

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        with self.server.log_lock:
            self.server.arrivals.append((time.monotonic(), path))
        faults = self.server.faults
        if faults is not None and faults.handle(self, path, send_body=send_body):
            return
        result = self.server.site.render(path, self.server.base_url)
        if result is None:
            body = not_found_page().encode("utf-8")
            self._send(404, {"Content-Type": "text/html; charset=utf-8"}, body, send_body=send_body)
            return
        status, headers, body = result
        if self._not_modified(headers):
            self.send_response(304)
            for name in ("ETag", "Last-Modified", "Cache-Control"):
                if name in headers:
                    self.send_header(name, headers[name])
            self.end_headers()
            return
        self._send(status, headers, body, send_body=send_body)

    def _not_modified(self, headers: dict[str, str]) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return _etag_matches(if_none_match, headers.get("ETag", ""))
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is not None and "Last-Modified" in headers:
            return _not_modified_since(if_modified_since, headers["Last-Modified"])
        return False

    def _send(self, status: int, headers: dict[str, str], body: bytes, *, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        record = (self.command or "", self.path, int(code) if str(code).isdigit() else 0)
        with self.server.log_lock:
            self.server.request_log.append(record)

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test and demo output clean; the request log has what matters


class RunningSite:
    """A site served from a background thread; stop() or use as a context manager."""

    def __init__(self, server: _SiteServer) -> None:
        self._server = server
        self.site = server.site
        self.base_url = server.base_url
        self._thread = threading.Thread(target=server.serve_forever, name="wiresim", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def request_log(self) -> list[RequestRecord]:
        """A snapshot of the requests served so far, oldest first."""
        with self._server.log_lock:
            return list(self._server.request_log)

    @property
    def arrivals(self) -> list[tuple[float, str]]:
        """(time.monotonic() when each request arrived, its path), oldest first."""
        with self._server.log_lock:
            return list(self._server.arrivals)

    def clear_request_log(self) -> None:
        with self._server.log_lock:
            self._server.request_log.clear()
            self._server.arrivals.clear()

    def answer_key(self) -> list[dict[str, Any]]:
        """The answer key; with faults on, the fault-aware one (`fault`, `recovery` per URL)."""
        if self._server.faults is not None:
            return self._server.faults.plan.answer_key(self.site, self.base_url)
        return self.site.answer_key(self.base_url)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(
    site: Site, host: str = "127.0.0.1", port: int = 0, *, faults: FaultPlan | None = None
) -> RunningSite:
    """Serve `site` on host:port (0 = any free port) from a daemon thread, faults on if given."""
    return RunningSite(_SiteServer((host, port), site, faults))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def serve(
    site: Site,
    host: str = "127.0.0.1",
    port: int = 8765,
    ready_file: Path | None = None,
    *,
    on_listening: Callable[[str], None] | None = None,
    faults: FaultPlan | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT; write the base URL to ready_file once listening."""
    running = start_in_thread(site, host, port, faults=faults)
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        if on_listening is not None:
            on_listening(running.base_url)
        if ready_file is not None:
            _write_atomically(ready_file, running.base_url + "\n")
        while not stop.wait(0.5):
            pass
    finally:
        running.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)


def recent_window(days: int, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """The `days` days before today and today, in Beijing dates (the wire's days)."""
    from zoneinfo import ZoneInfo

    today = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    return today - dt.timedelta(days=days), today


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="wiresim",
        description="Serve a simulated copy of the china.org.cn Off the Wire section on the loopback interface.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2020, 12, 20))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2020, 12, 26))
    parser.add_argument(
        "--recent",
        type=int,
        metavar="DAYS",
        help="serve the DAYS days before today and today (Beijing dates, as of the start) "
        "instead of --start..--end: yesterday is always there for a scheduled run",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=240)
    parser.add_argument(
        "--answer-key", type=Path, help="write the answer key (JSON) here once listening"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="write the base URL here once everything is ready"
    )
    parser.add_argument(
        "--faults",
        type=FaultPlan.parse,
        default=None,
        help="fault modes: 'all', name,name,... or a JSON file of FaultPlan fields",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The `wiresim` command."""
    args = _parse_args(argv)
    if args.recent is not None:
        if args.recent < 1:
            print("--recent needs at least 1 day (yesterday)", file=sys.stderr)
            return 2
        args.start, args.end = recent_window(args.recent)
    if args.end < args.start:
        print(f"--end {args.end} is before --start {args.start}", file=sys.stderr)
        return 2
    site = build_site(args.start, args.end, seed=args.seed, per_day=args.per_day)

    def announce(base_url: str) -> None:
        if args.answer_key is not None:
            faults: FaultPlan | None = args.faults
            key = site.answer_key(base_url) if faults is None else faults.answer_key(site, base_url)
            _write_atomically(args.answer_key, json.dumps(key, ensure_ascii=False, indent=1) + "\n")
        print(
            f"wire site {args.start}..{args.end} ({len(site.articles)} articles, seed {args.seed}) "
            f"at {base_url}/world/node_7075238.htm",
            flush=True,
        )

    try:
        serve(
            site, args.host, args.port, args.ready_file, on_listening=announce, faults=args.faults
        )
    except OSError as error:
        print(f"cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
