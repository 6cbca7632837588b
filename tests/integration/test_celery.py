"""CeleryExecutor with two workers (Redis broker): a 3-day backfill equals the in-process run of
the same days, tasks of one run are seen on both workers, and the per-host rate limit holds."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import (
    BACKFILL_FROM,
    BACKFILL_TO,
    DAG_ID,
    ROOT,
    VENV_BIN,
    AirflowServices,
    running_airflow,
)
from test_backfill import DAYS, content

from wire_ingest import plan, settings, steps
from wiresim.generate import build_site
from wiresim.server import RunningSite, start_in_thread

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

# The machine's Redis; the test sends to a queue of its own, so others may use the same database.
REDIS_URL = os.environ.get("WIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
WORKERS = ("wire-worker-a", "wire-worker-b")
MAX_RPS = 10.0  # the per-host limit the tasks of both workers share (WIRE_MAX_RPS)
SITE_TASKS = ("discover", "fetch")  # the tasks that request pages of the wire site


@dataclass(frozen=True)
class CeleryBackfill:
    services: AirflowServices
    site: RunningSite
    output: str
    returncode: int
    runs: list[dict[str, Any]]
    task_instances: list[Any]
    arrivals: list[float]  # when each request of the backfill reached the site (monotonic)


@pytest.fixture(scope="module")
def celery_site() -> Iterator[RunningSite]:
    """A site of its own: its request log holds only this backfill's requests."""
    site = build_site(DAYS[0], DAYS[-1], seed=7)  # what the `wire_site` fixture serves
    with start_in_thread(site) as running:
        yield running


