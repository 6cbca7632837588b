"""The raw landing area: immutable gzip WARC files per (feed, day, kind, run, attempt) on fsspec."""

from __future__ import annotations

import contextlib
import datetime as dt
import email.message
import io
import os
import re
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, Literal
from urllib.parse import urlsplit

import fsspec
from fsspec.core import url_to_fs
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import wire_ingest

Kind = Literal["listing", "articles"]
KINDS: tuple[Kind, ...] = ("listing", "articles")

# The stored body is the decoded one, so headers describing the wire encoding would lie about it;
# they are kept under the prefix web archives (pywb) use for rewritten headers.
ORIGINAL_HEADER_PREFIX = "X-Archive-Orig-"
_ENCODING_HEADERS = ("content-encoding", "transfer-encoding")

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class LandedPage:
    """One landed HTTP response (or, with status None, a fetch that got no usable response)."""

    url: str
    status: int | None
    headers: dict[str, str]
    body: bytes
    fetched_at: str  # ISO 8601 UTC
    raw_ref: str
    charset: str | None  # from the Content-Type header, lower case
    error: str | None = None  # set for failure (metadata) records


def safe_key(run_id: str) -> str:
    """A filesystem-safe form of a run id, e.g. Airflow's `scheduled__2020-12-23T00:00:00+00:00`."""
    key = _UNSAFE_CHARS.sub("_", run_id).strip("_")
    return key or "run"


def day_dir_url(landing_url: str, feed: str, day: dt.date) -> str:
    return f"{landing_url.rstrip('/')}/source={feed}/date={day.isoformat()}"


def landing_file_url(
    landing_url: str,
    feed: str,
    day: dt.date,
    kind: Kind,
    run_id: str,
    part: str = "",
    stamp: str = "",
) -> str:
    """`{landing_url}/source={feed}/date={day}/{kind}-{run_key}[-{part}][-{stamp}].warc.gz`."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    suffix = "".join(f"-{safe_key(x)}" for x in (part, stamp) if x)
    return f"{day_dir_url(landing_url, feed, day)}/{kind}-{safe_key(run_id)}{suffix}.warc.gz"


def attempt_stamp(now: dt.datetime | None = None) -> str:
    """The attempt part of a landing file's name (UTC to the microsecond): a retried task or a
    cleared run with the same run id writes a new file instead of replacing the old one."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


_STAMP = r"\d{8}T\d{12}Z"


