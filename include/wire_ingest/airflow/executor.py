"""A LocalExecutor whose task processes start with the pipeline's heavy libraries already imported."""

from __future__ import annotations

import importlib
import logging
import time

from airflow.executors.local_executor import LocalExecutor

log = logging.getLogger(__name__)

# What the tasks import. GX alone costs 7-12 s per process here: paid once by the scheduler
# instead of by every task (each task process is a fork of a LocalExecutor worker, itself a fork
# of the scheduler), the way gunicorn's --preload or Celery's prefork pool share an import.
PRELOAD_MODULES = (
    # what a task process imports to run a TaskFlow task (~0.2 s per task otherwise)
    "airflow.sdk",
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "airflow.sdk.bases.decorator",
    "airflow.sdk.bases.hook",
    "airflow.dag_processing.bundles.local",
    "airflow.providers.standard.decorators.python",
    "airflow.providers.standard.operators.python",
    "airflow.providers.common.io.assets.file",
    # the DAG file and the pipeline's stages
    "wire_ingest.airflow.alerts",
    "wire_ingest.airflow.context",
    "wire_ingest.steps",
    "wire_ingest.discover.day",
    "wire_ingest.http.fetcher",
    "wire_ingest.landing",
    "wire_ingest.adapters.china_org_cn",
    "wire_ingest.adapters.news_cn",
    "wire_ingest.adapters.generic",
    "wire_ingest.dedupe.exact",
    "wire_ingest.quality.validation",
    "wire_ingest.quality.data_docs",
    "wire_ingest.quality.report",
    "wire_ingest.warehouse.load",
    "trafilatura",
    "datasketch",
    "warcio",
    "alembic.command",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
)


def preload() -> float:
    """Import the pipeline's stage modules and Great Expectations, build each declared source's
    GX suites and checkpoints; returns the seconds it took."""
    began = time.perf_counter()
    for name in PRELOAD_MODULES:
        importlib.import_module(name)
    from wire_ingest import sources
    from wire_ingest.quality import validation
    from wire_ingest.warehouse import migrations

    migrations.head_revision()  # reads the migration scripts (Alembic, mako) once
    # GX's import, its ephemeral context and every source's checkpoints, once: a task's run only
    # passes its suite parameters (its day, its hosts) to the checkpoint of its source.
    try:
        feeds = list(sources.load_sources())
    except sources.SourceConfigError:
        # The DAG files report a broken sources file; the scheduler must not die of it here.
        log.warning("preload: no GX checkpoints built, the sources file is broken", exc_info=True)
        feeds = []
    validation.prepare(feeds)
    validation.batch_definition()  # the context at least, when there are no sources
    return time.perf_counter() - began


class PreloadedLocalExecutor(LocalExecutor):
    """LocalExecutor that imports the pipeline once, before it forks its worker processes.

    Set `AIRFLOW__CORE__EXECUTOR=wire_ingest.airflow.executor.PreloadedLocalExecutor` (scripts/airflow-env.sh
    does). With the spawn start method (macOS) nothing is inherited and it behaves as LocalExecutor.
    """

    def start(self) -> None:
        if self.is_mp_using_fork:
            seconds = preload()
            log.info("preloaded the wire_ingest pipeline and GX in %.1f s", seconds)
        super().start()
