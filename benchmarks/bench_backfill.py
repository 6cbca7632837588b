"""Backfill scale: 30 days of the local site into PostgreSQL through Airflow's own backfill.

`POST /api/v2/backfills` (what `make backfill` calls) on the real services, 4 runs at once and
core parallelism 4, LocalExecutor; the local site serves 240 articles a day from its
own process. Memory is sampled (psutil) on every task process the executor forks. The peer, in
the same invocation: the same stages in 4 plain processes (no orchestrator) over 8 of the days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.airflow_runs import (
    DAG_ID,
    RunTiming,
    TaskMemory,
    airflow,
    beijing_midnight,
    finished_runs,
    not_in_quick,
    serve_site,
)
from benchmarks.harness import Row, median, row, unavailable

FIGURE = "Backfill"
LAST_DAY = dt.date(2020, 12, 24)


def backfill(days: int, parallelism: int, warehouse_url: str, site_url: str) -> dict[str, Any]:
    """Backfill `days` days ending LAST_DAY; the runs' timings (oldest day first) and memory."""
    from benchmarks.day import postgres_base_url

    first_day = LAST_DAY - dt.timedelta(days=days - 1)
    with (
        tempfile.TemporaryDirectory(prefix="wire-bench-backfill-") as tmp,
        airflow(
            postgres_url=postgres_base_url(),
            site_url=site_url,
            warehouse_url=warehouse_url,
            workdir=Path(tmp),
            fetch_pool_slots=parallelism,
        ) as services,
        TaskMemory() as memory,
    ):
        began = time.perf_counter()
        services.post(
            "backfills",
            {
                "dag_id": DAG_ID,
                "from_date": beijing_midnight(first_day),
                "to_date": beijing_midnight(LAST_DAY),
                "max_active_runs": parallelism,
                "reprocess_behavior": "none",
            },
        )
        deadline = time.monotonic() + 120
        run_ids: set[str] = set()
        while len(run_ids) < days and time.monotonic() < deadline:
            run_ids = {
                r["dag_run_id"] for r in services.dag_runs() if r.get("run_type") == "backfill"
            }
            time.sleep(1)
        runs = finished_runs(services, run_ids, timeout=1800)
        wall = time.perf_counter() - began
    return {"wall_seconds": wall, "runs": runs, "memory": memory}


def _plain_day(job: tuple[str, str, str, str]) -> tuple[float, float, int]:
    """One day in a plain worker process: (start, end) wall clock and its articles."""
    from benchmarks.day import timed_day

    site_url, day, warehouse_url, data_dir = job
    began = time.time()
    result = timed_day(
        base_url=site_url,
        day=dt.date.fromisoformat(day),
        warehouse_url=warehouse_url,
        data_dir=Path(data_dir),
        run_id=f"plain__{day}",
    )
    return began, time.time(), int(result["summary"].get("discovered", 0))


def _warm_worker() -> None:
    from wire_ingest.quality import validation

    validation.import_gx()  # a long-lived worker pays it once, before its first day


def plain_processes(
    days: list[dt.date], processes: int, warehouse_url: str, site_url: str
) -> dict[str, float]:
    """The peer: the same stages of `days` in `processes` plain processes (forked, GX imported
    before the clock starts), each taking the next day as it finishes one, like Airflow's
    backfill with that many runs at once. Articles/s from the first day's start to the last end."""
    import multiprocessing

    with tempfile.TemporaryDirectory(prefix="wire-bench-plain-") as tmp:
        jobs = [(site_url, day.isoformat(), warehouse_url, tmp) for day in days]
        with multiprocessing.get_context("fork").Pool(processes, initializer=_warm_worker) as pool:
            done = pool.map(_plain_day, jobs, chunksize=1)
    span = max(end for _, end, _ in done) - min(start for start, _, _ in done)
    articles = sum(n for _, _, n in done)
    return {"articles": articles, "span_seconds": span, "articles_per_second": articles / span}


def _articles(run: RunTiming) -> int:
    return int(run.summary.get("discovered", 0))


def _work_ms(run: RunTiming) -> float:
    """Milliseconds of pipeline work per article of the run (the steps' own seconds)."""
    return 1000 * run.work / max(_articles(run), 1)


def _table_ms(run: RunTiming) -> float:
    """The same for the stages that read or write the warehouse table (dedupe, load)."""
    dedupe = float(run.tasks["parse_dedupe"].returned.get("dedupe_seconds", 0.0))
    seconds = dedupe + run.tasks["load"].step_seconds
    return 1000 * seconds / max(_articles(run), 1)


