"""Airflow UI plugin: a "Data quality" tab per DAG and per run, behind the UI's own login."""

from __future__ import annotations

from typing import Annotated, Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, Request

from wire_ingest.quality import report

TAB_NAME = "Data quality"


def _warehouse_url() -> str:
    """The warehouse the DAG loads: connection `wire_warehouse`, else the SQLite default."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    from wire_ingest import settings
    from wire_ingest.airflow import context

    try:
        conn = Connection.get_connection_from_secrets(settings.WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        return settings.default_warehouse_url()
    return context.warehouse_url_of(conn)


def _login_url(next_url: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return str(get_auth_manager().get_url_login(next_url=next_url))


async def _authenticate(request: Request) -> Any:
    """Airflow's own check of the caller's JWT: the `Authorization: Bearer` header or the UI's
    `_token` cookie, expiry and revocation included; 401 without a valid one. (A mounted app is
    not behind the UI's login by itself.) Imported on first use: workers load plugins too."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    credentials = await bearer_scheme(request)
    return await get_user(request, None, credentials)


def _authorize_dag(request: Request, user: Annotated[Any, Depends(_authenticate)]) -> None:
    """The same check as the REST API's DAG run endpoints: the caller may read this DAG's runs."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    requires_access_dag(method="GET", access_entity=DagAccessEntity.RUN)(request, user)


class WireQualityPlugin(AirflowPlugin):
    name = "wire_quality"
    fastapi_apps = [  # noqa: RUF012 - AirflowPlugin declares these as plain class attributes
        {
            "app": report.create_app(
                warehouse_url=_warehouse_url,
                authenticate=_authenticate,
                authorize_dag=_authorize_dag,
                login_url=_login_url,
            ),
            "url_prefix": report.URL_PREFIX,
            "name": "wire-ingest data quality",
        }
    ]
    external_views = [  # noqa: RUF012
        {
            "name": TAB_NAME,
            "href": f"{report.URL_PREFIX}/dags/{{DAG_ID}}/report",
            "destination": "dag",
            "url_route": "wire-quality",
        },
        {
            "name": TAB_NAME,
            "href": f"{report.URL_PREFIX}/dags/{{DAG_ID}}/runs/{{RUN_ID}}/report",
            "destination": "dag_run",
            "url_route": "wire-quality-run",
        },
    ]
