"""Glue between Airflow's run context (Variables, Connections, dates) and the pipeline's RunContext."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from wire_ingest import pipeline, settings

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


def plan_from_context(context: Mapping[str, Any]) -> dict[str, str]:
    """Plan the run described by an Airflow task context; returns the XCom-safe RunContext dict."""
    from airflow.sdk import Variable

    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    day = pipeline.target_day_for(
        param_day=params.get("day"),
        logical_date=context.get("logical_date"),
        run_after=getattr(dag_run, "run_after", None),
    )
    ctx = pipeline.plan_run(
        run_id=str(context["run_id"]),
        target_day=day,
        base_url=Variable.get(settings.BASE_URL_VARIABLE, default=settings.LIVE_BASE_URL),
        warehouse_url=warehouse_url(),
    )
    log.info(
        "plan: run %s covers %s from %s into %s",
        ctx.run_id,
        ctx.target_day,
        ctx.base_url,
        _without_password(ctx.warehouse_url),
    )
    return pipeline.context_to_dict(ctx)


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
