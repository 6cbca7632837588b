"""
### wire_ingest: the daily Off the Wire pipeline

Fetches one day of Xinhua copy from the "Off the Wire" section of china.org.cn, keeps every raw
page in the landing area (gzipped WARC), parses the pages into articles, marks exact duplicates,
validates every row with Great Expectations and upserts the clean rows into the warehouse table
`articles`. Rows that fail are kept in `article_rejects` with the reason; each run writes its
counts to `ingest_runs`.

**Tasks**: `discover` (fixes the run's plan, then walks the listing) -> `fetch` -> `parse_dedupe`
-> `validate` -> `load`.

**Which day a run covers** (Beijing time, UTC+8):
- a scheduled run (00:00 Beijing) covers the day that has just ended;
- a backfill from D1 to D2 creates one run per day, each covering exactly its day;
- a manual run covers its logical date, or the `day` param when given.

**Settings**: Variable `wire_base_url` (site root, default the live site; `AIRFLOW_VAR_WIRE_BASE_URL`
works), Variable `wire_listing_path`, connection `wire_warehouse` (sqlite or postgres; default the
SQLite file under `WIRE_DATA_DIR`). Schedule, time zone, fetch pool, rate limit and default listing
page come from `[sources.china_org_cn]` in `include/wire_ingest/sources.toml`. Fetching is polite
by default: the source's `rate_limit_rps` (1/s per host), or `WIRE_MAX_RPS` when set.

**Outcome**: the `load` task's XCom `return_value` is the run's summary (target day, status, every
stage's count); the same row is in the warehouse table `ingest_runs`.

**Alerts**: a task's final failure posts one message (task, error, link) to
`WIRE_ALERT_WEBHOOK_URL` (or the connection `wire_alerts`), e-mail with `WIRE_ALERT_EMAIL`; a
deadline alerts when a day is not loaded by `WIRE_LOAD_DEADLINE_HOUR` (Beijing, default 06:00) of
the next day. See the README, "Operations".
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task

from wire_ingest import alerts, settings, sources

# The feed's declared settings ([sources.china_org_cn] in include/wire_ingest/sources.toml):
# schedule, time zone, fetch pool, rate limit and listing page, as for the generated DAGs.
SOURCE = sources.get_source(settings.FEED)

DEFAULT_ARGS = {
    "owner": "wire-ingest",
    "retries": int(os.environ.get("WIRE_TASK_RETRIES") or 2),
    "retry_delay": pendulum.duration(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": pendulum.duration(minutes=10),
    # the final failure of a task (after its retries) sends one alert: see wire_ingest.alerts
    "on_failure_callback": [alerts.WireFailureNotifier()],
}


def _record_failure(context: dict) -> None:
    from wire_ingest import airflow_support

    airflow_support.record_failed_run(context, dag_id="wire_ingest")


@dag(
    dag_id="wire_ingest",
    schedule=CronDataIntervalTimetable(SOURCE.schedule, timezone=SOURCE.timezone),
    start_date=pendulum.datetime(2020, 1, 1, tz=SOURCE.timezone),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["wire", "xinhua", SOURCE.name],
    doc_md=__doc__,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Target day YYYY-MM-DD (Beijing). Empty: the run's logical date.",
        ),
        "max_pages": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            description="Fetch at most this many article pages (the newest). Empty: all of the day.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            description="Run every stage but write nothing to the warehouse; the load task "
            "returns what it would have loaded.",
        ),
        "reprocess": Param(
            False,
            type="boolean",
            description="Parse and load the day again from its landing area only (no network), "
            "e.g. after a parser fix.",
        ),
    },
    on_failure_callback=_record_failure,
    deadline=alerts.load_deadline(),
)
def wire_ingest() -> None:
    # Five tasks: `discover` also fixes the run's plan and hands it on in its XCom, and parsing and
    # deduplication are one task, since each task costs a fork, a DAG parse and a scheduling
    # round trip, about as much as those stages' own work on a day (see `make bench`).
    @task(pool=SOURCE.pool)
    def discover(**context: object) -> dict:
        """Fix the run's target day, source and warehouse; walk the listing pages back to the
        target day and keep them in the landing area."""
        from airflow.sdk import Variable

        from wire_ingest import airflow_support, pipeline, source_runs

        planned = airflow_support.plan_from_context(context)
        params = context.get("params") or {}
        discovered = pipeline.discover_step(
            pipeline.context_from_dict(planned),
            listing_path=Variable.get(
                settings.LISTING_PATH_VARIABLE, default=SOURCE.listing_paths[0]
            ),
            fetch_settings=source_runs.fetch_settings_for(SOURCE),
            max_pages=params.get("max_pages"),
            reprocess=bool(params.get("reprocess")),
        )
        return airflow_support.with_plan(discovered, planned)

    @task(pool=SOURCE.pool)
    def fetch(discovered: dict, params: dict | None = None) -> dict:
        """Fetch every article page into the landing area (WARC); reprocess: the landed ones."""
        from wire_ingest import airflow_support, pipeline, source_runs

        return pipeline.fetch_step(
            airflow_support.plan_of(discovered),
            discovered["path"],
            fetch_settings=source_runs.fetch_settings_for(SOURCE),
            reprocess=bool((params or {}).get("reprocess")),
        )

    @task
    def parse_dedupe(discovered: dict, fetched: dict) -> dict:
        """Parse the landed pages into articles; merge repeats of a URL, mark copies of known
        bodies as duplicates."""
        from wire_ingest import airflow_support, pipeline

        return pipeline.parse_dedupe_step(airflow_support.plan_of(discovered), fetched["path"])

    @task
    def validate(discovered: dict, deduped: dict) -> dict:
        """Great Expectations: passing rows go on, failing rows become rejects."""
        from wire_ingest import airflow_support, pipeline

        return pipeline.validate_step(airflow_support.plan_of(discovered), deduped["path"])

    # Lineage: the UI's Assets view shows which runs updated the warehouse's articles table.
    @task(
        outlets=[Asset(name="wire_warehouse.articles", uri="warehouse://wire_warehouse/articles")]
    )
    def load(discovered: dict, validated: dict, params: dict | None = None) -> dict:
        """Upsert into `articles`; record rejects and the run's counts (the returned summary)."""
        from wire_ingest import airflow_support, pipeline

        return pipeline.load_step(
            airflow_support.plan_of(discovered),
            validated["path"],
            dry_run=bool((params or {}).get("dry_run")),
        )

    discovered = discover()
    articles = parse_dedupe(discovered, fetch(discovered))
    load(discovered, validate(discovered, articles))


wire_ingest()
