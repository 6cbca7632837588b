"""Backfill scale: 30 days of the local site into PostgreSQL by 4 parallel worker processes.

Each worker process runs whole days with `benchmarks.day.timed_day` (the DAG's stage functions,
without Airflow), the way 4 Airflow worker slots would; the site is served by its own process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, median, row, unavailable

FIGURE = "Backfill"
LAST_DAY = dt.date(2020, 12, 24)


def _warm_worker() -> None:
    from wire_ingest import validate

    validate._import_gx()  # once per worker process, like a warm Airflow worker slot


def _one_day(job: tuple[str, str, str, str]) -> dict[str, Any]:
    base_url, day, warehouse_url, data_dir = job
    from benchmarks.day import timed_day

    began = time.perf_counter()
    result = timed_day(
        base_url=base_url,
        day=dt.date.fromisoformat(day),
        warehouse_url=warehouse_url,
        data_dir=Path(data_dir),
        run_id=f"bench_backfill_{day}",
    )
    result["wall_seconds"] = time.perf_counter() - began
    result["day"] = day
    result["pid"] = os.getpid()
    # Linux reports ru_maxrss in KiB: the peak resident set of this worker process so far.
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _serve_site(start: dt.date, end: dt.date, ready: Path, per_day: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wire_ingest.wiresim.server",
            "--port",
            "0",
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--ready-file",
            str(ready),
            "--per-day",
            str(per_day),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError("the local wire site did not start")
        time.sleep(0.1)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def backfill(days: int, parallelism: int, warehouse_url: str, per_day: int) -> dict[str, Any]:
    """Load `days` days ending LAST_DAY with `parallelism` worker processes, oldest day first."""
    first_day = LAST_DAY - dt.timedelta(days=days - 1)
    with tempfile.TemporaryDirectory(prefix="wire-bench-backfill-") as tmp:
        site = _serve_site(first_day, LAST_DAY, Path(tmp) / "site.url", per_day)
        try:
            base_url = (Path(tmp) / "site.url").read_text().strip()
            jobs = [
                (base_url, (first_day + dt.timedelta(days=i)).isoformat(), warehouse_url, tmp)
                for i in range(days)
            ]
            context = multiprocessing.get_context("spawn")
            began = time.perf_counter()
            with context.Pool(parallelism, initializer=_warm_worker) as pool:
                results = list(pool.imap(_one_day, jobs))  # in day order: the table grows
            wall = time.perf_counter() - began
        finally:
            _stop(site)
    return {"wall_seconds": wall, "days": results}


def run(quick: bool) -> dict[str, Any]:
    from benchmarks.day import postgres_base_url, postgres_schema

    days, parallelism, per_day = (2, 2, 60) if quick else (30, 4, 240)
    with contextlib.ExitStack() as stack:
        try:
            warehouse_url = stack.enter_context(postgres_schema())
        except Exception as exc:  # no server: say so instead of measuring something else
            why = f"no PostgreSQL at {postgres_base_url()}: {exc}"[:300]
            return {"rows": [unavailable(FIGURE, "articles/s into PostgreSQL", why).to_dict()]}
        result = backfill(days, parallelism, warehouse_url, per_day)

    per_day = result["days"]
    articles = sum(d["summary"].get("discovered", 0) for d in per_day)
    loaded = sum(d["summary"].get("loaded", 0) for d in per_day)
    peak = max(d["max_rss_mb"] for d in per_day)
    first, last = per_day[0], per_day[-1]

    def per_article_ms(day: dict[str, Any]) -> float:
        return 1000 * sum(day["seconds"].values()) / max(day["summary"].get("discovered", 1), 1)

    def _median_ms(days_: list[dict[str, Any]]) -> float:
        return median(per_article_ms(d) for d in days_)

    def table_ms(day: dict[str, Any]) -> float:  # the stages that read or write the warehouse
        seconds = day["seconds"]["dedupe"] + day["seconds"]["load"]
        return 1000 * seconds / max(day["summary"].get("discovered", 1), 1)

    label = f"{days} days"
    rows: list[Row] = [
        row(
            FIGURE,
            f"articles/s end to end, {label}, parallelism {parallelism}, PostgreSQL",
            articles / result["wall_seconds"],
            "articles/s",
            note=(
                f"{articles:,} articles ({loaded:,} loaded) in {result['wall_seconds']:.0f} s; "
                f"{parallelism} worker processes (multiprocessing) running the DAG's stage "
                "functions, not Airflow's scheduler; GX imported once per worker"
            ),
        ),
        row(
            FIGURE,
            "peak memory of any worker process (max RSS)",
            peak,
            "MB",
            note="target < 500 MB; worker processes are reused across days, so this is their high-water mark",
        ),
        row(
            FIGURE,
            f"ms per article, day {days} (table holds ~{days - 1} days)",
            per_article_ms(last),
            "ms",
            peer="day 1 (empty table)",
            peer_value=per_article_ms(first),
            note=(
                f"dedupe+load only: {table_ms(last):.2f} vs {table_ms(first):.2f} ms; "
                + (
                    f"median of the last 4 days {_median_ms(per_day[-4:]):.2f} vs first 4 "
                    f"{_median_ms(per_day[:4]):.2f} ms; "
                    if days >= 8
                    else ""
                )
                + "day 1 also walks the deepest listing"
            ),
        ),
    ]
    return {
        "rows": [r.to_dict() for r in rows],
        "days": days,
        "parallelism": parallelism,
        "wall_seconds": result["wall_seconds"],
        "wall_includes": "worker start-up (spawn + GX import) and the site's own process start",
        "articles": articles,
        "loaded": loaded,
        "peak_rss_mb": peak,
        "per_day": [
            {
                "day": d["day"],
                "pid": d["pid"],
                "seconds": d["seconds"],
                "wall_seconds": d["wall_seconds"],
                "discovered": d["summary"].get("discovered", 0),
                "max_rss_mb": d["max_rss_mb"],
            }
            for d in per_day
        ],
    }
