"""The Celery worker hook: what the scheduler imports of it is only Celery settings; a worker runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # an Airflow import in a fresh process


def test_importing_the_settings_imports_nothing_of_the_pipeline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What CeleryExecutor does in the scheduler: import `[celery] celery_config_options`."""
    script = (
        "import json, sys\n"
        "from airflow.providers.celery.executors.celery_executor_utils import "
        "get_celery_configuration\n"
        "from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG\n"
        "from celery.signals import worker_init\n"
        "config = get_celery_configuration()\n"
        "from wire_ingest.airflow import celery_worker\n"
        "print(json.dumps({\n"
        "  'same_settings': config == DEFAULT_CELERY_CONFIG,\n"
        "  'is_ours': config is celery_worker.CELERY_CONFIG,\n"
        "  'gx': 'great_expectations' in sys.modules,\n"
        "  'pipeline': sorted(m for m in sys.modules if m.startswith('wire_ingest.') and\n"
        "                     not m.startswith('wire_ingest.airflow')),\n"
        "  'hooked': any('preload_worker' in repr(r) for r in worker_init.receivers),\n"
        "}))\n"
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "wire_ingest.airflow.celery_worker.CELERY_CONFIG",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "same_settings": True,  # Airflow's own Celery settings, unchanged
        "is_ours": True,
        "gx": False,
        "pipeline": [],
        "hooked": True,
    }