def remove_stale_temps(
    landing_url: str,
    feed: str,
    day: dt.date,
    kind: Kind,
    run_id: str,
    *,
    older_than: float = 3600.0,
) -> list[str]:
    """Remove the day's unfinished temp files a killed writer left: those of this run and kind
    (its earlier attempt is dead: one run's task never runs twice at once), and any not written
    to for `older_than` seconds (a live writer keeps its file fresh). Local landing areas only
    (elsewhere the temp file lives in the writer's own temp dir). Returns the removed names."""
    import time

    fs, directory = url_to_fs(day_dir_url(landing_url, feed, day))
    if not _is_local(fs) or not os.path.isdir(directory):
        return []
    own = re.compile(
        # the run's files of every part (the second fetch round writes a `related` part)
        rf"^\.{kind}-{re.escape(safe_key(run_id))}(?:-related)?-{_STAMP}\.warc\.gz\.[0-9a-f]+\.tmp$"
    )
    removed = []
    for entry in os.scandir(directory):
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        try:
            stale = time.time() - entry.stat().st_mtime > older_than
        except FileNotFoundError:
            continue  # its writer just published or dropped it
        if own.match(entry.name) or stale:
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)
            removed.append(entry.name)
    return sorted(removed)


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, lower case, or None."""
    if not content_type:
        return None
    message = email.message.Message()
    message["Content-Type"] = content_type
    charset = message.get_param("charset")
    if not isinstance(charset, str):  # absent, or an RFC 2231 tuple nobody sends for charset
        return None
    return charset.strip().lower() or None


def media_type_of(content_type: str | None) -> str | None:
    """The media type of a Content-Type header value (`text/html`), or None when absent."""
    if not content_type or not content_type.strip():
        return None
    message = email.message.Message()
    message["Content-Type"] = content_type
    return message.get_content_type()


def to_warc_date(fetched_at: str) -> str:
    """ISO 8601 (any offset) -> WARC 1.1 date in UTC with microseconds."""
    moment = dt.datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_warc_date(warc_date: str) -> str:
    moment = dt.datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC).isoformat()


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return "file" in protocols or "local" in protocols


def _archived_headers(headers: Mapping[str, str], body_length: int) -> list[tuple[str, str]]:
    """Rename headers that no longer describe the stored (decoded) body."""
    archived: list[tuple[str, str]] = []
    for name, value in headers.items():
        lowered = name.lower()
        stale_length = lowered == "content-length" and value.strip() != str(body_length)
        if lowered in _ENCODING_HEADERS or stale_length:
            archived.append((ORIGINAL_HEADER_PREFIX + name, value))
        else:
            archived.append((name, value))
    return archived


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _record_id(record: Any) -> str:
    return str(record.rec_headers.get_header("WARC-Record-ID")).strip("<>")


class LandingWriter:
    """Writes one WARC file; records become visible under the final name only on a clean close.

    The file is built locally (a hidden temp file next to the target for file://, a temp dir
    otherwise) and linked/uploaded on close, so a killed task never leaves a half file behind.
    Landed files are immutable: every writer has its own name (run key + attempt stamp) and
    publishing never replaces a file, so every raw_ref handed out stays readable.
    """

    def __init__(
        self,
        landing_url: str,
        feed: str,
        day: dt.date,
        kind: Kind,
        run_id: str,
        part: str = "",
        stamp: str | None = None,
    ) -> None:
        self.url = landing_file_url(
            landing_url, feed, day, kind, run_id, part, stamp or attempt_stamp()
        )
        self._fs, self._path = url_to_fs(self.url)
        self._local = _is_local(self._fs)
        self._lock = threading.Lock()
        self._closed = False
        self.records_written = 0
        name = self._path.rsplit("/", 1)[-1]
        if self._local:
            directory = os.path.dirname(self._path)
            os.makedirs(directory, exist_ok=True)
            self._temp_path = os.path.join(directory, f".{name}.{uuid.uuid4().hex}.tmp")
        else:
            handle, self._temp_path = tempfile.mkstemp(suffix=f"-{name}")
            os.close(handle)
        self._file: IO[bytes] = open(self._temp_path, "wb")  # noqa: SIM115 - closed in close()
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = {
            "software": f"wire-ingest/{wire_ingest.__version__}",
            "format": "WARC File Format 1.1",
            "feed": feed,
            "date": day.isoformat(),
            "kind": kind,
            "run-id": run_id,
        }
        self._writer.write_record(self._writer.create_warcinfo_record(name, info))

    def __enter__(self) -> LandingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write_response(
        self,
        url: str,
        status: int,
        reason: str,
        headers: Mapping[str, str],
        body: bytes,
        fetched_at: str,
        request_headers: Mapping[str, str],
        method: str = "GET",
    ) -> str:
        """Land a `request` + `response` record pair; returns the response's raw_ref."""
        warc_date = to_warc_date(fetched_at)
        http_headers = StatusAndHeaders(
            f"{status} {reason}".strip(),
            _archived_headers(headers, len(body)),
            protocol="HTTP/1.1",
        )
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": warc_date},
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request_lines = [(name, value) for name, value in request_headers.items()]
        if not any(name.lower() == "host" for name, _ in request_lines):
            request_lines.insert(0, ("Host", urlsplit(url).netloc))
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{method} {_request_target(url)} HTTP/1.1", request_lines, is_http_request=True
            ),
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Concurrent-To": response_id},
        )
        self._write(response, request)
        return f"{self.url}#{_record_id(response)}"

    def write_failure(
        self,
        url: str,
        error: str,
        fetched_at: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Land a `metadata` record for a fetch without a usable response; returns its raw_ref."""
        fields = [("error", " ".join(error.split()))]
        if status is not None:
            fields.append(("http-status", str(status)))
        fields.extend((f"http-header-{name}", value) for name, value in (headers or {}).items())
        payload = "".join(f"{name}: {' '.join(value.split())}\r\n" for name, value in fields)
        data = payload.encode("utf-8")
        record = self._writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(data),
            length=len(data),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": to_warc_date(fetched_at)},
        )
        self._write(record)
        return f"{self.url}#{_record_id(record)}"

    def _write(self, *records: Any) -> None:
        with self._lock:
            if self._closed:
                raise ValueError(f"landing file already closed: {self.url}")
            for record in records:
                self._writer.write_record(record)
            self.records_written += 1

    def close(self) -> None:
        """Finish the file and publish it under its final name (atomically)."""
        self._finish(publish=True)

    def abort(self) -> None:
        """Drop everything written; nothing appears under the final name."""
        self._finish(publish=False)

    def _finish(self, *, publish: bool) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._file.close()
            try:
                if publish:
                    self._publish()
            finally:
                if os.path.exists(self._temp_path):
                    os.remove(self._temp_path)

    def _publish(self) -> None:
        if self._local:
            os.link(self._temp_path, self._path)  # fails if the name exists: no replace
            return
        if self._fs.exists(self._path):
            raise FileExistsError(f"landing file already exists: {self.url}")
        self._fs.put_file(self._temp_path, self._path)


def _headers_dict(http_headers: StatusAndHeaders) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in http_headers.headers:
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


def _parse_warc_fields(data: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def _landed_from_record(record: Any, warc_url: str) -> LandedPage | None:
    """A LandedPage for a response or metadata record; None for other record types."""
    url = str(record.rec_headers.get_header("WARC-Target-URI") or "")
    fetched_at = from_warc_date(str(record.rec_headers.get_header("WARC-Date")))
    raw_ref = f"{warc_url}#{_record_id(record)}"
    if record.rec_type == "response":
        headers = _headers_dict(record.http_headers)
        return LandedPage(
            url=url,
            status=int(record.http_headers.get_statuscode()),
            headers=headers,
            body=record.content_stream().read(),
            fetched_at=fetched_at,
            raw_ref=raw_ref,
            charset=charset_of(record.http_headers.get_header("Content-Type")),
        )
    if record.rec_type == "metadata":
        fields = _parse_warc_fields(record.content_stream().read())
        prefix = "http-header-"
        headers = {k[len(prefix) :]: v for k, v in fields.items() if k.startswith(prefix)}
        status = fields.get("http-status")
        return LandedPage(
            url=url,
            status=int(status) if status else None,
            headers=headers,
            body=b"",
            fetched_at=fetched_at,
            raw_ref=raw_ref,
            charset=charset_of(headers.get("Content-Type")),
            error=fields.get("error", "unknown error"),
        )
    return None


def iter_landed(warc_url: str, *, include_failures: bool = False) -> Iterator[LandedPage]:
    """The landed responses of one WARC file in write order (failures too when asked)."""
    with fsspec.open(warc_url, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "metadata"):
                continue
            if record.rec_type == "metadata" and not include_failures:
                continue
            page = _landed_from_record(record, warc_url)
            if page is not None:
                yield page


# raw_ref -> record offset, per file, so reading many refs from one WARC does not rescan it.
_OFFSETS: OrderedDict[str, dict[str, int]] = OrderedDict()
_OFFSETS_LOCK = threading.Lock()
_OFFSETS_MAX_FILES = 32


def _index_offsets(warc_url: str) -> dict[str, int]:
    offsets: dict[str, int] = {}
    with fsspec.open(warc_url, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            offsets[_record_id(record)] = records.get_record_offset()
    with _OFFSETS_LOCK:
        _OFFSETS[warc_url] = offsets
        _OFFSETS.move_to_end(warc_url)
        while len(_OFFSETS) > _OFFSETS_MAX_FILES:
            _OFFSETS.popitem(last=False)
    return offsets


def _read_at(warc_url: str, offset: int, record_id: str) -> LandedPage | None:
    with fsspec.open(warc_url, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            if _record_id(record) != record_id:
                return None  # the file was replaced since it was indexed
            return _landed_from_record(record, warc_url)
    return None


def read_landed(raw_ref: str) -> LandedPage:
    """The landed page a raw_ref (`<warc file url>#<record id>`) points to; KeyError if absent."""
    warc_url, sep, record_id = raw_ref.rpartition("#")
    if not sep or not warc_url:
        raise ValueError(f"not a raw_ref: {raw_ref!r}")
    record_id = record_id.strip("<>")
    with _OFFSETS_LOCK:
        cached = _OFFSETS.get(warc_url)
    # A cached index may be stale (the file was rewritten by a re-run): then index once more.
    for offsets in (cached, None) if cached is not None else (None,):
        if offsets is None:
            offsets = _index_offsets(warc_url)
        if record_id in offsets:
            page = _read_at(warc_url, offsets[record_id], record_id)
            if page is not None:
                return page
    raise KeyError(f"no landed page {record_id} in {warc_url}")


def landed_files(landing_url: str, feed: str, day: dt.date, kind: Kind) -> list[str]:
    """URLs of a day's landed WARC files of one kind (all runs), sorted by name."""
    day_url = day_dir_url(landing_url, feed, day)
    fs, directory = url_to_fs(day_url)
    if not fs.exists(directory):
        return []
    names = (
        path.rsplit("/", 1)[-1] for path in fs.glob(f"{directory.rstrip('/')}/{kind}-*.warc.gz")
    )
    # Built from landing_url (not the fs's own spelling) so they match LandingWriter.url exactly.
    return sorted(f"{day_url}/{name}" for name in names)


def unresolved_refs(raw_refs: Iterable[str]) -> list[str]:
    """The raw_refs that do not point at a landed record (missing file or record), sorted."""
    missing = []
    for ref in sorted(set(raw_refs)):
        try:
            read_landed(ref)
        except (KeyError, ValueError, FileNotFoundError, OSError):
            missing.append(ref)
    return missing
