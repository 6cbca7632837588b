"""Politeness: the request rate the site sees when 4 runs fetch at once, against the configured limit."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, row

FIGURE = "Politeness"
FIRST_DAY = dt.date(2020, 12, 21)
RUNS = 4


def _busiest_window(arrivals: list[float], window: float = 1.0) -> int:
    ordered = sorted(arrivals)
    return max(
        (sum(1 for t in ordered[i:] if t < start + window) for i, start in enumerate(ordered)),
        default=0,
    )


def run(quick: bool) -> dict[str, Any]:
    from wiresim.generate import build_site
    from wiresim.server import start_in_thread

    rate = 10.0 if quick else 5.0  # requests per second per host, the setting under test
    per_day = 20 if quick else 60
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(RUNS)]
    site = build_site(days[0], days[-1], per_day=per_day)
    wire_ingest = Path(sys.executable).parent / "wire-ingest"
    with start_in_thread(site) as running, tempfile.TemporaryDirectory() as tmp:
        warehouse = f"sqlite:///{Path(tmp) / 'warehouse.db'}"
        env = {**os.environ, "WIRE_DATA_DIR": tmp, "WIRE_MAX_RPS": str(rate)}
        procs = [
            subprocess.Popen(
                [
                    str(wire_ingest),
                    "run",
                    "--day",
                    day.isoformat(),
                    "--base-url",
                    running.base_url,
                    "--warehouse",
                    warehouse,
                    "--run-id",
                    f"bench_politeness_{day.isoformat()}",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for day in days
        ]
        errors = []
        for proc in procs:
            _out, err = proc.communicate(timeout=1800)
            if proc.returncode != 0:
                errors.append(err.strip().splitlines()[-1] if err.strip() else "failed")
        arrivals = [t for t, _path in running.arrivals]
    if errors:
        raise RuntimeError(f"{len(errors)} of {RUNS} runs failed: {errors[0]}")
    span = max(arrivals) - min(arrivals)
    mean_rate = (len(arrivals) - 1) / span if span > 0 else float(len(arrivals))
    busiest = _busiest_window(arrivals)
    rows: list[Row] = [
        row(
            FIGURE,
            f"requests/s seen by the site, {RUNS} runs at once (mean over the busy period)",
            round(mean_rate, 2),
            "req/s",
            peer="configured per-host limit",
            peer_value=rate,
            note=f"{len(arrivals)} requests in {span:.1f} s; {RUNS} `wire-ingest run` processes, one day each, one warehouse as the shared clock",
        ),
        row(
            FIGURE,
            "busiest 1-second window seen by the site",
            busiest,
            "requests",
            peer="configured per-host limit",
            peer_value=rate,
            note="a limit that holds across processes keeps this at the limit (+1 at a window's edge)",
        ),
    ]
    return {"rows": rows, "requests": len(arrivals), "seconds": span, "rate": rate}


if __name__ == "__main__":
    from benchmarks.harness import machine_info, markdown_table

    print(markdown_table(run(quick="--quick" in sys.argv)["rows"], machine_info()))
