"""
### wire_<source>: one generated DAG per declared wire (include/wire_ingest/sources.toml)

Each enabled source whose `dag` is not the hand-written `wire_ingest` gets a DAG `wire_<name>`
with the source's own schedule (cron, in the source's time zone), fetch pool and GX suite
(`wire_ingest.<name>.articles`): discover (the run's plan, then the source's listing pages and
paging style) -> fetch -> parse_dedupe (the source's adapter, or the generic extractor; then
duplicates) -> validate -> load,
into the same warehouse tables as `wire_ingest` (the `feed` column tells the sources apart).

**Settings**: Variable `wire_base_url_<name>` (site root; default the source's `base_url`),
connection `wire_warehouse`. Create each source's pool (`airflow pools set <pool> <slots> ...`);
a missing pool keeps tasks queued.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from wire_ingest.sources import Source, generated_sources

DEFAULT_ARGS = {
    "owner": "wire-ingest",
    "retries": int(os.environ.get("WIRE_TASK_RETRIES") or 2),
    "retry_delay": pendulum.duration(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": pendulum.duration(minutes=10),
}


def build_source_dag(source: Source) -> object:
    """The DAG of one declared source."""

    def _record_failure(context: dict) -> None:
        from wire_ingest import airflow_support

        airflow_support.record_failed_run(
            context,
            dag_id=source.dag,
            feed=source.name,
            base_url_variable=f"wire_base_url_{source.name}",
            default_base_url=source.base_url,
        )

    @dag(
        dag_id=source.dag,
        schedule=CronDataIntervalTimetable(source.schedule, timezone=source.timezone),
        start_date=pendulum.datetime(2020, 1, 1, tz=source.timezone),
        catchup=False,
        max_active_runs=2,
        default_args=DEFAULT_ARGS,
        tags=["wire", "xinhua", source.name]
        if source.agency == "Xinhua"
        else ["wire", source.name],
        doc_md=f"#### {source.title}\n" + (__doc__ or ""),
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="Target day YYYY-MM-DD (source time zone). Empty: the logical date.",
            ),
        },
        on_failure_callback=_record_failure,
    )
    def source_dag() -> None:
        # `discover` also fixes the run's plan and hands it on in its XCom, and `parse_dedupe` is one
        # task: each task costs a fork, a DAG parse and a scheduling round trip (see `make bench`).
        @task(pool=source.pool)
        def discover(**context: object) -> dict:
            """Fix the run's target day, the source's site root and the warehouse; walk the
            source's listing pages back to the target day."""
            from wire_ingest import airflow_support, pipeline, source_runs, sources

            planned = airflow_support.plan_from_context(
                context,
                feed=source.name,
                base_url_variable=f"wire_base_url_{source.name}",
                default_base_url=source.base_url,
            )
            declared = sources.get_source(source.name)
            discovered = source_runs.discover_source_step(
                pipeline.context_from_dict(planned), declared
            )
            return airflow_support.with_plan(discovered, planned)

        @task(pool=source.pool)
        def fetch(discovered: dict) -> dict:
            """Fetch every article page into the landing area (WARC), at the source's rate."""
            from wire_ingest import airflow_support, pipeline, source_runs, sources

            declared = sources.get_source(source.name)
            return pipeline.fetch_step(
                airflow_support.plan_of(discovered),
                discovered["path"],
                fetch_settings=source_runs.fetch_settings_for(declared),
            )

        @task
        def parse_dedupe(discovered: dict, fetched: dict) -> dict:
            """Parse the landed pages with the source's adapter (or the generic extractor); mark
            copies of known bodies (any source) as duplicates."""
            from wire_ingest import airflow_support, pipeline

            return pipeline.parse_dedupe_step(airflow_support.plan_of(discovered), fetched["path"])

        @task
        def validate(discovered: dict, deduped: dict) -> dict:
            """The source's GX suite: passing rows go on, failing rows become rejects."""
            from wire_ingest import airflow_support, pipeline

            # the source's suite and its declared hosts (read by the pipeline from its feed)
            return pipeline.validate_step(airflow_support.plan_of(discovered), deduped["path"])

        @task
        def load(discovered: dict, validated: dict) -> dict:
            """Upsert into `articles`; record rejects and the run's counts."""
            from wire_ingest import airflow_support, pipeline

            return pipeline.load_step(
                airflow_support.plan_of(discovered), validated["path"], dag_id=source.dag
            )

        discovered = discover()
        fetched = fetch(discovered)
        articles = parse_dedupe(discovered, fetched)
        validated = validate(discovered, articles)
        load(discovered, validated)

    return source_dag()


for _source in generated_sources():
    globals()[_source.dag] = build_source_dag(_source)
