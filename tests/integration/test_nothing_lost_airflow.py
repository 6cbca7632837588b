"""Through the real scheduler: a cleared run keeps every raw page readable; with the site down
the run fails in `fetch`, the alert names feed, day, task and cause, and `ingest_runs` keeps it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import AirflowServices, AlertReceiver, running_airflow

from wire_ingest import landing
from wire_ingest.warehouse import engines, queries, tables
from wiresim.generate import build_site
from wiresim.server import start_in_thread

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

FEED = "china_org_cn"
LOADED_DAY = dt.date(2020, 12, 23)
OUTAGE_DAY = dt.date(2020, 12, 24)  # walked through (remembered) by the run of LOADED_DAY


def _run_state(services: AirflowServices, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = services.get(f"dags/wire_ingest/dagRuns/{run_id}")
    return run


def _wait_finished(services: AirflowServices, run_id: str, *, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = str(_run_state(services, run_id)["state"])
        if state in {"success", "failed"}:
            return state
        time.sleep(2)
    raise AssertionError(f"run {run_id} not finished after {timeout}s\n{services.logs()}")


def _trigger(services: AirflowServices, day: dt.date, run_id: str) -> None:
    services.post(
        "dags/wire_ingest/dagRuns",
        {"logical_date": f"{day.isoformat()}T00:00:00+08:00", "dag_run_id": run_id},
    )


def _ingest_run(warehouse_url: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
    engine = engines.make_engine(warehouse_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                row = conn.execute(
                    sa.select(tables.ingest_runs).where(tables.ingest_runs.c.run_id == run_id)
                ).first()
            if row is not None and row.status == "failed":
                return dict(row._mapping)
            time.sleep(1)
    finally:
        engine.dispose()
    raise AssertionError(f"no failed ingest_runs row for {run_id}")


def test_cleared_run_keeps_raw_pages_and_an_outage_fails_fetch_with_its_cause(
    postgres_url: str,
    postgres_schema_url: str,
    alert_receiver: AlertReceiver,
    tmp_path: Path,
) -> None:
    site = build_site(LOADED_DAY - dt.timedelta(days=1), OUTAGE_DAY, per_day=30)
    with (
        start_in_thread(site) as running,
        running_airflow(
            admin_url=postgres_url,
            workdir=tmp_path,
            base_url=running.base_url,
            warehouse_url=postgres_schema_url,
            extra_env={"WIRE_ALERT_WEBHOOK_URL": alert_receiver.url, "WIRE_TASK_RETRIES": "0"},
        ) as services,
    ):
        services.set_paused(False)
        run_id = "nothing_lost_loaded_day"
        _trigger(services, LOADED_DAY, run_id)
        assert _wait_finished(services, run_id) == "success"
        first_end = _run_state(services, run_id)["end_date"]
        # Clear the finished run: it runs again under the same run id.
        services.post(f"dags/wire_ingest/dagRuns/{run_id}/clear", {"dry_run": False})
        deadline = time.monotonic() + 300
        while _run_state(services, run_id)["end_date"] in (first_end,) or (
            _run_state(services, run_id)["state"] not in {"success", "failed"}
        ):
            assert time.monotonic() < deadline, services.logs()
            time.sleep(2)
        assert _run_state(services, run_id)["state"] == "success"
        files = landing.landed_files(
            (tmp_path / "data" / "landing").as_uri(), FEED, LOADED_DAY, "articles"
        )
        assert len(files) == 2, files  # the cleared run wrote its own file
        engine = engines.make_engine(postgres_schema_url)
        try:
            refs = queries.day_raw_refs(engine, FEED, LOADED_DAY)
        finally:
            engine.dispose()
        assert refs["articles"], "the day loaded"
        assert landing.unresolved_refs([r for table in refs.values() for r in table]) == []

        # The site goes down. The next day's listing is remembered (walked through on the
        # way to LOADED_DAY), so discovery needs no network: fetch is where it fails.
        running.stop()  # its port refuses connections from now on
        outage_run = "nothing_lost_outage"
        before = len(alert_receiver.received)
        _trigger(services, OUTAGE_DAY, outage_run)
        assert _wait_finished(services, outage_run) == "failed"
        states = {
            ti["task_id"]: ti["state"]
            for ti in services.get(f"dags/wire_ingest/dagRuns/{outage_run}/taskInstances")[
                "task_instances"
            ]
        }
        assert states["discover"] == "success" and states["fetch"] == "failed", states
        deadline = time.monotonic() + 120
        while not [m for m in alert_receiver.received[before:] if m["run_id"] == outage_run]:
            assert time.monotonic() < deadline, "no alert"
            time.sleep(1)
        (alert,) = [m for m in alert_receiver.received[before:] if m["run_id"] == outage_run]
        assert (alert["task_id"], alert["feed"], alert["target_day"]) == (
            "fetch",
            FEED,
            OUTAGE_DAY.isoformat(),
        )
        assert alert["error"].startswith("FetchFailedError: fetch failed for 30 of 30"), alert
        _ingest_run(postgres_schema_url, outage_run)
        time.sleep(5)  # the DAG's failure callback runs after the task's: it must not overwrite
        recorded = _ingest_run(postgres_schema_url, outage_run)
        assert recorded["message"] == alert["error"].removeprefix("FetchFailedError: ")
        assert recorded["message"].startswith(
            f"fetch failed for 30 of 30 article pages of {OUTAGE_DAY} ({FEED}"
        )
