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
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from airflow_services import (
    BACKFILL_FROM,
    BACKFILL_TO,
    DAG_ID,
    ROOT,
    VENV_BIN,
    AirflowServices,
    HostNetwork,
    host_network,
    running_airflow,
    warehouse_schema,
)
from test_backfill import DAYS, content

from wire_ingest import plan, settings, steps
from wire_ingest.landing import safe_key
from wiresim.generate import build_site
from wiresim.server import RunningSite, start_in_thread

pytestmark = [pytest.mark.airflow, pytest.mark.slow, pytest.mark.postgres]

# The machine's Redis; the test sends to a queue of its own, so others may use the same database.
REDIS_URL = os.environ.get("WIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
WORKERS = ("wire-worker-a", "wire-worker-b")
# The per-host limit the tasks of both workers share (WIRE_MAX_RPS): slots 0.2 s apart, so only a
# request held back more than that after its slot (this machine runs other work too) could put
# two of them in a window's last slot.
MAX_RPS = 5.0
PER_DAY = 80  # articles a day on the site: about 80 s of requests at that rate for the 3 days
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
    landing: Path  # the landing store both workers share (WIRE_LANDING_URL)


@pytest.fixture(scope="module")
def worker_network(postgres_url: str) -> Iterator[HostNetwork]:
    """A network namespace per worker on a bridge (root, as `make test` and CI run here): the
    workers reach Redis and PostgreSQL (and, added by running_airflow, the api-server) through
    relays on the bridge's gateway address, never through this machine's loopback."""
    ports = [
        urlsplit(REDIS_URL).port or 6379,
        sa.engine.make_url(postgres_url).port or 5432,
    ]
    with host_network(WORKERS, ports) as network:
        yield network


@pytest.fixture(scope="module")
def celery_site(worker_network: HostNetwork) -> Iterator[RunningSite]:
    """A site of its own on the bridge's gateway address, where the workers reach it (its links
    carry that address); its request log holds only this backfill's requests."""
    site = build_site(DAYS[0], DAYS[-1], seed=7, per_day=PER_DAY)
    with start_in_thread(site, host=worker_network.gateway) as running:
        yield running


@pytest.fixture(scope="module")
def celery_warehouse(postgres_url: str) -> Iterator[str]:
    with warehouse_schema(postgres_url, "celery") as url:
        yield url


@pytest.fixture(scope="module")
def celery_backfill(
    postgres_url: str,
    worker_network: HostNetwork,
    celery_site: RunningSite,
    celery_warehouse: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryBackfill]:
    """scripts/backfill.sh of the three days, 3 runs at once, on CeleryExecutor with two workers."""
    workdir = tmp_path_factory.mktemp("celery")
    # The one store every component reaches, as s3://... would be; each worker's WIRE_DATA_DIR
    # is its own.
    landing = workdir / "landing-store"
    with running_airflow(
        admin_url=postgres_url,
        workdir=workdir,
        base_url=celery_site.base_url,
        warehouse_url=celery_warehouse,
        extra_env={
            "WIRE_MAX_RPS": str(MAX_RPS),
            "WIRE_TASK_RETRIES": "0",
            "WIRE_LANDING_URL": landing.as_uri(),
        },
        celery_broker_url=REDIS_URL,
        celery_workers=WORKERS,
        shared_data_dir=False,
        worker_network=worker_network,
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
            landing=landing,
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
    """task_instance.hostname is the worker's host; every task ran on one of the two workers,
    each in a network namespace of its own."""
    assert celery_backfill.services.gateway is not None
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
    assert len(in_process) > 2 * PER_DAY
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
    assert len(arrivals) > 3 * PER_DAY  # three days of listings and articles
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


def test_workers_share_no_data_folder_only_the_landing_store(
    celery_backfill: CeleryBackfill,
) -> None:
    """Each worker has its own WIRE_DATA_DIR, and no run's hand-over rows are in either: they are
    in the landing store (WIRE_LANDING_URL), where a task on the other worker reads them."""
    data_dirs = [worker.data_dir for worker in celery_backfill.services.workers]
    assert len(set(data_dirs)) == len(WORKERS)
    assert celery_backfill.services.data_dir not in data_dirs
    for data_dir in data_dirs:
        assert list(data_dir.rglob("*.jsonl")) == [], data_dir
    work = celery_backfill.landing / "work"
    runs = {p.name for p in work.glob("source=*/date=*/run=*")}
    assert runs == {f"run={safe_key(run['dag_run_id'])}" for run in celery_backfill.runs}, runs
    assert list(work.rglob("*.jsonl"))


def test_make_airflow_celery_refuses_a_sqlite_metadata_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIRE_"))}
    env.update(AIRFLOW_HOME=str(tmp_path / "home"), EXECUTOR="celery", VENV=str(VENV_BIN.parent))
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-services.sh"), "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "needs a PostgreSQL metadata database" in done.stderr


def test_make_airflow_celery_starts_and_stops_its_workers(
    postgres_url: str, tmp_path: Path
) -> None:
    """`make airflow EXECUTOR=celery CELERY_WORKERS=2` against the machine's Redis: healthy once
    both workers consume the queue; `make airflow-stop` ends every process it started."""
    from airflow_services import free_port

    db_name = f"airflow_make_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    metadata_url = (
        sa.engine.make_url(postgres_url)
        .set(drivername="postgresql+psycopg", database=db_name, query={})
        .render_as_string(hide_password=False)
    )
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIRE_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        WIRE_DATA_DIR=str(tmp_path / "data"),
        AIRFLOW_PORT=str(free_port()),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=metadata_url,
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=f"wire_test_{uuid.uuid4().hex[:12]}",
        EXECUTOR="celery",
        CELERY_WORKERS="2",
        WIRE_CELERY_BROKER_URL=REDIS_URL,
        VENV=str(VENV_BIN.parent),
    )
    script = str(ROOT / "scripts" / "airflow-services.sh")
    pids: dict[str, int] = {}
    try:
        started = subprocess.run(
            ["bash", script, "start"], env=env, capture_output=True, text=True, timeout=400
        )
        assert started.returncode == 0, started.stdout + started.stderr
        for name in ("celery-worker-1", "celery-worker-2"):
            pids[name] = int((home / "run" / f"{name}.pid").read_text())
            os.kill(pids[name], 0)  # alive
            log = (home / "logs" / f"{name}.log").read_text(errors="replace")
            assert f"celery@{name} ready." in log or f"{name} ready." in log
        status = subprocess.run(
            ["bash", script, "status"], env=env, capture_output=True, text=True, timeout=120
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "celery-worker-2: running" in status.stdout
    finally:
        stopped = subprocess.run(
            ["bash", script, "stop"], env=env, capture_output=True, text=True, timeout=300
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()
    assert "stopped celery-worker-1" in stopped.stdout
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert list((home / "run").glob("*.pid")) == []
