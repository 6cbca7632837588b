"""Failures say what failed: the alert names feed, day, task and cause; the run keeps the cause."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from wire_ingest import plan, steps
from wire_ingest.airflow import alerts
from wire_ingest.airflow import context as airflow_context
from wire_ingest.warehouse import engines, migrations, queries

DAY = dt.date(2020, 12, 23)


class FakeTI:
    dag_id, run_id = "wire_ingest", "scheduled__2020-12-22T16:00:00+00:00"

    def __init__(self, task_id: str, discovered: Any) -> None:
        self.task_id = task_id
        self._discovered = discovered

    def xcom_pull(self, task_ids: str) -> Any:
        assert task_ids == "discover"
        return self._discovered


def test_the_alert_names_feed_day_task_and_cause() -> None:
    planned = {"plan": {"feed": "china_org_cn", "target_day": DAY.isoformat()}}
    cause = steps.FetchFailedError("fetch failed for 240 of 240 article pages of 2020-12-23")
    alert = alerts.failure_alert(
        {"ti": FakeTI("fetch", planned), "run_id": FakeTI.run_id, "exception": cause}
    )
    assert (alert.feed, alert.target_day, alert.task_id) == ("china_org_cn", "2020-12-23", "fetch")
    assert alert.error == f"FetchFailedError: {cause}"
    assert alert.text.startswith(
        f"[wire_ingest] task fetch failed in run {FakeTI.run_id} (feed china_org_cn, day "
        f"2020-12-23): FetchFailedError: fetch failed for 240"
    )
    assert alert.to_payload()["target_day"] == "2020-12-23"


def test_a_discover_failure_still_names_the_day_from_the_run_dates() -> None:
    logical = dt.datetime(2020, 12, 22, 16, 0, tzinfo=dt.UTC)  # 2020-12-23 00:00 in Beijing
    alert = alerts.failure_alert(
        {"ti": FakeTI("discover", None), "run_id": "r", "logical_date": logical, "params": {}},
        feed="china_org_cn",
        timezone="Asia/Shanghai",
    )
    assert (alert.feed, alert.target_day) == ("china_org_cn", "2020-12-23")


def test_the_dag_callback_keeps_the_failing_steps_message(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wire_ingest import sources

    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    engine = engines.make_engine(sqlite_url)
    migrations.migrate(engine)
    ctx = plan.plan_run(
        run_id=FakeTI.run_id,
        target_day=DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    started = dt.datetime.now(dt.UTC)
    specific = "fetch failed for 30 of 30 article pages of 2020-12-23: robots_unavailable x30"
    steps.record_rejects_and_run(ctx, status="failed", message=specific)
    monkeypatch.setattr(airflow_context, "warehouse_url", lambda *_: sqlite_url)
    planned = airflow_context.with_plan({}, {**plan.context_to_dict(ctx), "warehouse_conn_id": "x"})
    del planned["plan"]["warehouse_url"]

    class DagRun:
        start_date = started

    context = {"ti": FakeTI("validate", planned), "reason": "task_failure", "dag_run": DagRun()}
    airflow_context.record_failed_run(context, sources.get_source("china_org_cn"))
    run = queries.find_run(engine, FakeTI.run_id)
    assert run is not None and (run.status, run.message) == ("failed", specific)

    # A failure written before this attempt of the run started (a cleared run) is not kept.
    DagRun.start_date = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    airflow_context.record_failed_run(context, sources.get_source("china_org_cn"))
    run = queries.find_run(engine, FakeTI.run_id)
    engine.dispose()
    assert run is not None and run.message == "task validate failed: task_failure"
