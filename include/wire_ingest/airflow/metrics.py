"""A run's counts as metrics, sent through Airflow's own metrics client ([metrics] settings)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wire_ingest.models import RunContext
    from wire_ingest.warehouse.load import IngestRun

log = logging.getLogger(__name__)

PREFIX = "wire_ingest"  # after Airflow's own [metrics] statsd_prefix: airflow.wire_ingest.<feed>.*
# Gauge name -> the ingest_runs column it reports (the Data quality tab's figures).
RUN_GAUGES: tuple[tuple[str, str], ...] = (
    ("discovered", "discovered"),
    ("fetched", "fetched"),
    ("fetch_failures", "fetch_failed"),
    ("not_modified", "not_modified"),
    ("parsed", "parsed"),
    ("duplicates", "duplicates"),
    ("rejected", "rejected"),
    ("loaded", "loaded"),
)
DRIFT_SIGNALS = "drift_signals"  # site_drift symptoms the run raised (quality.site_health)


def run_metrics(run: IngestRun) -> dict[str, int]:
    """`<prefix>.<feed>.<name>` -> value: the run's counts and its number of drift signals."""
    values = {name: int(getattr(run, column)) for name, column in RUN_GAUGES}
    values[DRIFT_SIGNALS] = len((run.site_health or {}).get("signals", []))
    return {f"{PREFIX}.{run.feed}.{name}": value for name, value in values.items()}


def send_run_metrics(ctx: RunContext) -> dict[str, int]:
    """Send the run's recorded counts (its ingest_runs row) as gauges, and count the run under
    `<prefix>.<feed>.runs.<status>`, through Airflow's metrics client
    (`airflow.sdk.observability.stats`) set up from [metrics] (statsd_on, statsd_host,
    statsd_port, statsd_prefix): nothing is sent unless metrics are on. A metrics problem is
    logged and never fails the run (the load task sends them after its commit)."""
    try:
        return _send(ctx)
    except Exception:
        log.warning("metrics of run %s could not be sent", ctx.run_id, exc_info=True)
        return {}


def _send(ctx: RunContext) -> dict[str, int]:
    from airflow.sdk.configuration import conf
    from airflow.sdk.observability import stats
    from airflow.sdk.observability.metrics import stats_utils

    from wire_ingest.warehouse import engines, queries

    # Set up here as Airflow's task runner does at a task's start: the DAG's failure callback
    # runs in the dag-processor, which sets up only its own copy of the client.
    stats.initialize(
        factory=stats_utils.get_stats_factory(),
        export_legacy_names=conf.getboolean("metrics", "legacy_names_on"),
    )
    engine = engines.make_engine(ctx.warehouse_url)
    try:
        run = queries.find_run(engine, ctx.run_id)
    finally:
        engine.dispose()
    if run is None:
        log.warning("run %s has no ingest_runs row: no metrics sent", ctx.run_id)
        return {}
    values = run_metrics(run)
    for name, value in values.items():
        stats.gauge(name, value)
    stats.incr(f"{PREFIX}.{run.feed}.runs.{run.status}")
    log.info("metrics of run %s: %s", ctx.run_id, values)
    return values
