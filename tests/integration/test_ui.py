"""The Airflow UI in headless Chromium: log in, see a small backfill's runs and a run's summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from airflow_services import ADMIN_PASSWORD, ADMIN_USER, AirflowServices, BackfillResult
from browser import chromium, log_in

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def page(airflow_services: AirflowServices) -> Iterator[Any]:
    """A Chromium page logged into the services' UI as admin."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)
        log_in(page, f"{airflow_services.base_url}/", ADMIN_PASSWORD, user=ADMIN_USER)
        yield page


def test_dag_page_shows_the_backfill_runs_and_a_run_summary(
    page: Any, airflow_services: AirflowServices, small_backfill: BackfillResult
) -> None:
    runs = sorted(small_backfill.backfill_runs, key=lambda run: run["logical_date"])
    assert len(runs) == 3 and all(run["state"] == "success" for run in runs)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # the DAG page: the grid has a column per finished run
    page.goto(f"{airflow_services.base_url}/dags/wire_ingest")
    page.get_by_text("wire_ingest").first.wait_for()
    page.get_by_text("load", exact=True).first.wait_for()

    # the Runs tab: every run of the backfill, its state and type
    page.goto(f"{airflow_services.base_url}/dags/wire_ingest/runs")
    for run in runs:
        page.get_by_text(run["dag_run_id"], exact=True).first.wait_for()
    body = page.inner_text("body")
    assert body.count("Backfill") >= 3 and "Success" in body, body[:2000]
    page.screenshot(path=str(SCREENSHOTS / "dag-runs.png"))

    # one run's summary: the load task's XCom (the counts of every stage)
    first = runs[0]
    summary_url = (
        f"{airflow_services.base_url}/dags/wire_ingest/runs/{quote(first['dag_run_id'], safe='')}"
        "/tasks/load/xcom"
    )
    page.goto(summary_url)
    page.get_by_text("target_day", exact=True).first.wait_for()
    page.get_by_text("2020-12-22", exact=True).first.wait_for()
    xcom = airflow_services.get(
        f"dags/wire_ingest/dagRuns/{quote(first['dag_run_id'], safe='')}"
        "/taskInstances/load/xcomEntries/return_value"
    )["value"]
    assert xcom["target_day"] == "2020-12-22" and xcom["status"] == "success"
    body = page.inner_text("body")
    for key in ("discovered", "fetched", "loaded", "inserted"):
        assert key in body, body[:2000]
    page.screenshot(path=str(SCREENSHOTS / "run-summary.png"))

    # the UI's backfill dialog (Trigger -> Backfill): a date range, reprocess behaviour, max runs
    page.goto(f"{airflow_services.base_url}/dags/wire_ingest")
    page.get_by_role("button", name="Trigger").first.click()
    page.get_by_text("Backfill", exact=True).last.click()
    page.get_by_text("Max Active Runs").first.wait_for()
    page.get_by_text("Date Range").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "backfill-dialog.png"))