@pytest.fixture(scope="module")
def celery_warehouse(postgres_url: str) -> Iterator[str]:
    schema = f"celery_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.engine.make_url(postgres_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def celery_backfill(
    postgres_url: str,
    celery_site: RunningSite,
    celery_warehouse: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryBackfill]:
    """scripts/backfill.sh of the three days, 3 runs at once, on CeleryExecutor with two workers."""
    with running_airflow(
        admin_url=postgres_url,
        workdir=tmp_path_factory.mktemp("celery"),
        base_url=celery_site.base_url,
        warehouse_url=celery_warehouse,
        extra_env={"WIRE_MAX_RPS": str(MAX_RPS), "WIRE_TASK_RETRIES": "0"},
        celery_broker_url=REDIS_URL,
        celery_workers=WORKERS,
    ) as services:
        services.set_paused(False)
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "backfill.sh"), BACKFILL_FROM, BACKFILL_TO],
            env={
                **services.env,
                "POLL_SECONDS": "3",
                "MAX_ACTIVE_RUNS": "3",
                "VENV": str(VENV_BIN.parent),
            },
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            timeout=900,
        )
        engine = sa.create_engine(services.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        try:
            with engine.connect() as conn:
                task_instances = conn.execute(
                    sa.text(
                        "SELECT run_id, task_id, hostname, state, start_date, end_date "
                        "FROM task_instance WHERE dag_id = :dag"
                    ),
                    {"dag": DAG_ID},
                ).all()
        finally:
            engine.dispose()
        yield CeleryBackfill(
            services=services,
            site=celery_site,
            output=done.stdout + done.stderr,
            returncode=done.returncode,
            runs=[r for r in services.dag_runs() if r["run_type"] == "backfill"],
            task_instances=task_instances,
            arrivals=sorted(t for t, _ in celery_site.arrivals),
        )


def test_backfill_on_two_celery_workers_succeeds(celery_backfill: CeleryBackfill) -> None:
    result = celery_backfill
    assert result.returncode == 0, result.output[-3000:] + result.services.logs()
    assert len(result.runs) == 3
    assert all(run["state"] == "success" for run in result.runs), result.runs
    assert {ti.state for ti in result.task_instances} == {"success"}
    scheduler_log = (result.services.home / "scheduler.log").read_text(errors="replace")
    assert "CeleryExecutor" in scheduler_log


def test_tasks_of_one_run_are_seen_on_both_workers(celery_backfill: CeleryBackfill) -> None:
    """task_instance.hostname is the worker's host; every task ran on one of the two workers."""
    hosts_by_run: dict[str, set[str]] = {}
    for ti in celery_backfill.task_instances:
        hosts_by_run.setdefault(ti.run_id, set()).add(ti.hostname)
    assert set().union(*hosts_by_run.values()) == set(WORKERS), hosts_by_run
    assert any(hosts == set(WORKERS) for hosts in hosts_by_run.values()), hosts_by_run


def test_celery_backfill_loads_what_the_in_process_run_loads(
    celery_backfill: CeleryBackfill,
    celery_warehouse: str,
    migrated_postgres_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The warehouse the two workers loaded equals the pipeline's own run of the same days (what
    LocalExecutor loads: tests/integration/test_backfill.py compares it with the same run)."""
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    fetch = settings.FetchSettings(max_requests_per_second=0)
    for day in DAYS:
        ctx = plan.plan_run(
            run_id=f"in_process_{day}",
            target_day=day,
            base_url=celery_backfill.site.base_url,
            warehouse_url=migrated_postgres_schema_url,
        )
        steps.run_day(ctx, fetch_settings=fetch)
    in_process = content(migrated_postgres_schema_url)
    distributed = content(celery_warehouse)
    assert len(in_process) > 300
    assert distributed == in_process
    assert len({row[0] for row in distributed}) == len(distributed)


def test_rate_limit_holds_across_two_celery_workers(celery_backfill: CeleryBackfill) -> None:
    """The site saw at most MAX_RPS + 1 requests in any 1-second window, while tasks that request
    its pages ran on both workers at the same time."""
    site_tasks = [
        ti
        for ti in celery_backfill.task_instances
        if ti.task_id in SITE_TASKS and ti.start_date and ti.end_date
    ]
    overlapping_on_two_hosts = any(
        a.hostname != b.hostname and a.start_date < b.end_date and b.start_date < a.end_date
        for a in site_tasks
        for b in site_tasks
    )
    assert overlapping_on_two_hosts, site_tasks
    arrivals = celery_backfill.arrivals
    assert len(arrivals) > 700  # three days of listings and articles
    busiest = max(
        sum(1 for t in arrivals[i:] if t < start + 1.0) for i, start in enumerate(arrivals)
    )
    assert busiest <= MAX_RPS + 1, busiest


def test_celery_worker_processes_start_preloaded(celery_backfill: CeleryBackfill) -> None:
    """The worker hook (wire_ingest.airflow.celery_worker) imported GX once in each worker, so no
    validate task imported it; the scheduler imported nothing of the pipeline."""
    for worker in celery_backfill.services.workers:
        log = worker.log.read_text(errors="replace")
        assert log.count("preloaded the wire_ingest pipeline and GX") == 1, worker.hostname
    scheduler_log = (celery_backfill.services.home / "scheduler.log").read_text(errors="replace")
    assert "preloaded the wire_ingest pipeline" not in scheduler_log
    validate_logs = [
        path
        for worker in celery_backfill.services.workers
        for path in (worker.home / "logs" / f"dag_id={DAG_ID}").glob(
            "run_id=*/task_id=validate/attempt=*.log"
        )
    ]
    assert len(validate_logs) == 3
    for path in validate_logs:
        text = path.read_text(errors="replace")
        assert "validate:" in text
        assert "imported Great Expectations" not in text, path


def test_task_logs_stay_on_the_worker_that_ran_the_task(celery_backfill: CeleryBackfill) -> None:
    """Task logs stay on the worker that ran the task: each worker's home holds the logs of the
    tasks recorded with its hostname, and no other."""
    for worker in celery_backfill.services.workers:
        logged = {
            (p.parent.parent.name.removeprefix("run_id="), p.parent.name.removeprefix("task_id="))
            for p in (worker.home / "logs" / f"dag_id={DAG_ID}").glob("run_id=*/task_id=*/*.log")
        }
        recorded = {
            (ti.run_id, ti.task_id)
            for ti in celery_backfill.task_instances
            if ti.hostname == worker.hostname
        }
        assert logged == recorded, worker.hostname
