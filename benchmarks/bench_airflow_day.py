"""A day end to end in real Airflow: wall time per task, and start-up and orchestration vs the work.

The headline run is the production path: scheduler + dag-processor + api-server, Airflow's
LocalExecutor (scripts/airflow-env.sh's default), a run triggered for one day of the local site
with the rate limit off. Each task's work is the pipeline step's own seconds (its XCom `step_seconds`); the rest
of a task's time is Airflow's start-up and bookkeeping; the time between tasks is scheduling.
Peers, in the same invocation: the same stages in one plain process and `airflow dags test` (what
`make demo` runs). CeleryExecutor against LocalExecutor: benchmarks/bench_celery.py.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.airflow_runs import (
    TASKS,
    RunTiming,
    airflow,
    not_in_quick,
    run_day,
    serve_site,
    services_missing,
)
from benchmarks.day import STAGES, postgres_base_url, timed_day
from benchmarks.harness import Row, median, row

FIGURE = "A day in Airflow"
ROOT = Path(__file__).resolve().parents[1]
FIRST_DAY = dt.date(2020, 12, 20)  # the warm-up day; the measured days follow it
DEMO_DAY = dt.date(2020, 12, 23)


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    env.pop("AIRFLOW_HOME", None)
    env.update(AIRFLOW_HOME=str(home), VENV=str(Path(sys.executable).parents[1]))
    env["GX_ANALYTICS_ENABLED"] = "False"
    return env


def dags_test(site_url: str, workdir: Path) -> tuple[float, float, str]:
    """`airflow dags test wire_ingest DEMO_DAY` in a fresh home: (wall s, home set-up s, note)."""
    env = _clean_env(workdir / "home")
    began = time.perf_counter()
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-init.sh")],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    init_seconds = time.perf_counter() - began
    data_dir = workdir / "dags-test"
    data_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        AIRFLOW_VAR_WIRE_BASE_URL=site_url,
        AIRFLOW_CONN_WIRE_WAREHOUSE=f"sqlite:///{data_dir / 'warehouse.db'}",
        WIRE_DATA_DIR=str(data_dir),
        WIRE_MAX_RPS="0",
    )
    began = time.perf_counter()
    proc = subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "airflow.sh"),
            "dags",
            "test",
            "wire_ingest",
            str(DEMO_DAY),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=str(ROOT),
    )
    seconds = time.perf_counter() - began
    log = proc.stdout + proc.stderr
    if "DagRun Finished: dag_id=wire_ingest" in log and "state=success" in log:
        note = "" if proc.returncode == 0 else f"CLI exited {proc.returncode} after the run"
        return seconds, init_seconds, note
    kept = Path(tempfile.gettempdir()) / "wire-bench-dags-test.log"
    kept.write_text(log)
    raise RuntimeError(f"airflow dags test failed (log: {kept})")


def command_seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - began


def scheduler_runs(
    *, site_url: str, workdir: Path, days: list[dt.date], executor: str | None
) -> tuple[list[RunTiming], float]:
    """A warm-up run, then one run per day, one at a time; (measured runs, services start-up s)."""
    began = time.perf_counter()
    with airflow(
        postgres_url=postgres_base_url(),
        site_url=site_url,
        warehouse_url=f"sqlite:///{workdir / 'warehouse.db'}",
        workdir=workdir,
        executor=executor,
    ) as services:
        started = time.perf_counter() - began
        run_day(services, FIRST_DAY)  # first fork of each worker, first metadata rows
        return [run_day(services, day) for day in days], started


def _per_task(runs: list[RunTiming]) -> dict[str, float]:
    return {task: median(r.tasks[task].seconds for r in runs) for task in TASKS}


def _gaps(run: RunTiming) -> float:
    """Seconds of the run when no task of it was running: scheduling and queueing."""
    return max(run.wall - run.in_tasks, 0.0)


def run(quick: bool) -> dict[str, Any]:
    from wire_ingest.quality import validation

    if quick:
        return not_in_quick(
            FIGURE, "a day through the scheduler", "about 3 minutes: a service start"
        )
    if missing := services_missing(FIGURE, "a day through the scheduler"):
        return missing

    days = [FIRST_DAY + dt.timedelta(days=i) for i in (1, 2, 3)]
    python = sys.executable
    gx_import = median(
        command_seconds([python, "-c", "import great_expectations"]) for _ in range(2)
    )
    airflow_import = median(command_seconds([python, "-c", "import airflow"]) for _ in range(2))
    validation.import_gx()
    with (
        tempfile.TemporaryDirectory(prefix="wire-bench-airflow-") as tmp,
        serve_site(FIRST_DAY, days[-1] + dt.timedelta(days=1)) as site_url,
    ):
        work_root = Path(tmp)
        local_runs, _started = scheduler_runs(
            site_url=site_url, workdir=work_root / "local", days=days, executor=None
        )
        # The same stages in this process (GX already imported), a warm-up day first.
        in_process = [
            timed_day(
                base_url=site_url,
                day=day,
                warehouse_url=f"sqlite:///{work_root / 'inproc' / 'warehouse.db'}",
                data_dir=work_root / "inproc",
            )
            for day in [FIRST_DAY, *days]
        ][1:]
        demo_seconds, init_seconds, demo_note = dags_test(site_url, work_root / "demo")
        cli_seconds = command_seconds(
            ["bash", str(ROOT / "scripts" / "airflow.sh"), "version"],
            env=_clean_env(work_root / "demo" / "home"),
        )

    wall = median(r.wall for r in local_runs)
    work_in_airflow = median(r.work for r in local_runs)
    in_tasks = median(r.in_tasks for r in local_runs)
    gaps = median(_gaps(r) for r in local_runs)
    stages = {stage: median(r["seconds"][stage] for r in in_process) for stage in STAGES}
    work_in_process = sum(stages.values())
    articles = int(local_runs[-1].summary.get("discovered", 0))
    per_task = _per_task(local_runs)
    per_task_text = ", ".join(f"{t} {s:.2f}s" for t, s in per_task.items())
    rows: list[Row] = [
        row(
            FIGURE,
            f"scheduler run, one day ({articles} articles), rate limit off: wall time",
            wall,
            "s",
            peer="the same stages in one process",
            peer_value=work_in_process,
            note=(
                f"median of {len(local_runs)} runs (after a warm-up run); per task: {per_task_text}; "
                "scheduler + dag-processor + api-server, LocalExecutor, PostgreSQL metadata"
            ),
        ),
        row(
            FIGURE,
            "share of the run that is the work (the steps' own seconds inside the tasks)",
            100 * work_in_airflow / wall,
            "%",
            note=(
                f"work {work_in_airflow:.2f} s of {wall:.2f} s; Airflow start-up and bookkeeping "
                f"inside the {len(TASKS)} tasks {in_tasks - work_in_airflow:.2f} s (fork, DAG "
                f"parse, XCom and state calls; the validate task's GX import), between tasks "
                f"{gaps:.2f} s (scheduling); target: the work dominates (over half)"
            ),
        ),
        row(
            FIGURE,
            "the work vs Airflow's start-up and bookkeeping inside the tasks",
            work_in_airflow,
            "s",
            peer="start-up and bookkeeping inside the tasks",
            peer_value=in_tasks - work_in_airflow,
            note=(
                f"{(in_tasks - work_in_airflow) / len(TASKS):.2f} s per task; scheduling "
                f"{gaps / (len(TASKS) + 1):.2f} s per hand-off (run start, between tasks, run "
                "end; scheduler idle sleep 0.25 s); ratio above 1: the work dominates the "
                "tasks' time"
            ),
        ),
        row(
            FIGURE,
            "`airflow dags test` (what `make demo` runs), one day: wall time",
            demo_seconds,
            "s",
            peer="the same stages in one process",
            peer_value=work_in_process,
            note=(
                f"one CLI process: Airflow and GX start-up in every call (one `airflow` CLI "
                f"call {cli_seconds:.1f} s, GX import {gx_import:.1f} s); `airflow db migrate` "
                f"+ pool once per home {init_seconds:.0f} s"
                + (f"; {demo_note}" if demo_note else "")
            ),
        ),
        row(
            FIGURE,
            "start-up costs: GX import / Airflow import in a new process",
            gx_import,
            "s",
            peer="import airflow",
            peer_value=airflow_import,
            note=(
                "GX: paid by LocalExecutor's validate task, once per Celery worker with the "
                "project's worker hook (bench_celery)"
            ),
        ),
    ]
    return {
        "rows": [r.to_dict() for r in rows],
        "local_runs": [_run_dict(r) for r in local_runs],
        "in_process_stage_seconds": stages,
        "dags_test_seconds": demo_seconds,
        "gx_import_seconds": gx_import,
        "airflow_import_seconds": airflow_import,
        "airflow_cli_seconds": cli_seconds,
        "airflow_init_seconds": init_seconds,
    }


def _run_dict(run: RunTiming) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "wall": round(run.wall, 3),
        "in_tasks": round(run.in_tasks, 3),
        "work": round(run.work, 3),
        "tasks": {
            t.task_id: {"seconds": round(t.seconds, 3), "step_seconds": t.step_seconds}
            for t in run.tasks.values()
        },
    }
