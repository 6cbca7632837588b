"""The run report behind the Airflow UI's "Data quality" tab: stage counts, failed expectations, rejects."""

from __future__ import annotations

import dataclasses
import html
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import sqlalchemy as sa
from fastapi import Request  # at module level: FastAPI resolves route annotations from here

from wire_ingest import settings
from wire_ingest.quality import data_docs
from wire_ingest.warehouse import tables

if TYPE_CHECKING:
    from fastapi import FastAPI

URL_PREFIX = "/wire-quality"
REJECTS_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run's row of the report."""

    run_id: str
    dag_id: str
    target_day: str
    status: str
    finished_at: str | None
    counts: dict[str, int]
    message: str
    docs_path: str | None  # relative to the data docs root, when the run has Data Docs
    site_health: dict[str, Any] | None = None  # quality.site_health.SiteHealth.to_dict()


@dataclass(frozen=True, slots=True)
class RejectSummary:
    """One reject, as the report lists it."""

    url: str
    stage: str
    reason: str
    message: str
    run_id: str
    target_day: str
    raw_ref: str | None
    failed: list[str]  # expectation(column) labels


@dataclass(frozen=True, slots=True)
class RunReport:
    """What the tab shows for a DAG (its latest runs) or for one run."""

    runs: list[RunSummary]
    top_failed_expectations: list[tuple[str, int]]
    rejects: list[RejectSummary]
    reject_count: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def build_report(
    engine: sa.Engine,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    runs_limit: int = 10,
    rejects_limit: int = REJECTS_PAGE_SIZE,
    docs_root: Path | None = None,
) -> RunReport:
    """Latest runs (of a DAG, or one run), their top failed expectations and their rejects."""
    runs = _runs(engine, dag_id=dag_id, run_id=run_id, limit=runs_limit, docs_root=docs_root)
    run_ids = [run.run_id for run in runs]
    rejects_query = sa.select(tables.article_rejects).order_by(
        tables.article_rejects.c.rejected_at.desc(), tables.article_rejects.c.url
    )
    count_query = sa.select(sa.func.count()).select_from(tables.article_rejects)
    if dag_id is not None or run_id is not None:
        rejects_query = rejects_query.where(tables.article_rejects.c.run_id.in_(run_ids))
        count_query = count_query.where(tables.article_rejects.c.run_id.in_(run_ids))
    with engine.connect() as conn:
        reject_count = int(conn.execute(count_query).scalar_one())
        rows = [dict(row._mapping) for row in conn.execute(rejects_query)]
    labels: Counter[str] = Counter()
    rejects: list[RejectSummary] = []
    for row in rows:
        failed = _failed_labels(row.get("details") or {})
        labels.update(failed)
        if len(rejects) < rejects_limit:
            rejects.append(
                RejectSummary(
                    url=row["url"],
                    stage=row["stage"],
                    reason=row["reason"],
                    message=row["message"],
                    run_id=row["run_id"],
                    target_day=str(row["target_day"]),
                    raw_ref=row["raw_ref"],
                    failed=failed,
                )
            )
    top = sorted(labels.items(), key=lambda item: (-item[1], item[0]))[:10]
    return RunReport(
        runs=runs, top_failed_expectations=top, rejects=rejects, reject_count=reject_count
    )


def _failed_labels(details: Mapping[str, Any]) -> list[str]:
    labels = {f"{f.get('expectation')}({f.get('column')})" for f in details.get("failed", [])}
    return sorted(labels)


def _runs(
    engine: sa.Engine,
    *,
    dag_id: str | None,
    run_id: str | None,
    limit: int,
    docs_root: Path | None,
) -> list[RunSummary]:

    table = tables.ingest_runs
    query = sa.select(table).order_by(table.c.finished_at.desc().nulls_last(), table.c.run_id)
    if run_id is not None:
        query = query.where(table.c.run_id == run_id)
    if dag_id is not None:
        query = query.where(table.c.dag_id == dag_id)
    root = docs_root or settings.data_docs_dir()
    summaries = []
    with engine.connect() as conn:
        for row in conn.execute(query.limit(limit)):
            values = row._mapping
            index = data_docs.run_dir(values["run_id"], root=root) / "index.html"
            summaries.append(
                RunSummary(
                    run_id=values["run_id"],
                    dag_id=values["dag_id"],
                    target_day=str(values["target_day"]),
                    status=values["status"],
                    finished_at=values["finished_at"].isoformat()
                    if values["finished_at"]
                    else None,
                    counts=data_docs.docs_counts(values),
                    message=values["message"] or "",
                    docs_path=index.relative_to(root).as_posix() if index.exists() else None,
                    site_health=values["site_health"],
                )
            )
    return summaries


