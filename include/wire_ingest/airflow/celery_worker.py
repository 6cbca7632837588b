"""Celery settings whose worker processes import the pipeline and GX once, before their first task."""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

log = logging.getLogger(__name__)

# What the tasks import. GX alone costs 4-12 s per process here: paid once by each Celery worker
# before it forks its pool processes, instead of by every task (Airflow's Celery task forks the
# task process from a pool process, so the task inherits these modules), the way gunicorn's
# --preload shares an import.
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
    "wire_ingest.alerts",
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
        # The DAG files report a broken sources file; the worker must not die of it here.
        log.warning("preload: no GX checkpoints built, the sources file is broken", exc_info=True)
        feeds = []
    validation.prepare(feeds)
    validation.batch_definition()  # the context at least, when there are no sources
    return time.perf_counter() - began


def _preload_worker(**_: Any) -> None:
    """Celery's `worker_init`: in the worker's main process before it forks its pool, never in
    the scheduler."""
    seconds = preload()
    log.info("preloaded the wire_ingest pipeline and GX in %.1f s", seconds)


worker_init.connect(_preload_worker, weak=False)

# Airflow's own Celery settings, unchanged: what `[celery] celery_config_options` names
# (AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=wire_ingest.airflow.celery_worker.CELERY_CONFIG), so that
# the worker imports this module and connects the hook above. The scheduler imports the module
# too (to send tasks) but never runs the hook: nothing of the pipeline is imported there.
CELERY_CONFIG: dict[str, Any] = dict(DEFAULT_CELERY_CONFIG)
