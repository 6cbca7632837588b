"""
### wire_<source>: one generated DAG per declared wire (include/wire_ingest/sources.toml)

Each enabled source whose `dag` is not the hand-written `wire_ingest` gets a DAG `wire_<name>`
with the source's own schedule (cron, in the source's time zone), fetch pool and GX suite
(`wire_ingest.<name>.articles`): discover (the source's listing pages and paging style) ->
fetch -> parse (the source's adapter, or the generic extractor) -> dedupe -> validate -> load,
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
        from wire_ingest import pipeline

        planned = context["ti"].xcom_pull(task_ids="plan")
        if planned:
            pipeline.record_rejects_and_run(
                pipeline.context_from_dict(planned),
                status="failed",
                message=f"task {context['ti'].task_id} failed: {context.get('exception')}",
                dag_id=source.dag,
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
        @task
        def plan(**context: object) -> dict:
            """Fix the run's target day, the source's site root and the warehouse."""
            from airflow.sdk import Variable

            from wire_ingest import airflow_support, pipeline

            params = context.get("params") or {}
            dag_run = context.get("dag_run")
            day = pipeline.target_day_for(
                param_day=params.get("day") if isinstance(params, dict) else None,
                logical_date=context.get("logical_date"),  # type: ignore[arg-type]
                run_after=getattr(dag_run, "run_after", None),
            )
            ctx = pipeline.plan_run(
                run_id=str(context["run_id"]),
                target_day=day,
                base_url=Variable.get(f"wire_base_url_{source.name}", default=source.base_url),
                warehouse_url=airflow_support.warehouse_url(),
                feed=source.name,
            )
            return pipeline.context_to_dict(ctx)

        @task(pool=source.pool)
        def discover(planned: dict) -> dict:
            """Walk the source's listing pages back to the target day."""
            from wire_ingest import pipeline, source_runs, sources

            declared = sources.get_source(source.name)
            return source_runs.discover_source_step(pipeline.context_from_dict(planned), declared)

        @task(pool=source.pool)
        def fetch(planned: dict, discovered: dict) -> dict:
            """Fetch every article page into the landing area (WARC), at the source's rate."""
            from wire_ingest import pipeline, source_runs, sources

            declared = sources.get_source(source.name)
            return pipeline.fetch_step(
                pipeline.context_from_dict(planned),
                discovered["path"],
                fetch_settings=source_runs.fetch_settings_for(declared),
            )

        @task
        def parse(planned: dict, fetched: dict) -> dict:
            """Parse the landed pages with the source's adapter (or the generic extractor)."""
            from wire_ingest import pipeline

            return pipeline.parse_step(pipeline.context_from_dict(planned), fetched["path"])

        @task
        def dedupe(planned: dict, parsed: dict) -> dict:
            """Merge repeats of a URL; mark copies of known bodies (any source) as duplicates."""
            from wire_ingest import pipeline

            return pipeline.dedupe_step(pipeline.context_from_dict(planned), parsed["path"])

        @task
        def validate(planned: dict, deduped: dict) -> dict:
            """The source's GX suite: passing rows go on, failing rows become rejects."""
            from wire_ingest import pipeline, source_runs, sources

            ctx = pipeline.context_from_dict(planned)
            hosts = source_runs.allowed_hosts(sources.get_source(source.name), ctx.base_url)
            return pipeline.validate_step(ctx, deduped["path"], allowed_hosts=hosts)

        @task
        def load(planned: dict, validated: dict) -> dict:
            """Upsert into `articles`; record rejects and the run's counts."""
            from wire_ingest import pipeline

            return pipeline.load_step(
                pipeline.context_from_dict(planned), validated["path"], dag_id=source.dag
            )

        planned = plan()
        discovered = discover(planned)
        fetched = fetch(planned, discovered)
        parsed = parse(planned, fetched)
        deduped = dedupe(planned, parsed)
        validated = validate(planned, deduped)
        load(planned, validated)

    return source_dag()


for _source in generated_sources():
    globals()[_source.dag] = build_source_dag(_source)
