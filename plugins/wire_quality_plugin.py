"""Airflow UI plugin: a "Data quality" tab per DAG and per run, behind the UI's own login."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import HTTPException, Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

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


def _auth_manager() -> Any:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def _login_url(next_url: str) -> str:
    return str(_auth_manager().get_url_login(next_url=next_url))


def _token_of(request: Request) -> str | None:
    """The caller's JWT: an `Authorization: Bearer` header wins over the UI's cookie."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN) or None


async def _authenticate(request: Request) -> Any:
    """The user the caller's JWT names, checked by the auth manager (signature, expiry,
    revocation); 401 without a valid one. (A mounted app is not behind the UI's login by
    itself.) Airflow is imported on first use: workers load plugins too."""
    import jwt

    token = _token_of(request)
    if token is None:
        raise HTTPException(status_code=401, detail="Not authenticated")
    try:
        return await _auth_manager().get_user_from_token(token)
    except jwt.InvalidTokenError as exc:  # expired ones included
        raise HTTPException(status_code=401, detail="Invalid or expired token") from exc


def may_read_dag(user: Any, dag_id: str) -> bool:
    """What Airflow's own API asks before showing a DAG's runs: GET on the DAG's runs."""
    from airflow.api_fastapi.auth.managers.models.resource_details import (
        DagAccessEntity,
        DagDetails,
    )

    return bool(
        _auth_manager().is_authorized_dag(
            method="GET",
            user=user,
            access_entity=DagAccessEntity.RUN,
            details=DagDetails(id=dag_id),
        )
    )


def _wire_dags() -> list[str]:
    from wire_ingest import sources

    return [source.dag for source in sources.enabled_sources()]


async def _authenticate_and_authorize(request: Request) -> Any:
    """Every route: the caller is logged in and may read the DAG it shows. Routes without a DAG
    in their path (landed raw pages, Data Docs) serve any wire's data, so they need read access
    to every wire DAG; the vendored style sheets hold no data and need a login only."""
    user = await _authenticate(request)
    if getattr(request.scope.get("route"), "path", "").startswith("/static/"):
        return user
    dag_id = request.path_params.get("dag_id")
    dags = [str(dag_id)] if dag_id is not None else _wire_dags()
    for dag in dags:
        if not may_read_dag(user, dag):
            raise HTTPException(status_code=403, detail=f"not allowed to read DAG {dag}")
    return user


class RefuseControlCharacters:
    """ASGI middleware: a path or query with a NUL or another control character is a 400, never
    a 500 from deep inside a file lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            from urllib.parse import unquote

            raw = scope.get("path", "") + "?" + scope.get("query_string", b"").decode("latin-1")
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in unquote(raw)):
                await PlainTextResponse("bad request", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app() -> Any:
    app = report.create_app(
        warehouse_url=_warehouse_url,
        authenticate=_authenticate_and_authorize,  # the per-DAG check is in it, for every route
        login_url=_login_url,
    )
    app.add_middleware(RefuseControlCharacters)
    return app


class WireQualityPlugin(AirflowPlugin):
    name = "wire_quality"
    fastapi_apps = [  # noqa: RUF012 - AirflowPlugin declares these as plain class attributes
        {
            "app": make_app(),
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
