"""The warehouse on SQLite and PostgreSQL: idempotent upserts, concurrency, rejects, runs, lookups."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import multiprocessing
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wire_ingest.dedupe.exact import dedupe_with_warehouse
from wire_ingest.models import Article, Rejection
from wire_ingest.urls import article_id
from wire_ingest.warehouse import engines, tables
from wire_ingest.warehouse.engines import make_engine, normalise_database_url
from wire_ingest.warehouse.load import (
    IngestRun,
    LoadCounts,
    load_articles,
    record_rejections,
    record_run,
)
from wire_ingest.warehouse.migrations import migrate
from wire_ingest.warehouse.queries import known_articles, warehouse_summary
from wire_ingest.warehouse.tables import CONTENT_COLUMNS

BASE = "http://www.china.org.cn/world/Off_the_Wire"
T1 = dt.datetime(2020, 12, 23, 1, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2020, 12, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def make_article(content_id: int, body: str | None = None, *, day: str = "2020-12-23") -> Article:
    canonical = f"{BASE}/{day[:7]}/{day[8:]}/content_{content_id}.htm"
    text = body if body is not None else f"BEIJING copy number {content_id}."
    return Article(
        article_id=article_id(canonical),
        feed="china_org_cn",
        url=canonical.replace("http://", "https://"),
        canonical_url=canonical,
        title=f"Story {content_id}",
        source="Xinhua",
        published_at=f"{day}T23:30:00+08:00",
        dateline="BEIJING",
        body=text,
        section="world",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        page_date=day,
        raw_ref=f"file:///landing/{day}.warc.gz#{content_id}",
    )


def batch(n: int, start: int = 1) -> list[Article]:
    return [make_article(i) for i in range(start, start + n)]


def rows(engine: Engine, table: sa.Table = tables.articles) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
        return [dict(row._mapping) for row in result]


def content(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in CONTENT_COLUMNS}


def test_schema_is_created_idempotently(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {"articles", "article_rejects", "ingest_runs"} <= names


def test_same_batch_twice_is_idempotent(engine: Engine) -> None:
    articles = batch(5)
    assert load_articles(engine, articles, run_id="run-1", now=T1) == LoadCounts(5, 0, 0)
    first = rows(engine)
    assert load_articles(engine, list(reversed(articles)), run_id="run-2", now=T2) == LoadCounts(
        0, 0, 5
    )
    second = rows(engine)
    assert len(second) == 5
    assert [content(r) for r in second] == [content(r) for r in first]
    for row in second:
        assert row["first_seen_at"] == T1 and row["first_seen_at"].tzinfo is not None
        assert row["last_seen_at"] == T2 and row["last_seen_at"].utcoffset() == dt.timedelta(0)
        assert (row["first_run_id"], row["last_run_id"]) == ("run-1", "run-2")


def test_rows_carry_derived_dates(engine: Engine) -> None:
    load_articles(engine, [make_article(1, day="2020-12-23")], run_id="r", now=T1)
    (row,) = rows(engine)
    # 23:30 Beijing time on the 23rd is still the 23rd where it was published.
    assert row["published_date"] == dt.date(2020, 12, 23)
    assert row["page_date"] == dt.date(2020, 12, 23)
    assert row["published_at"] == "2020-12-23T23:30:00+08:00"


def test_changed_body_updates_content_and_keeps_first_seen(engine: Engine) -> None:
    articles = batch(3)
    load_articles(engine, articles, run_id="run-1", now=T1)
    changed = make_article(2, "BEIJING copy number 2, with a writethru paragraph.")
    counts = load_articles(engine, [articles[0], changed, articles[2]], run_id="run-2", now=T2)
    assert counts == LoadCounts(inserted=0, updated=1, unchanged=2)
    got = {r["article_id"]: r for r in rows(engine)}
    row = got[changed.article_id]
    assert row["body"] == changed.body
    assert row["content_hash"] == changed.content_hash
    assert (row["first_seen_at"], row["first_run_id"]) == (T1, "run-1")
    assert (row["last_seen_at"], row["last_run_id"]) == (T2, "run-2")


def test_duplicate_mark_change_counts_as_update(engine: Engine) -> None:
    a, b = batch(2)
    load_articles(engine, [a, b], run_id="run-1", now=T1)
    marked = dataclasses.replace(b, duplicate_of=a.article_id)
    assert load_articles(engine, [marked], run_id="run-2", now=T2) == LoadCounts(0, 1, 0)
    assert {r["article_id"]: r["duplicate_of"] for r in rows(engine)}[b.article_id] == a.article_id


def test_batch_with_repeated_id_is_refused(engine: Engine) -> None:
    article = make_article(1)
    with pytest.raises(ValueError, match="repeats an article_id"):
        load_articles(engine, [article, article], run_id="r", now=T1)
    assert rows(engine) == []


def test_naive_now_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        load_articles(engine, batch(1), run_id="r", now=dt.datetime(2020, 1, 1))


def test_empty_batch_does_nothing(engine: Engine) -> None:
    assert load_articles(engine, [], run_id="r") == LoadCounts(0, 0, 0)


def _load_in_threads(
    url: str, batches: Sequence[Sequence[Article]], workers: int
) -> list[list[LoadCounts]]:
    """Every worker loads every batch; all workers start each batch at the same moment."""
    barrier = threading.Barrier(workers)
    results: list[list[LoadCounts]] = [[] for _ in batches]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        engine = make_engine(url)  # an engine (and connection) of its own, like another process
        try:
            for i, articles in enumerate(batches):
                barrier.wait(timeout=60)
                results[i].append(load_articles(engine, articles, run_id=f"run-{n}"))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[0]
    return results


def test_concurrent_loads_of_one_batch_make_one_row_each(
    warehouse_url: str, engine: Engine
) -> None:
    # Many small new batches (each start is an insert race), then changed bodies (update race).
    new_batches = [batch(1, start=1 + i) for i in range(120)]
    changed = [
        [dataclasses.replace(a, body=f"{a.body} r{round_}") for a in batch(120)]
        for round_ in range(2)
    ]
    results = _load_in_threads(warehouse_url, [*new_batches, *changed], workers=4)
    for counts in results:
        assert len(counts) == 4
        assert len({c.inserted + c.updated + c.unchanged for c in counts}) == 1
    assert all(sum(c.inserted for c in counts) == 1 for counts in results[:120])
    # Exactly one writer saw the old content of each row.
    assert all(sum(c.updated for c in counts) == 120 for counts in results[120:])
    got = {r["article_id"]: r["body"] for r in rows(engine)}
    assert len(got) == 120
    assert sorted(got.values()) == sorted(a.body for a in changed[-1])


def test_another_id_for_a_stored_canonical_url_fails_loudly(engine: Engine) -> None:
    stored = make_article(1)
    load_articles(engine, [stored], run_id="r1", now=T1)
    impostor = dataclasses.replace(make_article(1, "other body"), article_id="not-derived-from-url")
    with pytest.raises(sa.exc.IntegrityError):
        load_articles(engine, [impostor, make_article(2)], run_id="r2", now=T2)
    assert [r["article_id"] for r in rows(engine)] == [stored.article_id]  # one transaction


def test_concurrent_first_runs_on_an_empty_warehouse(warehouse_url: str) -> None:
    # Each run creates the schema if needed and then loads: they race on both steps.
    articles = batch(50)
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    results: list[LoadCounts] = []

    def first_run(n: int) -> None:
        engine = make_engine(warehouse_url)
        try:
            barrier.wait()
            migrate(engine)
            results.append(load_articles(engine, articles, run_id=f"run-{n}"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=first_run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(r.inserted for r in results) == 50
    engine = make_engine(warehouse_url)
    try:
        assert len(rows(engine)) == 50
    finally:
        engine.dispose()


def _load_in_process(
    url: str, rows_: list[dict[str, Any]], run_id: str, barrier: Any, out: Any
) -> None:
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        counts = load_articles(engine, [Article.from_dict(r) for r in rows_], run_id=run_id)
        out.put(("ok", dataclasses.astuple(counts)))
    except BaseException as exc:
        out.put(("error", repr(exc)))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_concurrent_processes_load_one_batch(warehouse_url: str, engine: Engine) -> None:
    articles = [a.to_dict() for a in batch(200)]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_load_in_process, args=(warehouse_url, articles, f"p{n}", barrier, out))
        for n in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert all(status == "ok" for status, _ in results), results
    assert sorted(counts for _, counts in results) == [(0, 0, 200), (200, 0, 0)]
    assert len(rows(engine)) == 200


def reject(url: str, stage: str = "validate", **kwargs: Any) -> Rejection:
    fields: dict[str, Any] = {
        "feed": "china_org_cn",
        "url": url,
        "stage": stage,
        "reason": "expectation_failed",
        "message": "body too short",
        "details": {"expectation": "body_length", "observed": 3},
    }
    fields.update(kwargs)
    return Rejection(**fields)


def test_rejects_are_unique_per_feed_url_stage(engine: Engine) -> None:
    day = dt.date(2020, 12, 23)
    first = [reject("u1"), reject("u2"), reject("u1", stage="fetch", reason="http_error")]
    assert record_rejections(engine, first, run_id="run-1", target_day=day) == 3
    again = [reject("u1", details={"observed": 4}, message="still short")]
    assert record_rejections(engine, again + again, run_id="run-2", target_day=day) == 1
    got = {(r["url"], r["stage"]): r for r in rows(engine, tables.article_rejects)}
    assert len(got) == 3
    u1 = got[("u1", "validate")]
    assert (u1["run_id"], u1["times_rejected"], u1["message"]) == ("run-2", 2, "still short")
    assert u1["details"] == {"observed": 4}
    assert u1["rejected_at"].tzinfo is not None
    assert got[("u2", "validate")]["times_rejected"] == 1
    assert got[("u1", "fetch")]["reason"] == "http_error"


def test_loading_an_article_clears_its_rejects(engine: Engine) -> None:
    fixed, other = make_article(1), make_article(2)
    record_rejections(
        engine,
        [
            reject(fixed.url),  # as fetched
            reject(fixed.canonical_url, stage="parse"),
            reject("elsewhere", stage="dedupe", article_id=fixed.article_id),
            reject(other.url),
        ],
        run_id="run-1",
        target_day=dt.date(2020, 12, 23),
    )
    load_articles(engine, [fixed], run_id="run-2", now=T2)
    left = rows(engine, tables.article_rejects)
    assert [r["url"] for r in left] == [other.url]


def test_run_rows_are_upserted(engine: Engine) -> None:
    started = dt.datetime(2020, 12, 23, 16, 0, tzinfo=dt.UTC)
    run = IngestRun(
        run_id="scheduled__2020-12-23",
        dag_id="wire_ingest",
        feed="china_org_cn",
        target_day=dt.date(2020, 12, 23),
        status="running",
        started_at=started,
    )
    record_run(engine, run)
    finished = dataclasses.replace(
        run,
        status="success",
        finished_at=T2,
        discovered=12,
        loaded=10,
        inserted=9,
        updated=1,
        message="ok",
    )
    record_run(engine, finished)
    (row,) = rows(engine, tables.ingest_runs)
    assert row == {**dataclasses.asdict(finished), "finished_at": T2.astimezone(dt.UTC)}
    assert set(tables.RUN_COUNT_FIELDS) <= set(row)


def test_summary_counts_and_newest_titles(engine: Engine) -> None:
    articles = [make_article(i, day=f"2020-12-{20 + i}") for i in range(1, 5)]
    other_feed = dataclasses.replace(make_article(9, day="2020-12-30"), feed="english_news_cn")
    load_articles(engine, [*articles, other_feed], run_id="r", now=T1)
    record_rejections(engine, [reject("bad")], run_id="r", target_day=dt.date(2020, 12, 23))
    record_run(
        engine, IngestRun("r", "wire_ingest", "china_org_cn", dt.date(2020, 12, 23), "success")
    )
    everything = warehouse_summary(engine, sample=2)
    assert (everything.articles, everything.rejects, everything.runs) == (5, 1, 1)
    assert everything.sample_titles == ["Story 9", "Story 4"]
    one_feed = warehouse_summary(engine, feed="english_news_cn")
    assert (one_feed.articles, one_feed.rejects, one_feed.runs) == (1, 0, 0)
    assert one_feed.sample_titles == ["Story 9"]


def test_known_articles_looks_up_in_bounded_queries(engine: Engine) -> None:
    articles = batch(1200)
    load_articles(engine, articles, run_id="r", now=T1)
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        by_url = known_articles(
            engine, [a.canonical_url for a in articles] + ["http://nowhere/x"], []
        )
        by_hash = known_articles(engine, [], [a.content_hash for a in articles[:700]])
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert {k.article_id for k in by_url} == {a.article_id for a in articles}
    assert {k.article_id for k in by_hash} == {a.article_id for a in articles[:700]}
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    if engine.dialect.name == "postgresql":
        # one array parameter per lookup: the query text does not grow with the values
        assert len(selects) == 1 + 1
        assert [len(p) for _, p in selects] == [1, 1]
        assert all("= ANY (" in s for s, _ in selects)
    else:
        assert len(selects) == 3 + 2  # 1201 URLs in 500s, then 700 hashes in 500s
        assert max(len(p) for _, p in selects) <= engines.IN_CHUNK


def test_known_articles_follows_duplicate_pointers(engine: Engine) -> None:
    root = make_article(1, "old copy")
    dup = dataclasses.replace(make_article(2, "old copy"), duplicate_of=root.article_id)
    load_articles(engine, [root, dup], run_id="r", now=T1)
    load_articles(engine, [make_article(1, "root rewritten")], run_id="r2", now=T2)
    found = known_articles(engine, [], [dup.content_hash])
    assert {k.article_id: k.content_hash for k in found} == {
        dup.article_id: dup.content_hash,
        root.article_id: make_article(1, "root rewritten").content_hash,
    }


def test_dedupe_against_the_warehouse(engine: Engine) -> None:
    yesterday = make_article(1, "the wire copy", day="2020-12-22")
    load_articles(engine, [yesterday], run_id="r1", now=T1)
    today = [make_article(2, "the wire copy"), make_article(3, "fresh copy")]
    result = dedupe_with_warehouse(engine, today)
    marks = {a.article_id: a.duplicate_of for a in result.articles}
    assert marks == {today[0].article_id: yesterday.article_id, today[1].article_id: None}
    load_articles(engine, result.articles, run_id="r2", now=T2)
    with engine.connect() as conn:
        unique = conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.articles)
            .where(tables.articles.c.duplicate_of.is_(None))
        ).scalar_one()
    assert unique == 2


def test_sqlite_url_gets_its_directory_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "wh.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 10_000
    finally:
        engine.dispose()
    assert path.exists()


@pytest.mark.parametrize(
    "given",
    [
        "postgres://u:p@db:5432/wh?options=-csearch_path%3Dwire_x",
        "postgresql://u:p@db:5432/wh?options=-csearch_path%3Dwire_x",
        "postgresql+psycopg://u:p@db:5432/wh?options=-csearch_path%3Dwire_x",
    ],
)
def test_postgres_urls_use_psycopg3_and_keep_the_query(given: str) -> None:
    url = normalise_database_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db", 5432, "wh", "p")
    assert url.query == {"options": "-csearch_path=wire_x"}


def test_schema_url_reaches_its_own_schema(
    migrated_postgres_schema_url: str, postgres_schema: str
) -> None:
    engine = make_engine(migrated_postgres_schema_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_schema()")).scalar() == postgres_schema
        tables = set(sa.inspect(engine).get_table_names(schema=postgres_schema))
        assert {"articles", "article_rejects", "ingest_runs"} <= tables
    finally:
        engine.dispose()
