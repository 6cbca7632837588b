"""Runs of the wire_ingest DAG through the real Airflow services, timed from Airflow's own records."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.day import postgres_base_url
from benchmarks.harness import Row, unavailable
from tests.integration.airflow_services import AirflowServices, running_airflow

DAG_ID = "wire_ingest"
# The Celery benchmarks' broker; they send to a queue of their own (others may share the database).
REDIS_URL = os.environ.get("WIRE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
TASKS = ("discover", "fetch", "parse_dedupe", "validate", "load")
BEIJING = dt.timezone(dt.timedelta(hours=8))


def not_in_quick(figure: str, measure: str, how_long: str) -> dict[str, Any]:
    """The result of a benchmark that `--quick` leaves out: one row saying so and why."""
    return {"rows": [Row(figure, measure, None, note=f"not in --quick ({how_long})").to_dict()]}


def services_missing(figure: str, measure: str, *, redis: bool = False) -> dict[str, Any] | None:
    """None when the services' PostgreSQL (and with `redis`, the Celery broker) answer; else the
    result that says which is missing instead of measuring something else."""
    import sqlalchemy as sa

    try:
        sa.create_engine(postgres_base_url()).connect().close()
    except Exception as exc:
        why = f"no PostgreSQL at {postgres_base_url()} for Airflow's metadata: {exc}"
        return {"rows": [unavailable(figure, measure, why[:300]).to_dict()]}
    if redis:
        import redis as redis_client

        try:
            redis_client.Redis.from_url(REDIS_URL).ping()
        except Exception as exc:
            why = f"no Redis at {REDIS_URL} (WIRE_BENCH_REDIS_URL) for Celery: {exc}"
            return {"rows": [unavailable(figure, measure, why[:300]).to_dict()]}
    return None


@contextlib.contextmanager
def serve_site(start: dt.date, end: dt.date, *, per_day: int = 240) -> Iterator[str]:
    """The local wire site in its own process (not competing for this one's GIL); yields its URL."""
    with tempfile.TemporaryDirectory(prefix="wire-bench-site-") as tmp:
        ready = Path(tmp) / "site.url"
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "wiresim.server", "--port", "0"),
                *("--start", start.isoformat(), "--end", end.isoformat()),
                *("--ready-file", str(ready), "--per-day", str(per_day)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not (ready.exists() and ready.read_text().strip()):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local wire site did not start")
                time.sleep(0.1)
            yield ready.read_text().strip()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@contextlib.contextmanager
def airflow(
    *,
    postgres_url: str,
    site_url: str,
    warehouse_url: str,
    workdir: Path,
    executor: str | None = None,
    fetch_pool_slots: int = 4,
    celery_workers: int = 0,
    celery_preload: bool = True,
) -> Iterator[AirflowServices]:
    """Scheduler, dag-processor and api-server on a throwaway PostgreSQL metadata database,
    configured as scripts/airflow-env.sh configures them (or with another `executor`);
    the DAG unpaused, its daily schedule off (the benchmark starts every run).
    `celery_workers`: CeleryExecutor on the Redis at WIRE_BENCH_REDIS_URL with that many workers
    (each its own data folder), with or without the project's worker hook (`celery_preload`)."""
    extra = {"WIRE_TASK_RETRIES": "0", "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30"}
    if executor:
        extra["AIRFLOW__CORE__EXECUTOR"] = executor
    if celery_workers:
        # each worker its own WIRE_DATA_DIR; the landing store is the one folder all see
        extra["WIRE_LANDING_URL"] = (workdir / "landing-store").as_uri()
    if celery_workers and not celery_preload:
        # Airflow's own Celery settings: no worker hook, every task imports what it needs
        extra["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] = (
            "airflow.providers.celery.executors.default_celery.DEFAULT_CELERY_CONFIG"
        )
    with running_airflow(
        admin_url=postgres_url,
        workdir=workdir,
        base_url=site_url,
        warehouse_url=warehouse_url,
        extra_env=extra,
        fetch_pool_slots=fetch_pool_slots,
        celery_broker_url=REDIS_URL if celery_workers else None,
        celery_workers=[f"wire-bench-{i}" for i in range(1, celery_workers + 1)],
        shared_data_dir=not celery_workers,
    ) as services:
        services.set_paused(False)
        yield services


def beijing_midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(), BEIJING).isoformat()


