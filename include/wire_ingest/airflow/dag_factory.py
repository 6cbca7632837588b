"""The one DAG factory: a daily DAG for every source sources.toml declares (cheap to import)."""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import Asset, AssetAlias, CronDataIntervalTimetable, Param, dag, task

from wire_ingest.airflow import alerts
from wire_ingest.sources import Source

# Lineage: the UI's Assets view shows which runs updated the warehouse's articles table.
ARTICLES_ASSET = Asset(name="wire_warehouse.articles", uri="warehouse://wire_warehouse/articles")
# The load task's outlet: an alias, so a run emits the articles event only when it wrote (a dry
# run changes nothing and emits none; a static Asset outlet emits on every success).
ARTICLES_UPDATES = AssetAlias(name="wire_warehouse.articles.updates")

DOC = """
Fetches one day of the source's wire copy, keeps every raw page in the landing area (gzipped
WARC), parses the pages into articles, marks duplicates and story versions, validates every row
with Great Expectations and upserts the clean rows into the warehouse table `articles`. Rows that
fail are kept in `article_rejects` with the reason; each run writes its counts to `ingest_runs`.

**Tasks**: `discover` (fixes the run's plan, then walks the listing) -> `fetch` -> `parse_dedupe`
-> `validate` -> `load`.

**Which day a run covers** (the source's time zone): a scheduled run covers the day that has just
ended; a backfill from D1 to D2 creates one run per day; a manual run covers its logical date, or
the `day` param when given. Each run's note names its day (`day YYYY-MM-DD (feed, zone)`); only
the scheduled run of a day has a load deadline.

**Settings**: Variables `{base_url_variable}` (site root, default `{base_url}`) and
`{listing_path_variable}` (listing path, default `{listing_path}`), connection `wire_warehouse`.
Schedule `{schedule}` ({timezone}), pool `{pool}`, rate limit {rate} request/s per host: from
`[sources.{name}]` in sources.toml (docs/sources.md).

**Outcome**: the `load` task's XCom `return_value` is the run's summary; the same row is in
`ingest_runs`. **Alerts**: a task's final failure and a missed load deadline send one message
(docs/operations.md).
"""


def default_args(source: Source | None = None) -> dict[str, Any]:
    return {
        "owner": "wire-ingest",
        "retries": int(os.environ.get("WIRE_TASK_RETRIES") or 2),
        "retry_delay": pendulum.duration(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": pendulum.duration(minutes=10),
        # the final failure of a task (after its retries) sends one alert: see alerts.py
        "on_failure_callback": [
            alerts.WireFailureNotifier(
                feed=source.name if source else None,
                timezone=source.timezone if source else None,
            )
        ],
    }


def build_dag(source: Source) -> Any:
    """The daily DAG of one declared source."""

    def record_failure(context: Any) -> None:
        from wire_ingest.airflow import context as airflow_context

        airflow_context.record_failed_run(context, source)

    @dag(
        dag_id=source.dag,
        schedule=CronDataIntervalTimetable(source.schedule, timezone=source.timezone),
        start_date=pendulum.datetime(2020, 1, 1, tz=source.timezone),
        catchup=False,
        max_active_runs=source.max_active_runs,
        default_args=default_args(source),
        tags=sorted({"wire", source.name, *([source.agency.lower()] if source.agency else [])}),
        doc_md=f"### {source.dag}: {source.title}\n"
        + DOC.format(
            name=source.name,
            base_url=source.base_url,
            base_url_variable=source.base_url_variable,
            listing_path_variable=source.listing_path_variable,
            listing_path=source.listing_paths[0],
            schedule=source.schedule,
            timezone=source.timezone,
            pool=source.pool,
            rate=source.rate_limit_rps,
        ),
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description=f"Target day YYYY-MM-DD ({source.timezone}). Empty: the run's "
                "logical date. Ignored by backfill runs (each covers its own day).",
            ),
            "max_pages": Param(
                None,
                type=["null", "integer"],
                minimum=0,
                description="Fetch at most this many article pages (the newest). Empty: all "
                "of the day.",
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
                description="Parse and load the day again from its landing area only (no "
                "network), e.g. after a parser fix.",
            ),
        },
        on_failure_callback=record_failure,
        deadline=alerts.load_deadline(),
    )
    def source_dag() -> None:
        # Five tasks: `discover` also fixes the run's plan and hands it on in its XCom, and parsing
        # and deduplication are one task, since each task costs a fork, a DAG parse and a
        # scheduling round trip, about as much as those stages' own work (see `make bench`).
        @task(pool=source.pool)
        def discover(**context: Any) -> dict:
            """Fix the run's target day, site root and warehouse; walk the listing pages back to
            the target day and keep them in the landing area."""
            from airflow.sdk import Variable

            from wire_ingest import steps
            from wire_ingest.airflow import context as airflow_context

            planned = airflow_context.plan_from_context(context, source)
            params = context.get("params") or {}
            discovered = steps.discover_step(
                airflow_context.plan_of({"plan": planned}),
                listing_path=Variable.get(source.listing_path_variable, default=None),
                max_pages=params.get("max_pages"),
                reprocess=bool(params.get("reprocess")),
            )
            return airflow_context.with_plan(discovered, planned)

        @task(pool=source.pool)
        def fetch(discovered: Any, params: dict | None = None) -> dict:
            """Fetch every article page into the landing area (WARC); reprocess: the landed ones."""
            from wire_ingest import steps
            from wire_ingest.airflow import context as airflow_context

            return steps.fetch_step(
                airflow_context.plan_of(discovered),
                discovered["path"],
                reprocess=bool((params or {}).get("reprocess")),
            )

        @task
        def parse_dedupe(discovered: Any, fetched: Any) -> dict:
            """Parse the landed pages with the source's adapter; merge repeats of a URL, mark
            copies of known bodies as duplicates."""
            from wire_ingest import steps
            from wire_ingest.airflow import context as airflow_context

            return steps.parse_dedupe_step(airflow_context.plan_of(discovered), fetched["path"])

        @task
        def validate(discovered: Any, deduped: Any) -> dict:
            """Great Expectations: passing rows go on, failing rows become rejects."""
            from wire_ingest import steps
            from wire_ingest.airflow import context as airflow_context

            return steps.validate_step(airflow_context.plan_of(discovered), deduped["path"])

        @task(outlets=[ARTICLES_UPDATES])
        def load(
            discovered: Any, validated: Any, params: dict | None = None, outlet_events: Any = None
        ) -> dict:
            """Upsert into `articles`; record rejects and the run's counts (the returned summary)."""
            from wire_ingest import steps
            from wire_ingest.airflow import context as airflow_context
            from wire_ingest.airflow import metrics

            ctx = airflow_context.plan_of(discovered)
            dry_run = bool((params or {}).get("dry_run"))
            summary = steps.load_step(ctx, validated["path"], dry_run=dry_run)
            if not dry_run:  # a dry run records no ingest_runs row and updates no data
                metrics.send_run_metrics(ctx)
                if outlet_events is not None:
                    outlet_events[ARTICLES_UPDATES].add(
                        ARTICLES_ASSET, extra=airflow_context.asset_extra(ctx, summary)
                    )
            return summary

        discovered = discover()
        articles = parse_dedupe(discovered, fetch(discovered))
        load(discovered, validate(discovered, articles))

    return source_dag()
