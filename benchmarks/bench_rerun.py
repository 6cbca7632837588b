"""Re-run cost: a second run of an already loaded day, in requests and seconds, against the first."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.day import timed_day
from benchmarks.harness import Row, median, row

FIGURE = "Re-run of a loaded day"
DAY = dt.date(2020, 12, 23)


def _status_counts(log: list[tuple[str, str, int]]) -> dict[str, int]:
    return {str(status): count for status, count in sorted(Counter(s for _m, _p, s in log).items())}


def measure_pair(running: Any, work_dir: Path) -> dict[str, Any]:
    """First and second run of DAY into a fresh SQLite warehouse: requests, statuses, seconds."""
    warehouse = f"sqlite:///{work_dir / 'warehouse.db'}"
    runs: list[dict[str, Any]] = []
    for attempt in ("first", "second"):
        running.clear_request_log()
        day = timed_day(
            base_url=running.base_url,
            day=DAY,
            warehouse_url=warehouse,
            data_dir=work_dir,
            run_id=f"bench_rerun_{attempt}",
        )
        log = running.request_log
        runs.append(
            {
                "requests": len(log),
                "statuses": _status_counts(log),
                "seconds": sum(day["seconds"].values()),
                "stage_seconds": day["seconds"],
                "summary": day["summary"],
            }
        )
    return {"first": runs[0], "second": runs[1]}


def run(quick: bool) -> dict[str, Any]:
    from wire_ingest.quality import validation
    from wiresim.generate import build_site
    from wiresim.server import start_in_thread

    validation.import_gx()  # start-up cost, not re-run cost
    repeats = 1 if quick else 3
    per_day = 60 if quick else 240  # articles a day (240: the site's default)
    site = build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), per_day=per_day)
    pairs: list[dict[str, Any]] = []
    with start_in_thread(site) as running, tempfile.TemporaryDirectory() as tmp:
        measure_pair(running, Path(tmp) / "warm-up")  # first-call costs out of the timings
        for index in range(repeats):
            pairs.append(measure_pair(running, Path(tmp) / f"pair-{index}"))

    first_s = median(p["first"]["seconds"] for p in pairs)
    second_s = median(p["second"]["seconds"] for p in pairs)
    first, second = pairs[-1]["first"], pairs[-1]["second"]
    second_changes = second["summary"].get("inserted", 0) + second["summary"].get("updated", 0)
    rows: list[Row] = [
        row(
            FIGURE,
            "requests of the second run",
            second["requests"],
            "requests",
            peer="first run",
            peer_value=first["requests"],
            note=(
                f"HTTP statuses second {second['statuses']}, first {first['statuses']}; "
                f"rows inserted/updated by the second run: {second_changes}"
            ),
        ),
        row(
            FIGURE,
            "seconds of the second run (all stages, in-process, rate limit off)",
            second_s,
            "s",
            peer="first run",
            peer_value=first_s,
            note=f"median of {repeats} pairs; {first['summary'].get('discovered', 0)} articles",
        ),
    ]
    return {"rows": [r.to_dict() for r in rows], "pairs": pairs}
