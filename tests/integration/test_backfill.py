"""`make backfill` on the real scheduler, dag-processor and api-server (PostgreSQL metadata DB)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import (
    BACKFILL_FROM,
    BACKFILL_TO,
    FETCH_POOL_SLOTS,
    ROOT,
    AirflowServices,
    BackfillResult,
)

from wire_ingest import plan, settings, steps
from wire_ingest.warehouse import engines, tables

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

BEIJING = dt.timezone(dt.timedelta(hours=8))
DAYS = [dt.date(2020, 12, 22), dt.date(2020, 12, 23), dt.date(2020, 12, 24)]
# What an article is, without when or by which run it was loaded (raw_ref names the run's WARC).
CONTENT = (
    "article_id",
    "feed",
    "url",
    "canonical_url",
    "title",
    "source",
    "published_at",
    "published_date",
    "page_date",
    "dateline",
    "body",
    "section",
    "content_hash",
    "duplicate_of",
)


def rows(url: str, table: str) -> list[dict[str, Any]]:
    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(sa.select(tables.metadata.tables[table]))
            ]
    finally:
        engine.dispose()


def content(url: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(row[c] for c in CONTENT) for row in rows(url, "articles"))


def test_backfill_refuses_without_services() -> None:
    env = {**os.environ, "AIRFLOW_HEALTH_URL": "http://127.0.0.1:9/api/v2/monitor/health"}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "backfill.sh"), BACKFILL_FROM, BACKFILL_TO],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert "make airflow" in done.stderr


def test_backfill_rejects_bad_dates() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "backfill.sh"), "2020-12-24", "2020-12-22"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "after" in done.stderr


def test_bare_dates_would_shift_the_window_by_a_day(airflow_services: AirflowServices) -> None:
    """Why backfill.sh passes Beijing midnights: a bare date is 00:00 UTC = 08:00 in Beijing."""

    def logical_dates(start: str, end: str) -> list[str]:
        done = airflow_services.cli(
            "backfill", "create", "--dag-id", "wire_ingest", "--dry-run",
            "--from-date", start, "--to-date", end,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]

        # the dry run's table: | 2020-12-22 16:00:00+00:00 | ...
        return sorted(re.findall(r"\| (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d) ", done.stdout))

    bare = logical_dates(BACKFILL_FROM, BACKFILL_TO)
    days = [
        plan.target_day_for(timezone="Asia/Shanghai", logical_date=dt.datetime.fromisoformat(d))
        for d in bare
    ]
    # 22 Dec is lost; with Beijing midnights (what backfill.sh passes) the three days are
    # exactly those asked for: test_backfill_creates_one_run_per_day_each_loaded
    assert days == DAYS[1:], bare


def test_backfill_paused_dag_is_refused_with_advice(airflow_services: AirflowServices) -> None:
    airflow_services.set_paused(True)
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "backfill.sh"), BACKFILL_FROM, BACKFILL_TO],
        env=airflow_services.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "dags unpause wire_ingest" in done.stderr


def test_backfill_creates_one_run_per_day_each_loaded(
    small_backfill: BackfillResult, airflow_services: AirflowServices
) -> None:
    result = small_backfill
    assert result.returncode == 0, result.output[-3000:]
    assert "3/3 runs done" in result.output and "[####" in result.output, result.output

    runs = result.backfill_runs
    assert len(runs) == 3
    assert all(run["state"] == "success" for run in runs), runs
    logical_days = sorted(
        dt.datetime.fromisoformat(run["logical_date"].replace("Z", "+00:00")).astimezone(BEIJING)
        for run in runs
    )
    assert [d.date() for d in logical_days] == DAYS
    assert all(d.time() == dt.time(0) for d in logical_days)

    # each run covered exactly its day, and loaded it
    ingest = {row["run_id"]: row for row in rows(airflow_services.warehouse_url, "ingest_runs")}
    by_run = {run["dag_run_id"]: ingest[run["dag_run_id"]] for run in runs}
    assert sorted(row["target_day"] for row in by_run.values()) == DAYS
    # A run whose day another run (the overlapping manual run) fetched first gets 304s for pages it
    # already holds: it covered the day all the same.
    assert all(
        row["status"] == "success" and row["loaded"] + row["not_modified"] > 100
        for row in by_run.values()
    ), by_run
    articles = rows(airflow_services.warehouse_url, "articles")
    assert sorted({row["page_date"] for row in articles}) == DAYS

    # max_active_runs=2: never three backfill runs at once
    spans = [
        (run["start_date"], run["end_date"])
        for run in runs
        if run["start_date"] and run["end_date"]
    ]
    assert len(spans) == 3
    for start, _ in spans:
        assert sum(s <= start < e for s, e in spans) <= 2, spans


def test_fetch_pool_caps_fetch_concurrency_across_all_runs(
    small_backfill: BackfillResult, airflow_services: AirflowServices
) -> None:
    """discover/fetch of every run share the `wire_fetch` pool: never more at once than its slots."""
    engine = sa.create_engine(airflow_services.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with engine.connect() as conn:
            spans = conn.execute(
                sa.text(
                    "SELECT run_id, task_id, start_date, end_date FROM task_instance "
                    "WHERE dag_id = 'wire_ingest' AND pool = 'wire_fetch' "
                    "AND start_date IS NOT NULL AND end_date IS NOT NULL"
                )
            ).all()
    finally:
        engine.dispose()
    assert len({span.run_id for span in spans}) >= 4  # 3 backfill runs + the overlapping run
    assert {span.task_id for span in spans} == {"discover", "fetch"}
    for span in spans:
        running = [o for o in spans if o.start_date <= span.start_date < o.end_date]
        assert len(running) <= FETCH_POOL_SLOTS, running


def test_backfill_and_a_concurrent_run_equal_sequential_runs(
    small_backfill: BackfillResult,
    airflow_services: AirflowServices,
    migrated_postgres_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backfill ran alongside another run of its first day; the table must be the same as
    loading the three days one after the other (no duplicates, no lost or different rows)."""
    assert small_backfill.overlap_run["state"] == "success", small_backfill.overlap_run
    ingest = {row["run_id"]: row for row in rows(airflow_services.warehouse_url, "ingest_runs")}
    assert ingest[small_backfill.overlap_run["dag_run_id"]]["target_day"] == DAYS[0]

    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    base_url = airflow_services.env["AIRFLOW_VAR_WIRE_BASE_URL"]
    fetch = settings.FetchSettings(max_requests_per_second=0)
    for day in DAYS:
        ctx = plan.plan_run(
            run_id=f"sequential_{day}",
            target_day=day,
            base_url=base_url,
            warehouse_url=migrated_postgres_schema_url,
        )
        steps.run_day(ctx, fetch_settings=fetch)

    sequential = content(migrated_postgres_schema_url)
    together = content(airflow_services.warehouse_url)
    assert len(sequential) > 300
    assert together == sequential
    assert len({row[0] for row in together}) == len(together)


def test_every_step_reports_its_own_seconds(
    small_backfill: BackfillResult, airflow_services: AirflowServices
) -> None:
    """What `make bench` splits a run's time with (the stock LocalExecutor here)."""
    scheduler_log = (airflow_services.home / "scheduler.log").read_text(errors="replace")
    assert "preloaded the wire_ingest pipeline" not in scheduler_log  # nothing imported there
    for run in small_backfill.backfill_runs:
        for task_id in ("discover", "fetch", "parse_dedupe", "validate", "load"):
            value = airflow_services.get(
                f"dags/wire_ingest/dagRuns/{run['dag_run_id']}/taskInstances/{task_id}"
                "/xcomEntries/return_value"
            )["value"]
            assert value["step_seconds"] > 0, (task_id, value)
