"""Airflow UI plugin: a "Data quality" tab per DAG and per run, behind the UI's own login."""

from __future__ import annotations

import posixpath
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


def _dags_of_runs(select_run_ids: Any) -> list[str]:
    """The DAGs of the ingest runs whose ids the subquery selects."""
    import sqlalchemy as sa

    from wire_ingest.warehouse import engines, tables

    runs = tables.ingest_runs
    engine = engines.make_engine(_warehouse_url())
    try:
        with engine.connect() as conn:
            query = sa.select(runs.c.dag_id).where(runs.c.run_id.in_(select_run_ids)).distinct()
            return sorted(conn.scalars(query))
    finally:
        engine.dispose()


def _dags_of_request(request: Request) -> list[str]:
    """The DAGs whose data a request shows: the path's dag_id; for a landed raw page, the DAGs of
    the runs that rejected it; for a run's Data Docs, that run's DAG; the shared Data Docs assets
    (`static/`) and the vendored style sheets hold no data (none). What cannot be told (an
    unknown page) needs every wire DAG."""
    import sqlalchemy as sa

    from wire_ingest.warehouse import tables

    dag_id = request.path_params.get("dag_id")
    if dag_id is not None:
        return [str(dag_id)]
    route = str(getattr(request.scope.get("route"), "path", ""))
    if route.startswith("/static/"):
        return []
    found: list[str] = []
    if route == "/raw":
        rejects = tables.article_rejects
        ref = request.query_params.get("ref", "")
        found = _dags_of_runs(sa.select(rejects.c.run_id).where(rejects.c.raw_ref == ref))
    elif route.startswith("/docs/"):
        # as the file lookup will see it: `static/../<run>/` is that run's folder
        path = str(request.path_params.get("path", "")).lstrip("/")
        folder = posixpath.normpath("/" + path).split("/")[1]
        if folder == "static":
            return []
        found = _dags_of_run_key(folder) if folder else []
    return found or _wire_dags()


def _dags_of_run_key(folder: str) -> list[str]:
    """The DAG of the run whose Data Docs folder is `folder` (a run id made filesystem-safe)."""
    import sqlalchemy as sa

    from wire_ingest.landing import safe_key
    from wire_ingest.warehouse import engines, tables

    runs = tables.ingest_runs
    engine = engines.make_engine(_warehouse_url())
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(runs.c.run_id, runs.c.dag_id))
            return sorted({dag for run_id, dag in rows if safe_key(run_id) == folder})
    finally:
        engine.dispose()


async def _authenticate_and_authorize(request: Request) -> Any:
    """Every route: the caller is logged in and may read every DAG whose data it shows
    (`_dags_of_request`)."""
    user = await _authenticate(request)
    for dag in _dags_of_request(request):
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