def run(quick: bool) -> dict[str, Any]:
    from benchmarks.day import postgres_base_url, postgres_schema

    if quick:
        return not_in_quick(FIGURE, "30 days through the scheduler's backfill", "about 4 minutes")
    days, parallelism, per_day = 30, 4, 240
    with contextlib.ExitStack() as stack:
        try:
            warehouse_url = stack.enter_context(postgres_schema())
        except Exception as exc:  # no server: say so instead of measuring something else
            why = f"no PostgreSQL at {postgres_base_url()}: {exc}"[:300]
            return {"rows": [unavailable(FIGURE, "articles/s into PostgreSQL", why).to_dict()]}
        plain_warehouse_url = stack.enter_context(postgres_schema())
        first_day = LAST_DAY - dt.timedelta(days=days - 1)
        site_url = stack.enter_context(serve_site(first_day, LAST_DAY, per_day=per_day))
        result = backfill(days, parallelism, warehouse_url, site_url)
        # the peer: every 4th day (8 of the 30, old and recent alike) in 4 plain processes
        plain_days = [first_day + dt.timedelta(days=i) for i in range(1, days, 4)]
        plain = plain_processes(plain_days, parallelism, plain_warehouse_url, site_url)

    runs: list[RunTiming] = sorted(result["runs"], key=lambda r: r.run_id)  # ids carry the day
    memory: TaskMemory = result["memory"]
    articles = sum(_articles(r) for r in runs)
    loaded = sum(int(r.summary.get("loaded", 0)) for r in runs)
    span = (max(r.end for r in runs) - min(r.start for r in runs)).total_seconds()
    first, last = runs[:4], runs[-4:]
    rows: list[Row] = [
        row(
            FIGURE,
            f"articles/s end to end, {days} days, parallelism {parallelism}, PostgreSQL",
            articles / span,
            "articles/s",
            peer=f"the same stages in {parallelism} plain processes",
            peer_value=plain["articles_per_second"],
            note=(
                f"{articles:,} articles ({loaded:,} loaded) in {span:.0f} s from the first run's "
                f"start to the last run's end ({result['wall_seconds']:.0f} s from the backfill "
                f"request); Airflow's backfill, {parallelism} runs at once, "
                "LocalExecutor with core parallelism 4; peer: no orchestrator, "
                f"{len(plain_days)} of the days ({plain['articles']:,} articles in "
                f"{plain['span_seconds']:.0f} s), each process taking the next day"
            ),
        ),
        row(
            FIGURE,
            "peak memory of any task process (max RSS)",
            memory.peak_mb,
            "MB",
            note=(
                f"target < 500 MB; {memory.samples} task processes sampled every 0.2 s; RSS "
                f"counts the libraries shared with the worker (copy-on-write), the "
                f"largest process's own memory (USS) peaked at {memory.peak_uss_mb:.0f} MB"
            ),
        ),
        row(
            FIGURE,
            f"ms of work per article, last 4 days (table holds ~{days - 4} days)",
            median(_work_ms(r) for r in last),
            "ms",
            peer="first 4 days (empty table)",
            peer_value=median(_work_ms(r) for r in first),
            note=(
                f"dedupe+load only: {median(_table_ms(r) for r in last):.2f} vs "
                f"{median(_table_ms(r) for r in first):.2f} ms; day {days}: "
                f"{_work_ms(runs[-1]):.2f} ms, day 1: {_work_ms(runs[0]):.2f} ms "
                "(day 1 also walks the deepest listing); 1 = flat as the table grows"
            ),
        ),
    ]
    return {
        "rows": [r.to_dict() for r in rows],
        "days": days,
        "parallelism": parallelism,
        "wall_seconds": result["wall_seconds"],
        "span_seconds": span,
        "articles": articles,
        "loaded": loaded,
        "plain_processes": plain,
        "peak_rss_mb": memory.peak_mb,
        "peak_uss_mb": memory.peak_uss_mb,
        "per_day": [
            {
                "run_id": r.run_id,
                "wall": round(r.wall, 3),
                "work": round(r.work, 3),
                "discovered": _articles(r),
                "work_ms_per_article": round(_work_ms(r), 3),
                "table_ms_per_article": round(_table_ms(r), 3),
            }
            for r in runs
        ],
    }
