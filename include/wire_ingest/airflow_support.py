"""Glue between Airflow's run context (Variables, Connections, dates) and the pipeline's RunContext."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from wire_ingest import pipeline, settings
from wire_ingest.models import RunContext

log = logging.getLogger(__name__)


def warehouse_url() -> str:
    """The warehouse named by the Airflow connection `wire_warehouse`, else the SQLite default."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        return settings.default_warehouse_url()
    return warehouse_url_of(conn)


def warehouse_url_of(conn: Any) -> str:
    """SQLAlchemy URL of an Airflow connection object (task SDK's or the api-server's)."""
    return pipeline.warehouse_url_from_connection(
        conn_type=conn.conn_type,
        host=conn.host,
        schema=conn.schema,
        login=conn.login,
        password=conn.password,
        port=conn.port,
        extra=conn.extra_dejson,
    )


def plan_from_context(
    context: Mapping[str, Any],
    *,
    feed: str = settings.FEED,
    base_url_variable: str = settings.BASE_URL_VARIABLE,
    default_base_url: str = settings.LIVE_BASE_URL,
) -> dict[str, str]:
    """Plan the run described by an Airflow task context; returns the XCom-safe RunContext dict.

    The site root is the Variable `base_url_variable` (else `default_base_url`), the warehouse
    the connection `wire_warehouse`; the target day comes from the `day` param or the run's dates.
    """
    from airflow.sdk import Variable

    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    day = pipeline.target_day_for(
        param_day=params.get("day") if isinstance(params, Mapping) else None,
        logical_date=context.get("logical_date"),
        run_after=getattr(dag_run, "run_after", None),
    )
    ctx = pipeline.plan_run(
        run_id=str(context["run_id"]),
        target_day=day,
        base_url=Variable.get(base_url_variable, default=default_base_url),
        warehouse_url=warehouse_url(),
        feed=feed,
    )
    log.info(
        "plan: run %s covers %s from %s into %s",
        ctx.run_id,
        ctx.target_day,
        ctx.base_url,
        _without_password(ctx.warehouse_url),
    )
    return pipeline.context_to_dict(ctx)


def with_plan(discovered: Mapping[str, Any], planned: Mapping[str, str]) -> dict[str, Any]:
    """What the `discover` task returns: its step's paths and counts, and the run's plan, which
    every later task reads from it (one task fewer per run than a separate planning task)."""
    return {**discovered, "plan": dict(planned)}


def plan_of(discovered: Mapping[str, Any]) -> RunContext:
    """The run's RunContext, from the `discover` task's XCom."""
    return pipeline.context_from_dict(discovered["plan"])


def record_failed_run(context: Mapping[str, Any], *, dag_id: str, **plan_options: str) -> None:
    """A DAG's failure callback: write the run's rejects so far and its `failed` ingest_runs row.

    The plan is the one `discover` returned; when `discover` itself failed, it is made again from
    the same context (same day, same work folder, so discover's rejects are kept too).
    """
    ti = context.get("ti")
    if ti is None:  # a callback without its run's context: nothing says which day failed
        log.warning("failure callback of %s without a task context: no ingest_runs row", dag_id)
        return
    discovered = ti.xcom_pull(task_ids="discover")
    if isinstance(discovered, Mapping) and "plan" in discovered:
        ctx = plan_of(discovered)
    else:
        ctx = pipeline.context_from_dict(plan_from_context(context, **plan_options))
    pipeline.record_rejects_and_run(
        ctx,
        status="failed",
        message=f"task {ti.task_id} failed: {context.get('exception') or context.get('reason')}",
        dag_id=dag_id,
    )


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
