"""The raw landing area: WARC layout, round trips, failure records and atomic publication."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from pathlib import Path

import fsspec
import pytest
from warcio.archiveiterator import ArchiveIterator

from wire_ingest.landing import (
    LandingWriter,
    iter_landed,
    landed_files,
    landing_file_url,
    read_landed,
    remove_stale_temps,
    unresolved_refs,
)

DAY = dt.date(2020, 12, 23)
FEED = "china_org_cn"
RUN_ID = "scheduled__2020-12-23T00:00:00+00:00"
FETCHED_AT = "2020-12-23T01:02:03.456789+00:00"
REQUEST_HEADERS = {"User-Agent": "wire-ingest-test/1", "Accept": "text/html"}


def page_html(n: int) -> bytes:
    return f"<html><body><p>story {n} – 新华社</p></body></html>".encode()


@pytest.fixture
def landing_url(tmp_path: Path) -> str:
    return (tmp_path / "landing").as_uri()


def test_layout_is_source_date_kind_run(landing_url: str) -> None:
    url = landing_file_url(landing_url, FEED, DAY, "articles", RUN_ID)
    assert url == (
        f"{landing_url}/source=china_org_cn/date=2020-12-23/"
        "articles-scheduled__2020-12-23T00_00_00_00_00.warc.gz"
    )
    assert landing_file_url(landing_url, FEED, DAY, "listing", "r/1", part="3").endswith(
        "/listing-r_1-3.warc.gz"
    )
    with pytest.raises(ValueError):
        landing_file_url(landing_url, FEED, DAY, "images", RUN_ID)  # type: ignore[arg-type]


def test_response_round_trip(landing_url: str) -> None:
    written = []
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id=RUN_ID) as writer:
        for n in range(3):
            url = f"http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_7690000{n}.htm"
            headers = {
                "Content-Type": "text/html; charset=UTF-8",
                "Content-Length": str(len(page_html(n))),
                "Server": "test",
            }
            ref = writer.write_response(
                url, 200, "OK", headers, page_html(n), FETCHED_AT, REQUEST_HEADERS
            )
            written.append((ref, url, headers))
    assert Path(writer.url.removeprefix("file://")).is_file()

    landed = list(iter_landed(writer.url))
    assert [page.raw_ref for page in landed] == [ref for ref, _, _ in written]
    for n, (page, (ref, url, headers)) in enumerate(zip(landed, written, strict=True)):
        assert page.url == url
        assert page.status == 200
        assert page.headers == headers
        assert page.body == page_html(n)
        assert page.fetched_at == FETCHED_AT
        assert page.charset == "utf-8"
        assert page.error is None
        assert read_landed(ref) == page


def test_file_is_valid_warc_with_request_records(landing_url: str) -> None:
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="listing", run_id="r1") as writer:
        writer.write_response(
            "http://h/world/node_1.htm?x=1", 404, "Not Found", {}, b"gone", FETCHED_AT, {}
        )
    with fsspec.open(writer.url, "rb") as stream:
        records = [
            (r.rec_type, dict(r.rec_headers.headers), r.http_headers)
            for r in ArchiveIterator(stream)
        ]
    assert [kind for kind, _, _ in records] == ["warcinfo", "response", "request"]
    _, response_headers, response_http = records[1]
    _, request_headers, request_http = records[2]
    assert response_headers["WARC-Date"] == "2020-12-23T01:02:03.456789Z"
    assert response_http.statusline == "404 Not Found"
    assert request_headers["WARC-Concurrent-To"] == response_headers["WARC-Record-ID"]
    assert request_http.protocol == "GET"
    assert request_http.statusline == "/world/node_1.htm?x=1 HTTP/1.1"
    assert request_http.get_header("Host") == "h"


def test_decoded_body_does_not_carry_wire_encoding_headers(landing_url: str) -> None:
    # requests hands over the decoded body; a stored "Content-Encoding: gzip" would make
    # WARC readers try to gunzip plain HTML.
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": "12"}
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as writer:
        ref = writer.write_response(
            "http://h/a.htm", 200, "OK", headers, b"<p>plain</p>" * 3, FETCHED_AT, {}
        )
    page = read_landed(ref)
    assert page.body == b"<p>plain</p>" * 3
    assert page.headers == {
        "Content-Type": "text/html",
        "X-Archive-Orig-Content-Encoding": "gzip",
        "X-Archive-Orig-Content-Length": "12",
    }
    assert page.charset is None


def test_failures_are_kept_as_metadata_records(landing_url: str) -> None:
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as writer:
        ok_ref = writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
        fail_ref = writer.write_failure(
            "http://h/b.htm",
            "timeout: read timed out\n(second line)",
            FETCHED_AT,
            status=200,
            headers={"Content-Type": "application/pdf; charset=GBK"},
        )
        bare_ref = writer.write_failure("http://h/c.htm", "connection refused", FETCHED_AT)
    assert [p.raw_ref for p in iter_landed(writer.url)] == [ok_ref]
    assert [p.raw_ref for p in iter_landed(writer.url, include_failures=True)] == [
        ok_ref,
        fail_ref,
        bare_ref,
    ]
    failure = read_landed(fail_ref)
    assert failure.url == "http://h/b.htm"
    assert failure.error == "timeout: read timed out (second line)"
    assert failure.status == 200
    assert failure.headers == {"Content-Type": "application/pdf; charset=GBK"}
    assert failure.charset == "gbk"
    assert failure.body == b""
    bare = read_landed(bare_ref)
    assert (bare.status, bare.error, bare.headers) == (None, "connection refused", {})


def test_file_appears_under_final_name_only_on_close(landing_url: str) -> None:
    writer = LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1")
    final = Path(writer.url.removeprefix("file://"))
    writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
    in_progress = list(final.parent.iterdir())
    assert not final.exists()
    assert len(in_progress) == 1 and in_progress[0].name.startswith(".")
    assert in_progress[0].name.endswith(".tmp")
    assert landed_files(landing_url, FEED, DAY, "articles") == []
    writer.close()
    assert [p.name for p in final.parent.iterdir()] == [final.name]
    writer.close()  # idempotent
    with pytest.raises(ValueError):
        writer.write_response("http://h/b.htm", 200, "OK", {}, b"b", FETCHED_AT, {})


def test_exception_in_block_publishes_nothing(landing_url: str) -> None:
    with (
        pytest.raises(RuntimeError),
        LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as writer,
    ):
        writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
        raise RuntimeError("task killed half way")
    day_dir = Path(writer.url.removeprefix("file://")).parent
    assert list(day_dir.iterdir()) == []


def test_landed_files_lists_a_days_runs_of_one_kind(landing_url: str) -> None:
    urls = []
    for kind, run in [("articles", "run-b"), ("articles", "run-a"), ("listing", "run-a")]:
        with LandingWriter(landing_url, feed=FEED, day=DAY, kind=kind, run_id=run) as writer:  # type: ignore[arg-type]
            writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
        urls.append(writer.url)
    with LandingWriter(
        landing_url, feed=FEED, day=DAY + dt.timedelta(days=1), kind="articles", run_id="x"
    ):
        pass
    assert landed_files(landing_url, FEED, DAY, "articles") == sorted(urls[:2])
    assert landed_files(landing_url, FEED, DAY, "listing") == [urls[2]]
    assert landed_files(landing_url, "other_feed", DAY, "articles") == []


def test_a_rerun_writes_a_new_file_and_old_refs_stay_readable(landing_url: str) -> None:
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as first:
        old_ref = first.write_response("http://h/a.htm", 200, "OK", {}, b"old", FETCHED_AT, {})
    assert read_landed(old_ref).body == b"old"  # also caches the file's record offsets
    # A retried task or a cleared run: the same run id, a new attempt.
    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as second:
        second.write_response("http://h/x.htm", 200, "OK", {}, b"pad" * 50, FETCHED_AT, {})
        new_ref = second.write_response("http://h/a.htm", 200, "OK", {}, b"new", FETCHED_AT, {})
    assert first.url != second.url
    assert Path(first.url.removeprefix("file://")).name.startswith("articles-r1-")
    assert read_landed(new_ref).body == b"new"
    assert read_landed(old_ref).body == b"old"
    assert landed_files(landing_url, FEED, DAY, "articles") == sorted([first.url, second.url])
    assert unresolved_refs([old_ref, new_ref]) == []
    with pytest.raises(ValueError):
        read_landed("no-fragment-here")


def test_a_landed_file_is_never_replaced(landing_url: str) -> None:
    stamp = "20201223T000000000000Z"
    with LandingWriter(landing_url, FEED, DAY, "articles", "r1", stamp=stamp) as first:
        ref = first.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
    second = LandingWriter(landing_url, FEED, DAY, "articles", "r1", stamp=stamp)
    second.write_response("http://h/a.htm", 200, "OK", {}, b"b", FETCHED_AT, {})
    with pytest.raises(FileExistsError):
        second.close()
    assert read_landed(ref).body == b"a"
    assert [p.name for p in Path(first.url.removeprefix("file://")).parent.iterdir()] == [
        Path(first.url).name
    ]


def test_unresolved_refs_names_missing_records_and_files(landing_url: str) -> None:
    with LandingWriter(landing_url, FEED, DAY, "articles", "r1") as writer:
        ref = writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
    missing_record = f"{writer.url}#urn:uuid:00000000-0000-0000-0000-000000000000"
    missing_file = f"{landing_url}/source=x/date=2020-12-23/articles-gone.warc.gz#urn:uuid:1"
    assert unresolved_refs([ref, missing_record, missing_file]) == sorted(
        [missing_record, missing_file]
    )


def test_stale_temps_of_the_run_and_old_ones_are_removed(landing_url: str) -> None:
    killed = LandingWriter(landing_url, FEED, DAY, "articles", "r1")
    killed.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
    other_run = LandingWriter(landing_url, FEED, DAY, "articles", "r1-other")
    old_other = LandingWriter(landing_url, FEED, DAY, "articles", "r2")
    day_dir = Path(killed.url.removeprefix("file://")).parent
    temps = sorted(p.name for p in day_dir.iterdir())
    assert len(temps) == 3 and all(t.endswith(".tmp") for t in temps)
    old_temp = next(p for p in day_dir.iterdir() if p.name.startswith(".articles-r2-"))
    os.utime(old_temp, (1, 1))
    removed = remove_stale_temps(landing_url, FEED, DAY, "articles", "r1")
    left = [p.name for p in day_dir.iterdir()]
    assert len(removed) == 2 and len(left) == 1 and left[0].startswith(".articles-r1-other-")
    other_run.abort()
    old_other.abort()
    killed.abort()


def test_concurrent_writers_threads_produce_readable_records(landing_url: str) -> None:
    refs: list[str] = []
    refs_lock = threading.Lock()

    def write_many(writer: LandingWriter, worker: int) -> None:
        for n in range(25):
            body = f"worker {worker} page {n} ".encode() * 40
            ref = writer.write_response(
                f"http://h/{worker}/{n}.htm", 200, "OK", {}, body, FETCHED_AT, {}
            )
            with refs_lock:
                refs.append(ref)

    with LandingWriter(landing_url, feed=FEED, day=DAY, kind="articles", run_id="r1") as writer:
        threads = [threading.Thread(target=write_many, args=(writer, w)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert writer.records_written == 200
    landed = {page.raw_ref: page for page in iter_landed(writer.url)}
    assert set(landed) == set(refs) and len(refs) == 200
    for ref in refs[::17]:
        page = read_landed(ref)
        worker, n = page.url.removeprefix("http://h/").removesuffix(".htm").split("/")
        assert page.body == f"worker {worker} page {n} ".encode() * 40


def test_non_local_filesystem_uploads_on_close() -> None:
    # memory:// stands in for s3:// (any fsspec filesystem that is not local disk).
    root = f"memory://landing-{uuid.uuid4().hex}"
    writer = LandingWriter(root, feed=FEED, day=DAY, kind="articles", run_id="r1")
    ref = writer.write_response(
        "http://h/a.htm", 200, "OK", {"Content-Type": "text/html"}, b"<p>a</p>", FETCHED_AT, {}
    )
    fs = fsspec.filesystem("memory")
    assert not fs.exists(writer.url)
    writer.close()
    assert fs.exists(writer.url)
    assert landed_files(root, FEED, DAY, "articles") == [writer.url]
    assert read_landed(ref).body == b"<p>a</p>"
    fs.rm(root, recursive=True)


def test_check_landing_exits_1_naming_a_dangling_raw_ref(
    landing_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from wire_ingest import cli
    from wire_ingest.warehouse import engines, load, migrations

    sys.path.insert(0, str(Path(__file__).parent))
    from test_validate import TARGET_DAY, make_article

    with LandingWriter(landing_url, FEED, TARGET_DAY, "articles", "r1") as writer:
        ref = writer.write_response("http://h/a.htm", 200, "OK", {}, b"a", FETCHED_AT, {})
    dangling = f"{landing_url}/source={FEED}/date=2020-12-23/articles-gone.warc.gz#urn:uuid:1"
    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = engines.make_engine(url)
    migrations.migrate(engine)
    load.load_articles(
        engine,
        [make_article(1, raw_ref=ref), make_article(2, raw_ref=dangling)],
        run_id="r1",
    )
    engine.dispose()
    args = ["check-landing", "--day", TARGET_DAY.isoformat(), "--warehouse", url]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert "articles: 2 raw_refs, 1 unresolved" in out
    assert f"  unresolved: {dangling}" in out
