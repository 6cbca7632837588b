"""Airflow's run context (Variables, Connections, dates) to the pipeline's RunContext, and back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from wire_ingest import plan, settings, sources, steps
from wire_ingest.models import RunContext

log = logging.getLogger(__name__)

# What a plan in XCom holds instead of the warehouse URL: the URL may carry a password, and XCom
# is readable by anyone who may read the DAG. Each task resolves the connection itself.
WAREHOUSE_REF = "warehouse_conn_id"


def warehouse_url(conn_id: str = settings.WAREHOUSE_CONN_ID) -> str:
    """The warehouse the Airflow connection `conn_id` names, else the embedded SQLite default."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return settings.default_warehouse_url()
    return warehouse_url_of(conn)


def warehouse_url_of(conn: Any) -> str:
    """SQLAlchemy URL of an Airflow connection object (the task SDK's or the api-server's)."""
    from wire_ingest.warehouse.engines import normalise_database_url

    kind = (conn.conn_type or "").lower()
    if kind == "sqlite":
        # Airflow parses sqlite:////abs/path.db into schema="/abs/path.db"; the UI form uses host.
        path = conn.host or conn.schema
        if not path:
            raise ValueError(f"the sqlite connection {conn.conn_id} needs the database file's path")
        return f"sqlite:///{path}"
    if not kind.startswith("postgres"):
        raise ValueError(
            f"connection {conn.conn_id} of type {conn.conn_type!r} is not a supported warehouse "
            "(sqlite, postgres)"
        )
    return normalise_database_url(conn.get_uri()).render_as_string(hide_password=False)


def plan_from_context(context: Mapping[str, Any], source: sources.Source) -> dict[str, str]:
    """Plan the run an Airflow task context describes; returns the XCom-safe plan (no secret).

    The site root is the source's Variable (else its base_url), the warehouse the connection
    `wire_warehouse`; the target day comes from the `day` param or the run's dates, in the
    source's time zone.
    """
    from airflow.sdk import Variable

    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    param_day = params.get("day") if isinstance(params, Mapping) else None
    run_type = getattr(dag_run, "run_type", None)
    if param_day and str(getattr(run_type, "value", run_type)) == "backfill":
        # A backfill's runs each cover their own day: a `day` given in the backfill dialog
        # would pin every run of the range to one day.
        log.warning("backfill run %s: the day param %s is ignored", context["run_id"], param_day)
        param_day = None
    day = plan.target_day_for(
        timezone=source.timezone,
        param_day=param_day,
        logical_date=context.get("logical_date"),
        run_after=getattr(dag_run, "run_after", None),
    )
    ctx = plan.plan_run(
        run_id=str(context["run_id"]),
        target_day=day,
        feed=source.name,
        base_url=Variable.get(source.base_url_variable, default=source.base_url),
        warehouse_url=warehouse_url(),
    )
    log.info(
        "plan: run %s covers %s from %s into %s",
        ctx.run_id,
        ctx.target_day,
        ctx.base_url,
        _without_password(ctx.warehouse_url),
    )
    planned = plan.context_to_dict(ctx)
    del planned["warehouse_url"]
    planned[WAREHOUSE_REF] = settings.WAREHOUSE_CONN_ID
    return planned


def with_plan(discovered: Mapping[str, Any], planned: Mapping[str, str]) -> dict[str, Any]:
    """What the `discover` task returns: its step's paths and counts, and the run's plan, which
    every later task reads from it (one task fewer per run than a separate planning task)."""
    return {**discovered, "plan": dict(planned)}


def plan_of(discovered: Mapping[str, Any]) -> RunContext:
    """The run's RunContext from the `discover` task's XCom, its warehouse resolved here."""
    planned = dict(discovered["plan"])
    planned["warehouse_url"] = warehouse_url(planned.pop(WAREHOUSE_REF))
    return plan.context_from_dict(planned)


def asset_extra(ctx: RunContext, summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the articles Asset event carries: the feed, the day and the run's counts, so the
    Assets view says what a run changed without opening it."""
    counts = {k: summary[k] for k in ("loaded", "inserted", "updated", "rejected") if k in summary}
    return {
        "feed": ctx.feed,
        "target_day": ctx.target_day.isoformat(),
        "run_id": ctx.run_id,
        "dry_run": summary.get("status") == "dry_run",
        **counts,
    }


def record_failed_run(context: Mapping[str, Any], source: sources.Source) -> None:
    """A DAG's failure callback: write the run's rejects so far and its `failed` ingest_runs row.

    The plan is the one `discover` returned; when `discover` itself failed, it is made again from
    the same context (same day, same work area, so discover's rejects are kept too).
    """
    ti = context.get("ti")
    if ti is None:  # a callback without its run's context: nothing says which day failed
        log.warning("failure callback of %s without a task context: no ingest_runs row", source.dag)
        return
    discovered = ti.xcom_pull(task_ids="discover")
    planned = discovered if isinstance(discovered, Mapping) and "plan" in discovered else None
    ctx = plan_of(planned or with_plan({}, plan_from_context(context, source)))
    recorded = recorded_failure(ctx, since=getattr(context.get("dag_run"), "start_date", None))
    if recorded:
        # The failing step already recorded its rejects and the specific reason (e.g. the
        # outage that failed `fetch`): "task validate failed: task_failure" must not replace it.
        log.info("run %s already recorded as failed: %s", ctx.run_id, recorded)
        return
    steps.record_rejects_and_run(
        ctx,
        status="failed",
        message=f"task {ti.task_id} failed: {context.get('exception') or context.get('reason')}",
        dag_id=source.dag,
    )


def recorded_failure(ctx: RunContext, *, since: Any = None) -> str:
    """The message of the run's `failed` ingest_runs row written since `since` (this attempt of
    the run; a cleared run's earlier failure does not count), or ""."""
    from wire_ingest.warehouse import engines, queries

    engine = engines.make_engine(ctx.warehouse_url)
    try:
        run = queries.find_run(engine, ctx.run_id)
    finally:
        engine.dispose()
    if run is None or run.status != "failed" or not run.message:
        return ""
    if since is not None and run.finished_at is not None and run.finished_at < since:
        return ""
    return run.message


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