# ---------------------------------------------------------------- HTML


# The tab sits beside the DAG's grid (about 940 px wide at a 1280 px window) or its graph (about
# 340 px): long ids and URLs wrap, and below 1200 px each row of a wide table becomes a block of
# labelled lines (`data-label`), so no column is cut off and nothing scrolls sideways.
_STYLE = """body{font-size:.9rem} td,th{vertical-align:top} td{overflow-wrap:anywhere}
code{white-space:normal;overflow-wrap:anywhere}
@media (max-width:1199.98px){
 table.stack thead{display:none}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}
 table.stack tr{border-top:2px solid #dee2e6;padding:.3rem 0}
 table.stack td{border:0;padding:.1rem .3rem;text-align:left!important}
 table.stack td.count{display:inline-block;margin-right:.6rem}
 table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#6c757d}
}"""


def render_report(report: RunReport, *, title: str, dag_id: str, prefix: str = URL_PREFIX) -> str:
    """The report as one self-contained page (vendored Bootstrap, no CDN)."""
    e = html.escape
    header = "".join(f"<th class='text-right'>{e(label)}</th>" for label, _ in tables.STAGE_COUNTS)
    run_rows = []
    for run in report.runs:
        docs = (
            f"<a href='{e(prefix)}/docs/{e(run.docs_path)}' target='_blank'>Data Docs</a>"
            if run.docs_path
            else "<span class='text-muted'>none</span>"
        )
        badge = "success" if run.status == "success" else "danger"
        counts = "".join(
            f"<td class='text-right count' data-label='{e(label)}' data-count='{e(label)}'>"
            f"{run.counts[label]}</td>"
            for label, _ in tables.STAGE_COUNTS
        )
        rejects_link = (
            f"{prefix}/dags/{quote(run.dag_id, safe='')}/runs/{quote(run.run_id, safe='')}"
            "/report#rejects"
        )
        run_rows.append(
            f"<tr><td data-label='run'><a href='{e(rejects_link)}'><code>{e(run.run_id)}</code></a>"
            f"<div class='small text-muted'>{e(run.message[:300])}</div></td>"
            f"<td data-label='day'>{e(run.target_day)}</td><td data-label='status'>"
            f"<span class='badge badge-{badge}'>{e(run.status)}</span></td>{counts}"
            f"<td data-label='site health'>{_health_cell(run.site_health)}</td>"
            f"<td data-label='docs'>{docs}</td></tr>"
        )
    top_rows = (
        "".join(
            f"<tr><td><code>{e(label)}</code></td><td class='text-right'>{count}</td></tr>"
            for label, count in report.top_failed_expectations
        )
        or "<tr><td colspan='2' class='text-muted'>no failed expectations</td></tr>"
    )
    reject_rows = []
    for reject in report.rejects:
        raw = (
            f"<a href='{e(prefix)}/raw?{e(urlencode({'ref': reject.raw_ref}))}' "
            "target='_blank'>raw page</a>"
            if reject.raw_ref
            else ""
        )
        reject_rows.append(
            f"<tr><td class='url' data-label='url'>{_url_cell(reject.url)}</td>"
            f"<td data-label='stage'>{e(reject.stage)}</td>"
            f"<td data-label='reason'>{e(reject.reason)}</td>"
            f"<td class='small' data-label='failed'>{e(', '.join(reject.failed))}</td>"
            f"<td class='small' data-label='message'>{e(reject.message[:400])}</td>"
            f"<td data-label='run'><code class='small'>{e(reject.run_id)}</code></td>"
            f"<td>{raw}</td></tr>"
        )
    shown = (
        f"{len(report.rejects)} of {report.reject_count}"
        if report.reject_count > len(report.rejects)
        else str(report.reject_count)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<link rel="stylesheet" href="{e(prefix)}/static/vendor/bootstrap.min.css">
<style>{_STYLE}</style>
</head><body><div class="container-fluid my-3">
<h1 class="h4">{e(title)}</h1>
<h2 class="h5 mt-3">Runs</h2>
<table class="table table-sm table-striped stack" id="runs">
<thead><tr><th>run</th><th>day</th><th>status</th>{header}<th>site health</th><th>docs</th>
</tr></thead>
<tbody>{"".join(run_rows) or "<tr><td colspan='12' class='text-muted'>no runs yet</td></tr>"}
</tbody></table>
<h2 class="h5 mt-3">Top failed expectations</h2>
<table class="table table-sm w-auto" id="top-failed"><thead><tr><th>expectation(column)</th>
<th class="text-right">rejected rows</th></tr></thead><tbody>{top_rows}</tbody></table>
<h2 class="h5 mt-3" id="rejects">Rejects ({shown})
<a class="small" href="{e(prefix)}/dags/{e(quote(dag_id, safe=""))}/rejects.json{e(_query_of(report))}">JSON</a></h2>
<table class="table table-sm stack" id="reject-rows"><thead><tr>
<th>url</th><th>stage</th><th>reason</th><th>failed</th><th>message</th><th>run</th><th></th>
</tr></thead><tbody>{"".join(reject_rows)}</tbody></table>
<p class="small text-muted">Replay rejects after a fix: <code>wire-ingest replay --from DAY
--to DAY</code> (see docs/data-quality.md, "Replaying rejects").</p>
</div></body></html>
"""


def _health_cell(health: Mapping[str, Any] | None) -> str:
    """What the run saw of the site: adapter/fallback shares over the pages it parsed, empty
    required fields, links per listing page, discovered against the feed's trailing median,
    and the site_drift symptoms (docs/operations.md, "Site drift")."""
    if not health:
        return "<span class='text-muted'>not recorded</span>"
    e = html.escape
    per_page = health.get("links_per_listing_page")
    median = health.get("trailing_median")
    lines = [
        f"adapter {health['adapter_share']:.0%} / fallback {health['fallback_share']:.0%} "
        f"of {health['adapter'] + health['fallback']} read",
        f"empty required fields {health['empty_share']:.0%} of {health['parsed_pages']} pages",
        "listing: "
        + (f"{per_page:g} links a page" if per_page is not None else "not walked this run"),
        f"discovered {health['discovered']}"
        + (f" (trailing median {median:g})" if median is not None else " (no history yet)"),
    ]
    signals = "".join(
        f"<div><span class='badge badge-warning' data-symptom='{e(s['symptom'])}'>site_drift "
        f"{e(s['symptom'])}</span></div>"
        for s in health.get("signals", [])
    )
    return signals + "".join(f"<div class='small'>{e(line)}</div>" for line in lines)


def _url_cell(url: str) -> str:
    """A stored URL as a link only when it is http(s): a rejected `javascript:` or `data:` link is
    untrusted input and is shown as text."""
    shown = html.escape(url)
    if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return f"<code>{shown}</code>"
    return f"<a href='{shown}' rel='noreferrer noopener' target='_blank'>{shown}</a>"


def _query_of(report: RunReport) -> str:
    run_ids = [run.run_id for run in report.runs]
    return "?" + urlencode([("run_id", run_id) for run_id in run_ids]) if run_ids else ""


# ---------------------------------------------------------------- the app the plugin mounts


def create_app(
    *,
    warehouse_url: Callable[[], str],
    authenticate: Any = None,
    authorize_dag: Any = None,
    login_url: Callable[[str], str] | None = None,
    docs_root: Callable[[], Path] = settings.data_docs_dir,
) -> FastAPI:
    """The report app. authenticate is a FastAPI dependency that raises 401 for anonymous callers
    (every route depends on it); authorize_dag one that checks access to the path's dag_id."""
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from wire_ingest.warehouse import engines

    if authenticate is None:
        raise ValueError("the report app needs an authentication dependency")
    dependencies = [Depends(authenticate)]
    dag_dependencies = [*dependencies, *([Depends(authorize_dag)] if authorize_dag else [])]
    app = FastAPI(title="wire-ingest data quality", docs_url=None, redoc_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def _refused(request: Request, exc: StarletteHTTPException) -> Any:
        # A browser (the UI's iframe) is sent to the login page; API clients get the status.
        wants_html = "text/html" in request.headers.get("accept", "")
        if exc.status_code in (401, 403) and wants_html and login_url is not None:
            return RedirectResponse(login_url(str(request.url)), status_code=307)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    def engine() -> sa.Engine:
        return engines.make_engine(warehouse_url())

    def report_for(**kwargs: Any) -> RunReport:
        warehouse = engine()
        try:
            return build_report(warehouse, docs_root=docs_root(), **kwargs)
        finally:
            warehouse.dispose()

    @app.get("/dags/{dag_id}/report", response_class=HTMLResponse, dependencies=dag_dependencies)
    def dag_report(dag_id: str) -> str:
        report = report_for(dag_id=dag_id)
        return render_report(report, title=f"Data quality: {dag_id}", dag_id=dag_id)

    @app.get("/dags/{dag_id}/report.json", dependencies=dag_dependencies)
    def dag_report_json(dag_id: str) -> dict[str, Any]:
        return report_for(dag_id=dag_id).to_dict()

    @app.get(
        "/dags/{dag_id}/runs/{run_id}/report",
        response_class=HTMLResponse,
        dependencies=dag_dependencies,
    )
    def run_report(dag_id: str, run_id: str) -> str:
        report = report_for(dag_id=dag_id, run_id=run_id)
        return render_report(report, title=f"Data quality: {dag_id} run {run_id}", dag_id=dag_id)

    @app.get("/dags/{dag_id}/runs/{run_id}/report.json", dependencies=dag_dependencies)
    def run_report_json(dag_id: str, run_id: str) -> dict[str, Any]:
        return report_for(dag_id=dag_id, run_id=run_id).to_dict()

    @app.get("/dags/{dag_id}/rejects.json", dependencies=dag_dependencies)
    def rejects_json(dag_id: str, request: Request) -> list[dict[str, Any]]:
        """Every reject of the DAG's runs (or of the run_id=... given)."""
        warehouse = engine()
        try:
            rows = _rejects(warehouse, dag_id, request.query_params.getlist("run_id"))
            return [dataclasses.asdict(r) for r in rows]
        finally:
            warehouse.dispose()

    @app.get("/raw", dependencies=dependencies)
    def raw_page(ref: str) -> Any:
        from fastapi.responses import Response

        from wire_ingest import landing

        if not _is_known_raw_ref(ref):
            raise HTTPException(status_code=404, detail="no such reject")
        try:
            page = landing.read_landed(ref)
        except (KeyError, ValueError, FileNotFoundError) as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        # Shown as text in a sandbox: a landed page is untrusted markup.
        return Response(
            page.body,
            media_type="text/plain; charset=" + (page.charset or "utf-8"),
            headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"},
        )

    def _is_known_raw_ref(ref: str) -> bool:
        # Only landed pages that a reject points to: never an arbitrary fsspec URL.
        warehouse = engine()
        try:
            with warehouse.connect() as conn:
                query = sa.select(sa.func.count()).where(tables.article_rejects.c.raw_ref == ref)
                return bool(conn.execute(query).scalar_one())
        finally:
            warehouse.dispose()

    @app.get("/docs/{path:path}", dependencies=dependencies)
    def docs(path: str) -> Any:
        root = docs_root().resolve()
        target = (root / path).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(status_code=404, detail="not found")
        return FileResponse(target)

    @app.get("/static/vendor/{name}", dependencies=dependencies)
    def static(name: str) -> Any:
        if name not in data_docs.VENDOR_FILES:
            raise HTTPException(status_code=404, detail="not found")
        return FileResponse(
            Path(str(resources.files("wire_ingest.quality") / "docs_static" / name))
        )

    return app


def _rejects(engine: sa.Engine, dag_id: str, run_ids: Iterable[str]) -> Sequence[RejectSummary]:
    runs = sa.select(tables.ingest_runs.c.run_id).where(tables.ingest_runs.c.dag_id == dag_id)
    ids = list(run_ids)
    if ids:
        runs = runs.where(tables.ingest_runs.c.run_id.in_(ids))
    query = (
        sa.select(tables.article_rejects)
        .where(tables.article_rejects.c.run_id.in_(runs))
        .order_by(tables.article_rejects.c.url)
    )
    with engine.connect() as conn:
        return [
            RejectSummary(
                url=row.url,
                stage=row.stage,
                reason=row.reason,
                message=row.message,
                run_id=row.run_id,
                target_day=str(row.target_day),
                raw_ref=row.raw_ref,
                failed=_failed_labels(row.details or {}),
            )
            for row in conn.execute(query.limit(5000))
        ]
