"""What distribution costs on one machine: a day and a 3-day backfill through CeleryExecutor (two
workers, the machine's Redis) next to the stock LocalExecutor, and Celery's worker-side preloading.

Three throwaway Airflows in one invocation, on the same local site (its own process, rate limit
off): LocalExecutor (the default); CeleryExecutor with two `airflow celery worker` processes and
the project's worker hook (`wire_ingest.airflow.celery_worker`: GX and the pipeline imported once
per worker); the same without the hook (Airflow's own Celery settings). In each: a warm-up run,
then two days one at a time; in the first two also a backfill of three more days, 3 runs at once.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.airflow_runs import (
    DAG_ID,
    TASKS,
    RunTiming,
    airflow,
    beijing_midnight,
    finished_runs,
    not_in_quick,
    run_day,
    serve_site,
    services_missing,
)
from benchmarks.day import postgres_base_url
from benchmarks.harness import median, row

FIGURE = "Scaling out"
FIRST_DAY = dt.date(2020, 12, 20)  # the warm-up day
DAYS = [dt.date(2020, 12, 21), dt.date(2020, 12, 22)]  # measured one at a time
BACKFILL = (dt.date(2020, 12, 23), dt.date(2020, 12, 25))  # 3 days, 3 runs at once
WORKERS = 2


def _backfill(services: Any) -> tuple[float, int]:
    """Airflow's backfill of BACKFILL, 3 runs at once: (first start to last end s, articles)."""
    services.post(
        "backfills",
        {
            "dag_id": DAG_ID,
            "from_date": beijing_midnight(BACKFILL[0]),
            "to_date": beijing_midnight(BACKFILL[1]),
            "max_active_runs": 3,
            "reprocess_behavior": "none",
        },
    )
    deadline = time.monotonic() + 120
    run_ids: set[str] = set()
    while len(run_ids) < 3 and time.monotonic() < deadline:
        run_ids = {r["dag_run_id"] for r in services.dag_runs() if r["run_type"] == "backfill"}
        time.sleep(1)
    runs = finished_runs(services, run_ids, timeout=900)
    span = (max(r.end for r in runs) - min(r.start for r in runs)).total_seconds()
    return span, sum(int(r.summary.get("discovered", 0)) for r in runs)


def _preload_seconds(services: Any) -> list[float]:
    """What each worker's hook logged: `preloaded the wire_ingest pipeline and GX in N s`."""
    found = []
    for worker in services.workers:
        text = worker.log.read_text(errors="replace") if worker.log.exists() else ""
        found += [float(s) for s in re.findall(r"pipeline and GX in ([\d.]+) s", text)]
    return found


def _setup(
    site_url: str, workdir: Path, *, workers: int, preload: bool, backfill: bool
) -> dict[str, Any]:
    began = time.perf_counter()
    with airflow(
        postgres_url=postgres_base_url(),
        site_url=site_url,
        warehouse_url=f"sqlite:///{workdir / 'warehouse.db'}",
        workdir=workdir,
        executor=None if workers else "LocalExecutor",
        celery_workers=workers,
        celery_preload=preload,
    ) as services:
        started = time.perf_counter() - began
        run_day(services, FIRST_DAY)
        runs = [run_day(services, day) for day in DAYS]
        span, articles = _backfill(services) if backfill else (0.0, 0)
        return {
            "runs": runs,
            "started": started,
            "backfill_seconds": span,
            "backfill_articles": articles,
            "preload_seconds": _preload_seconds(services),
        }


def _task(runs: list[RunTiming], task: str) -> float:
    return median(r.tasks[task].seconds for r in runs)


def _hand_offs(runs: list[RunTiming]) -> float:
    """Median seconds of a run when none of its tasks ran, per hand-off (queueing, scheduling)."""
    return median(max(r.wall - r.in_tasks, 0.0) / (len(TASKS) + 1) for r in runs)


def run(quick: bool) -> dict[str, Any]:
    measure = "CeleryExecutor vs LocalExecutor"
    if quick:
        return not_in_quick(FIGURE, measure, "about 5 minutes: three service starts")
    if missing := services_missing(FIGURE, measure, redis=True):
        return missing

    with (
        tempfile.TemporaryDirectory(prefix="wire-bench-celery-") as tmp,
        serve_site(FIRST_DAY, BACKFILL[1]) as site_url,
    ):
        root = Path(tmp)
        local = _setup(site_url, root / "local", workers=0, preload=False, backfill=True)
        celery = _setup(site_url, root / "celery", workers=WORKERS, preload=True, backfill=True)
        bare = _setup(site_url, root / "bare", workers=WORKERS, preload=False, backfill=False)

    local_wall = median(r.wall for r in local["runs"])
    celery_wall = median(r.wall for r in celery["runs"])
    bare_wall = median(r.wall for r in bare["runs"])
    per_task = ", ".join(
        f"{t} {_task(celery['runs'], t):.2f}s vs {_task(local['runs'], t):.2f}s" for t in TASKS
    )
    preload = celery["preload_seconds"]
    rows = [
        row(
            FIGURE,
            f"a day, rate limit off: wall time, CeleryExecutor ({WORKERS} workers, Redis) vs LocalExecutor",
            celery_wall,
            "s",
            peer="LocalExecutor",
            peer_value=local_wall,
            note=(
                f"median of {len(DAYS)} runs after a warm-up run, one at a time; per task, "
                f"Celery vs Local: {per_task}; per hand-off {_hand_offs(celery['runs']):.2f} s vs "
                f"{_hand_offs(local['runs']):.2f} s; services (+ workers) ready in "
                f"{celery['started']:.0f} s vs {local['started']:.0f} s; PostgreSQL metadata"
            ),
        ),
        row(
            FIGURE,
            "backfill of 3 days, 3 runs at once: first run's start to last run's end",
            celery["backfill_seconds"],
            "s",
            peer="LocalExecutor",
            peer_value=local["backfill_seconds"],
            note=(
                f"{celery['backfill_articles']} articles; Celery: {WORKERS} workers x concurrency "
                "2, LocalExecutor: parallelism 4; Airflow's backfill (what `make backfill` calls)"
            ),
        ),
        row(
            FIGURE,
            "Celery worker-side preloading: a day's validate task, with the worker hook vs without",
            _task(celery["runs"], "validate"),
            "s",
            peer="without the hook",
            peer_value=_task(bare["runs"], "validate"),
            note=(
                f"run wall time {celery_wall:.2f} s vs {bare_wall:.2f} s; the hook's one-off cost "
                f"per worker at start: {', '.join(f'{s:.1f} s' for s in preload) or '?'} "
                "(GX and the pipeline imported before the worker forks its pool)"
            ),
        ),
    ]
    return {
        "rows": [r.to_dict() for r in rows],
        "local_walls": [round(r.wall, 3) for r in local["runs"]],
        "celery_walls": [round(r.wall, 3) for r in celery["runs"]],
        "celery_without_hook_walls": [round(r.wall, 3) for r in bare["runs"]],
        "preload_seconds": preload,
    }