def trigger(services: AirflowServices, day: dt.date) -> str:
    """A manual run covering `day`; returns its run id."""
    run = services.post(
        f"dags/{DAG_ID}/dagRuns",
        {"logical_date": beijing_midnight(day), "dag_run_id": f"bench__{day}__{time.time_ns()}"},
    )
    return str(run["dag_run_id"])


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class TaskTiming:
    task_id: str
    state: str
    queued: dt.datetime | None
    start: dt.datetime | None
    end: dt.datetime | None
    step_seconds: float  # the pipeline step's own wall time (its XCom)
    returned: Mapping[str, Any] = field(default_factory=dict)  # the task's whole XCom

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds() if self.start and self.end else 0.0


@dataclass(frozen=True)
class RunTiming:
    """One finished run: Airflow's timestamps for it and each task, and what `load` returned."""

    run_id: str
    state: str
    start: dt.datetime
    end: dt.datetime
    tasks: dict[str, TaskTiming]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return (self.end - self.start).total_seconds()

    @property
    def in_tasks(self) -> float:
        return sum(t.seconds for t in self.tasks.values())

    @property
    def work(self) -> float:
        return sum(t.step_seconds for t in self.tasks.values())


def run_timing(services: AirflowServices, run: Mapping[str, Any]) -> RunTiming:
    run_id = str(run["dag_run_id"])
    instances = services.get(f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", limit=100)
    tasks: dict[str, TaskTiming] = {}
    summary: dict[str, Any] = {}
    for ti in instances["task_instances"]:
        value: Any = {}
        if ti["state"] == "success":
            with contextlib.suppress(Exception):
                value = services.get(
                    f"dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}"
                    "/xcomEntries/return_value"
                )["value"]
        if ti["task_id"] == "load" and isinstance(value, dict):
            summary = value
        tasks[ti["task_id"]] = TaskTiming(
            task_id=ti["task_id"],
            state=str(ti["state"]),
            queued=_time(ti.get("queued_when")),
            start=_time(ti.get("start_date")),
            end=_time(ti.get("end_date")),
            step_seconds=float(value.get("step_seconds", 0.0)) if isinstance(value, dict) else 0.0,
            returned=value if isinstance(value, dict) else {},
        )
    start, end = _time(run.get("start_date")), _time(run.get("end_date"))
    if start is None or end is None:
        raise RuntimeError(f"run {run_id} has no start or end: {run}")
    return RunTiming(run_id, str(run["state"]), start, end, tasks, summary)


def finished_runs(services: AirflowServices, run_ids: set[str], timeout: float) -> list[RunTiming]:
    runs = services.wait_for_runs(run_ids, timeout=timeout)
    timings = [run_timing(services, run) for run in runs]
    failed = [t.run_id for t in timings if t.state != "success"]
    if failed:
        raise RuntimeError(f"runs failed: {failed}\n{services.logs()}")
    return sorted(timings, key=lambda t: t.start)


def run_day(services: AirflowServices, day: dt.date, timeout: float = 600) -> RunTiming:
    """Trigger one day and wait for it; its timings."""
    return finished_runs(services, {trigger(services, day)}, timeout)[0]


class TaskMemory:
    """Samples the resident memory of every process the Airflow services started (psutil), and
    keeps the high-water mark of the task processes: children of the LocalExecutor workers."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_rss: dict[int, tuple[str, float]] = {}  # pid -> (name, MB)
        self.peak_uss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TaskMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @staticmethod
    def _task_processes() -> list[Any]:
        import psutil

        found = []
        for proc in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                title = " ".join(proc.info["cmdline"] or [])
                if title.startswith("airflow worker -- LocalExecutor"):
                    found.extend(proc.children(recursive=True))
        return found

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            for proc in self._task_processes():
                with contextlib.suppress(psutil.Error):
                    rss = proc.memory_info().rss / 2**20
                    name, peak = self.peak_rss.get(proc.pid, ("", 0.0))
                    if rss > peak:
                        self.peak_rss[proc.pid] = (" ".join(proc.cmdline())[:120] or name, rss)
                    if rss > 200:  # the big ones: also what is theirs alone (not shared)
                        uss = proc.memory_full_info().uss / 2**20
                        self.peak_uss_mb = max(self.peak_uss_mb, uss)

    @property
    def peak_mb(self) -> float:
        return max((mb for _name, mb in self.peak_rss.values()), default=0.0)

    @property
    def samples(self) -> int:
        return len(self.peak_rss)
