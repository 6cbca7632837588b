"""A failed run's counts reach StatsD too: the DAG's failure callback, which runs outside a task
process (in the dag-processor), sets up Airflow's metrics client from [metrics] and sends them."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from wire_ingest import plan, sources, steps, workfiles
from wire_ingest.airflow import context as airflow_context
from wire_ingest.airflow import metrics
from wire_ingest.warehouse import engines, migrations

DAY = dt.date(2020, 12, 23)
RUN_ID = "scheduled__2020-12-22T16:00:00+00:00"


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A UDP socket on a free loopback port, and Airflow's metrics client sending to it."""
    from airflow.sdk.observability import stats
    from airflow.sdk.observability.metrics import stats_utils

    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_ON", "True")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", str(receiver.getsockname()[1]))
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PREFIX", "airflow")
    try:
        yield receiver
    finally:
        receiver.close()
        monkeypatch.delenv("AIRFLOW__METRICS__STATSD_ON")  # metrics off again for later tests
        stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)


def _received(receiver: socket.socket, last: str) -> dict[str, str]:
    """`name -> value|type` of every line up to and including the one named `last`."""
    lines: dict[str, str] = {}
    while last not in lines:
        for line in receiver.recv(65536).decode().splitlines():
            name, _, value = line.partition(":")
            lines[name] = value
    return lines


def test_the_failure_callback_sends_the_failed_runs_counts(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    statsd: socket.socket,
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    engine = engines.make_engine(sqlite_url)
    migrations.migrate(engine)
    engine.dispose()
    ctx = plan.plan_run(
        run_id=RUN_ID,
        target_day=DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    workfiles.save_counts(ctx, "discover", {"discovered": 30})
    workfiles.save_counts(ctx, "fetch", {"fetched": 0, "fetch_failed": 30})
    message = "fetch failed for 30 of 30 article pages of 2020-12-23: timeout x30"
    steps.record_rejects_and_run(ctx, status="failed", message=message)
    monkeypatch.setattr(airflow_context, "warehouse_url", lambda *_: sqlite_url)
    planned = airflow_context.with_plan({}, {**plan.context_to_dict(ctx), "warehouse_conn_id": "x"})
    del planned["plan"]["warehouse_url"]

    class TI:
        task_id = "fetch"

        def xcom_pull(self, task_ids: str) -> object:
            return planned

    class DagRun:
        start_date = dt.datetime(2020, 12, 23, tzinfo=dt.UTC)

    airflow_context.record_failed_run(
        {"ti": TI(), "reason": "task_failure", "dag_run": DagRun()},
        sources.get_source("china_org_cn"),
    )

    prefix = "airflow.wire_ingest.china_org_cn."
    lines = _received(statsd, prefix + "runs.failed")
    assert lines[prefix + "runs.failed"] == "1|c"
    gauges = {name[len(prefix) :]: v for name, v in lines.items() if name.startswith(prefix)}
    assert gauges == {
        **{name: "0|g" for name, _ in metrics.RUN_GAUGES},
        "discovered": "30|g",
        "fetch_failures": "30|g",
        "drift_signals": "0|g",
        "runs.failed": "1|c",
    }


def test_a_metrics_problem_never_fails_the_run(tmp_path: Path) -> None:
    """The load task sends its metrics after its commit: a warehouse it cannot read then (here a
    folder, not a database) is logged, not raised."""
    ctx = plan.plan_run(
        run_id=RUN_ID,
        target_day=DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=f"sqlite:///{tmp_path}",
        landing_url=(tmp_path / "landing").as_uri(),
    )
    assert metrics.send_run_metrics(ctx) == {}
