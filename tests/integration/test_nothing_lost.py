"""Nothing lost, nothing stuck: raw pages survive a cleared run, crash points heal on the next run."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import cli, landing, plan, steps
from wire_ingest.warehouse import engines, migrations, queries, tables
from wiresim.generate import build_site
from wiresim.server import RunningSite, start_in_thread

pytestmark = pytest.mark.slow

DAY = dt.date(2020, 12, 23)


@pytest.fixture(scope="module")
def small_site() -> Iterator[RunningSite]:
    site = build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), per_day=30)
    with start_in_thread(site) as running:
        yield running


@pytest.fixture(autouse=True)
def _local_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")


def _ctx(site: RunningSite, tmp_path: Path, warehouse_url: str, run_id: str) -> Any:
    return plan.plan_run(
        run_id=run_id,
        target_day=DAY,
        base_url=site.base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def _rows(warehouse_url: str, table: sa.Table) -> list[dict[str, Any]]:
    engine = engines.make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(table))]
    finally:
        engine.dispose()


def test_a_cleared_run_keeps_every_raw_page_readable(
    small_site: RunningSite, tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = steps.run_day(_ctx(small_site, tmp_path, sqlite_url, "scheduled__2020-12-23"))
    assert first["status"] == "success" and first["loaded"] > 0
    refs_before = {r["url"]: r["raw_ref"] for r in _rows(sqlite_url, tables.articles)}
    # The same run id again (a cleared Airflow run): every page answers 304.
    second = steps.run_day(_ctx(small_site, tmp_path, sqlite_url, "scheduled__2020-12-23"))
    assert second["status"] == "success" and second["not_modified"] == first["fetched"]
    files = landing.landed_files((tmp_path / "landing").as_uri(), "china_org_cn", DAY, "articles")
    assert len(files) == 2, "the cleared run wrote a new file next to the first"
    assert {r["url"]: r["raw_ref"] for r in _rows(sqlite_url, tables.articles)} == refs_before
    engine = engines.make_engine(sqlite_url)
    try:
        refs = queries.day_raw_refs(engine, "china_org_cn", DAY)
    finally:
        engine.dispose()
    assert len(refs["articles"]) == first["loaded"]
    assert landing.unresolved_refs([r for table in refs.values() for r in table]) == []
    capsys.readouterr()
    assert cli.main(["check-landing", "--day", DAY.isoformat(), "--warehouse", sqlite_url]) == 0
    assert f"articles: {first['loaded']} raw_refs, 0 unresolved" in capsys.readouterr().out


# Columns that say when or by which run a row was written, or how often a URL was asked: they
# differ between any two runs. Everything else must match a clean run's.
VOLATILE = {
    "first_seen_at",
    "last_seen_at",
    "first_run_id",
    "last_run_id",
    "run_id",
    "rejected_at",
    "last_fetched_at",
    "attempts",
    "raw_ref",
    "started_at",
    "finished_at",
    "walked_at",
    "id",
    "step_seconds",
    "listing_pages",
    # what the run itself saw of the site: a re-run answered 304 parses fewer pages
    "site_health",
}
COMPARED = (
    tables.articles,
    tables.article_lsh_buckets,
    tables.article_rejects,
    tables.fetch_state,
    tables.ingest_runs,
    tables.listing_items_seen,
    tables.listing_days_walked,
)


def _table_state(warehouse_url: str) -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for table in COMPARED:
        rows = [
            tuple(sorted((k, repr(v)) for k, v in row.items() if k not in VOLATILE))
            for row in _rows(warehouse_url, table)
        ]
        state[table.name] = sorted(rows)
    return state


def _day_refs(warehouse_url: str) -> list[str]:
    engine = engines.make_engine(warehouse_url)
    try:
        refs = queries.day_raw_refs(engine, "china_org_cn", DAY)
    finally:
        engine.dispose()
    return [r for table in refs.values() for r in table]


# (what the run had just done when it was killed, the call, its nth call)
KILL_POINTS = [
    ("listing landed, memory not yet", "wire_ingest.landing:LandingWriter.close", 1),
    ("discover done", "wire_ingest.steps:discover_step", 1),
    ("half the articles fetched", "wire_ingest.landing:LandingWriter.write_response", 20),
    ("articles landed, fetch state not yet", "wire_ingest.landing:LandingWriter.close", 2),
    ("fetch done", "wire_ingest.steps:fetch_step", 1),
    ("parse_dedupe done", "wire_ingest.steps:parse_dedupe_step", 1),
    ("validate done", "wire_ingest.steps:validate_step", 1),
    ("articles written, uncommitted", "wire_ingest.warehouse.load:load_articles", 1),
    ("marked done, uncommitted", "wire_ingest.warehouse.fetch_state:mark_done", 1),
    ("story index written, uncommitted", "wire_ingest.dedupe.stories:record_stories", 1),
    ("run row written, uncommitted", "wire_ingest.warehouse.load:record_run", 1),
]


# The tables after one clean run of the day, per dialect (a run's rows read back alike only
# within one dialect: JSON and dates come back in each dialect's own way).
_CLEAN: dict[str, dict[str, list[tuple[Any, ...]]]] = {}


def _clean_state(
    site: RunningSite, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
    dialect: str,
) -> dict[str, list[tuple[Any, ...]]]:  # fmt: skip
    if dialect not in _CLEAN:
        tmp_path = tmp_path_factory.mktemp(f"clean-{dialect}")
        schema = f"wire_clean_{uuid.uuid4().hex}"
        admin = None
        if dialect == "sqlite":
            url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        else:  # a schema of its own, dropped once its tables are read
            server = request.getfixturevalue("postgres_url")
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            url = (
                sa.make_url(server)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        try:
            engine = engines.make_engine(url)
            migrations.migrate(engine)
            engine.dispose()
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
                patch.setenv("WIRE_MAX_RPS", "0")
                summary = steps.run_day(_ctx(site, tmp_path, url, "clean"))
            assert summary["status"] == "success"
            _CLEAN[dialect] = _table_state(url)
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
        assert _CLEAN[dialect]["article_lsh_buckets"], "the clean run indexed its stories"
    return _CLEAN[dialect]


@pytest.mark.parametrize(("point", "target", "nth"), KILL_POINTS, ids=[p[0] for p in KILL_POINTS])
def test_sigkill_at_a_stage_boundary_then_a_rerun_equals_a_clean_run(
    small_site: RunningSite,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    warehouse_url: str,
    point: str,
    target: str,
    nth: int,
) -> None:
    import json
    import os
    import signal
    import subprocess
    import sys

    dialect = "sqlite" if warehouse_url.startswith("sqlite") else "postgres"
    spec = {
        "run_id": "killed",
        "day": DAY.isoformat(),
        "base_url": small_site.base_url,
        "warehouse": warehouse_url,
        "landing": (tmp_path / "landing").as_uri(),
        "kill": target,
        "nth": nth,
    }
    crashed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_point.py")), json.dumps(spec)],
        env={**os.environ, "WIRE_DATA_DIR": str(tmp_path / "data"), "WIRE_MAX_RPS": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    day_dir = tmp_path / "landing" / "source=china_org_cn" / f"date={DAY.isoformat()}"
    if target.endswith("write_response"):  # killed while writing: its temp file is left behind
        assert [p.name for p in day_dir.iterdir() if p.name.endswith(".tmp")]
    # The same run id again, as Airflow retries or clears it: its work folder and landing files
    # are the killed attempt's (a new run id works as well: nothing here depends on it).
    summary = steps.run_day(_ctx(small_site, tmp_path, warehouse_url, "killed"))
    assert summary["status"] == "success"
    clean_state = _clean_state(small_site, tmp_path_factory, request, dialect)
    assert _table_state(warehouse_url) == clean_state, point
    assert landing.unresolved_refs(_day_refs(warehouse_url)) == []
    assert not [p.name for p in day_dir.iterdir() if p.name.endswith(".tmp")]


def test_with_the_site_down_fetch_fails_naming_the_cause(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wire_ingest.settings import FetchSettings

    site = build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), per_day=30)
    with start_in_thread(site) as running:
        first = steps.run_day(_ctx(running, tmp_path, sqlite_url, "before-the-outage"))
        base_url = running.base_url
    assert first["status"] == "success"
    # The site is down now. The day's listing is remembered, so discovery needs no network and
    # every article page fails: the run stops in fetch, not later as a data-quality failure.
    fast = FetchSettings(
        max_requests_per_second=0,
        connect_timeout=0.5,
        read_timeout=0.5,
        backoff_factor=0.01,
        backoff_jitter=0.0,
        max_attempts=2,
    )
    ctx = plan.plan_run(
        run_id="during-the-outage",
        target_day=DAY,
        base_url=base_url,
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    discovered = steps.discover_step(ctx, fetch_settings=fast)
    assert discovered["count"] == first["discovered"]
    # Force every page to be asked again (as after a crash before load): none can answer.
    engine = engines.make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(tables.fetch_state).values(status="fetched"))
    finally:
        engine.dispose()
    with pytest.raises(steps.FetchFailedError) as raised:
        steps.fetch_step(ctx, discovered["path"], fetch_settings=fast)
    message = str(raised.value)
    total = first["discovered"]
    assert message.startswith(
        f"fetch failed for {total} of {total} article pages of {DAY} (china_org_cn, 100.0%; "
        "the limit WIRE_MAX_FETCH_FAILURE_SHARE is 20.0%): "
    ), message
    assert "robots_unavailable x" in message and "robots.txt unavailable for 127.0.0.1" in message
    runs = {r["run_id"]: r for r in _rows(sqlite_url, tables.ingest_runs)}
    assert runs["during-the-outage"]["status"] == "failed"
    assert runs["during-the-outage"]["message"] == message
    assert runs["during-the-outage"]["fetch_failed"] == total
    rejects = _rows(sqlite_url, tables.article_rejects)
    assert sum(r["stage"] == "fetch" for r in rejects) == total


def test_a_listing_without_articles_for_the_day_fails_fetch(
    small_site: RunningSite, tmp_path: Path, sqlite_url: str
) -> None:
    ctx = _ctx(small_site, tmp_path, sqlite_url, "empty")
    discovered = steps.discover_step(ctx, max_pages=0)
    assert discovered["count"] == 0
    with pytest.raises(steps.FetchFailedError, match="discovery found no articles for 2020-12-23"):
        steps.fetch_step(ctx, discovered["path"])


def test_a_stalled_or_corrupt_body_gets_its_own_reason(tmp_path: Path) -> None:
    from wire_ingest.http.fetcher import fetch_urls
    from wire_ingest.http.ratelimit import RateLimiter
    from wire_ingest.settings import FetchSettings
    from wiresim.faults import FaultPlan

    site = build_site(DAY, DAY, per_day=30)
    plan_ = FaultPlan(modes=("stall_body", "corrupt_gzip"), slow_seconds=1.5)
    one_try = FetchSettings(
        max_requests_per_second=0, read_timeout=0.5, max_attempts=1, obey_robots=False
    )
    with start_in_thread(site, faults=plan_) as running:
        victims = {e["fault"]: e["url"] for e in running.answer_key() if e["fault"]}
        with landing.LandingWriter(
            (tmp_path / "landing").as_uri(), "china_org_cn", DAY, "articles", "r"
        ) as writer:
            outcomes = fetch_urls(
                [victims["stall_body"], victims["corrupt_gzip"]],
                settings=one_try,
                writer=writer,
                limiter=RateLimiter(0),
            )
    reasons = [o.failure.reason if o.failure else None for o in outcomes]
    assert reasons == ["read_timeout", "bad_gzip"], [o.result.error for o in outcomes]
