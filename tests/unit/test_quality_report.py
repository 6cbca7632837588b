"""The report app's own rules, without Airflow: every route needs the caller authenticated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from wire_ingest.models import Rejection
from wire_ingest.quality import report
from wire_ingest.warehouse import engines, load, migrations

RUN_ID = "scheduled__2020-12-22T16:00:00+00:00"


def _authenticate(request: Request) -> str:
    if request.headers.get("authorization") != "Bearer good":
        raise HTTPException(status_code=401, detail="Not authenticated")
    return "admin"


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str) -> TestClient:
    engine = engines.make_engine(sqlite_url)
    try:
        migrations.migrate(engine)
        details: dict[str, Any] = {"failed": [{"expectation": "expect_x", "column": "body"}]}
        load.record_rejections(
            engine,
            [
                Rejection(
                    feed="china_org_cn",
                    url=f"http://www.china.org.cn/{n}.htm",
                    stage="validate",
                    reason="expectation_failed",
                    message="1 expectation(s) failed",
                    details=details,
                    raw_ref=f"file:///nowhere/{n}.warc.gz#urn:uuid:{n}",
                )
                for n in range(3)
            ],
            run_id=RUN_ID,
            target_day=dt.date(2020, 12, 23),
        )
        load.record_run(
            engine,
            load.IngestRun(
                run_id=RUN_ID,
                dag_id="wire_ingest",
                feed="china_org_cn",
                target_day=dt.date(2020, 12, 23),
                status="success",
                finished_at=dt.datetime(2020, 12, 23, tzinfo=dt.UTC),
                discovered=5,
                rejected=3,
                loaded=2,
            ),
        )
    finally:
        engine.dispose()
    (tmp_path / "docs" / "secret.txt").parent.mkdir()
    (tmp_path / "outside.txt").write_text("not docs")
    app = report.create_app(
        warehouse_url=lambda: sqlite_url,
        authenticate=_authenticate,
        login_url=lambda next_url: f"/auth/login?next={next_url}",
        docs_root=lambda: tmp_path / "docs",
    )
    return TestClient(app)


def test_an_app_without_authentication_cannot_be_built(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="authentication"):
        report.create_app(warehouse_url=lambda: sqlite_url)


def test_anonymous_callers_are_refused_or_sent_to_login(client: TestClient) -> None:
    for path in ("/dags/wire_ingest/report", "/dags/wire_ingest/rejects.json", "/docs/x"):
        assert client.get(path).status_code == 401
    browser = client.get(
        "/dags/wire_ingest/report", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert browser.status_code == 307
    assert browser.headers["location"].startswith("/auth/login?next=")


def test_report_counts_top_failures_and_rejects(client: TestClient) -> None:
    auth = {"Authorization": "Bearer good"}
    data = client.get("/dags/wire_ingest/report.json", headers=auth).json()
    assert [run["counts"]["loaded"] for run in data["runs"]] == [2]
    assert data["top_failed_expectations"] == [["expect_x(body)", 3]]
    assert data["reject_count"] == 3
    assert client.get("/dags/other/report.json", headers=auth).json()["runs"] == []
    page = client.get("/dags/wire_ingest/report", headers=auth).text
    assert "data-count='rejected'>3<" in page and "expect_x(body)" in page


def test_files_outside_the_docs_and_unknown_raw_refs_are_not_served(client: TestClient) -> None:
    auth = {"Authorization": "Bearer good"}
    assert client.get("/docs/../outside.txt", headers=auth).status_code == 404
    assert client.get("/docs/%2E%2E/outside.txt", headers=auth).status_code == 404
    assert client.get("/static/vendor/../../load.py", headers=auth).status_code == 404
    assert client.get("/static/vendor/bootstrap.min.css", headers=auth).status_code == 200
    unknown = client.get("/raw", params={"ref": "file:///etc/passwd#x"}, headers=auth)
    assert unknown.status_code == 404
    missing = client.get(
        "/raw", params={"ref": "file:///nowhere/0.warc.gz#urn:uuid:0"}, headers=auth
    )
    assert missing.status_code == 404  # a known reject whose landing file is gone


def test_the_runs_table_shows_each_runs_site_health(tmp_path: Path, sqlite_url: str) -> None:
    from wire_ingest.quality import site_health

    health = site_health.assess(
        {
            "discovered": 900,
            "listing_pages": 5,
            "listing_links": 250,
            "parsed": 100,
            "fallback": 60,
            "parse_failed": 4,
            "not_modified": 3,
        },
        baseline_fallback=0.01,
        trailing=[240, 250, 260],
    )
    engine = engines.make_engine(sqlite_url)
    try:
        migrations.migrate(engine)
        for run_id, kept in (("drifted", health.to_dict()), ("older", None)):
            load.record_run(
                engine,
                load.IngestRun(
                    run_id=run_id,
                    dag_id="wire_ingest",
                    feed="china_org_cn",
                    target_day=dt.date(2020, 12, 23),
                    status="success",
                    finished_at=dt.datetime(2020, 12, 24 if kept else 23, tzinfo=dt.UTC),
                    site_health=kept,
                ),
            )
    finally:
        engine.dispose()
    client = TestClient(
        report.create_app(
            warehouse_url=lambda: sqlite_url,
            authenticate=_authenticate,
            docs_root=lambda: tmp_path / "docs",
        )
    )
    auth = {"Authorization": "Bearer good"}
    runs = client.get("/dags/wire_ingest/report.json", headers=auth).json()["runs"]
    assert [r["run_id"] for r in runs] == ["drifted", "older"]
    kept = runs[0]["site_health"]
    assert kept["fallback_share"] == 0.6 and kept["links_per_listing_page"] == 50
    assert [s["symptom"] for s in kept["signals"]] == ["adapter_misses", "volume"]
    assert runs[1]["site_health"] is None
    page = client.get("/dags/wire_ingest/report", headers=auth).text
    assert "<th>site health</th>" in page
    assert "data-symptom='adapter_misses'>site_drift adapter_misses<" in page
    assert "adapter 40% / fallback 60% of 100 read" in page
    assert "50 links a page" in page and "discovered 900 (trailing median 250)" in page
    assert "not recorded" in page
