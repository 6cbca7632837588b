"""Metrics for an external monitor: a real DAG run sends Airflow's own StatsD metrics and the run's
counts to a StatsD receiver (a UDP socket this test listens on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import StatsdReceiver
from test_dag_e2e import airflow_env, run_dag  # noqa: F401 - airflow_env is a fixture

from wire_ingest.warehouse import engines, tables

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

FEED = "china_org_cn"


@pytest.fixture
def statsd() -> Iterator[StatsdReceiver]:
    receiver = StatsdReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


def test_a_dag_run_sends_airflows_metrics_and_the_runs_counts(
    airflow_env: dict[str, str],  # noqa: F811 - the fixture imported above
    wire_site: Any,
    statsd: StatsdReceiver,
    tmp_path: Path,
) -> None:
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {
        **airflow_env,
        "AIRFLOW__METRICS__STATSD_ON": "True",
        "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
        "AIRFLOW__METRICS__STATSD_PORT": str(statsd.port),
        "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
    }
    run_dag(env, base_url=wire_site.base_url, warehouse_url=warehouse_url, data_dir=tmp_path)
    engine = engines.make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            (run,) = [dict(row._mapping) for row in conn.execute(sa.select(tables.ingest_runs))]
    finally:
        engine.dispose()
    statsd.close()  # the run has ended: what it sent is in the socket

    gauges = statsd.values("g")
    counters = statsd.values("c")
    ours = {name: values for name, values in gauges.items() if ".wire_ingest." in name}
    prefix = f"airflow.wire_ingest.{FEED}."
    expected = {
        "discovered": run["discovered"],
        "fetched": run["fetched"],
        "fetch_failures": run["fetch_failed"],
        "not_modified": run["not_modified"],
        "parsed": run["parsed"],
        "duplicates": run["duplicates"],
        "rejected": run["rejected"],
        "loaded": run["loaded"],
        "drift_signals": len((run["site_health"] or {}).get("signals", [])),
    }
    assert ours == {prefix + name: [float(value)] for name, value in expected.items()}
    assert run["status"] == "success" and run["loaded"] > 100 and run["rejected"] > 0
    assert counters[f"{prefix}runs.success"] == [1.0]
    # Airflow's own metrics travel the same way: its task instances' outcomes, for one.
    assert any(name.startswith("airflow.ti.") for name in [*counters, *gauges]), sorted(counters)
