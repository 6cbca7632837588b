"""A day end to end in real Airflow (`airflow dags test`): wall time per task, start-up vs work."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.day import STAGES, timed_day
from benchmarks.harness import Row, median, row

FIGURE = "A day in Airflow"
ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2020, 12, 23)


def _clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    env.pop("AIRFLOW_HOME", None)
    env.update(AIRFLOW_HOME=str(home), VENV=str(Path(sys.executable).parents[1]))
    env["GX_ANALYTICS_ENABLED"] = "False"
    return env


def prepare_home(home: Path) -> tuple[dict[str, str], float]:
    """A migrated throwaway Airflow home with the fetch pool; returns its env and the seconds."""
    env = _clean_env(home)
    began = time.perf_counter()
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-init.sh")],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return env, time.perf_counter() - began


def dags_test(
    env: dict[str, str], *, base_url: str, data_dir: Path, home: Path
) -> tuple[float, str]:
    """Wall seconds of `airflow dags test wire_ingest DAY` into a fresh SQLite warehouse.

    Also a note: empty, or what went wrong in the CLI after every task had succeeded.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    run_env = {
        **env,
        "AIRFLOW_VAR_WIRE_BASE_URL": base_url,
        "AIRFLOW_CONN_WIRE_WAREHOUSE": f"sqlite:///{data_dir / 'warehouse.db'}",
        "WIRE_DATA_DIR": str(data_dir),
        "WIRE_MAX_RPS": "0",
    }
    began = time.perf_counter()
    proc = subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "airflow.sh"),
            "dags",
            "test",
            "wire_ingest",
            DAY.isoformat(),
        ],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=str(ROOT),
    )
    seconds = time.perf_counter() - began
    log = proc.stdout + proc.stderr
    if proc.returncode == 0 and "state=success" in log:
        return seconds, ""
    kept = Path(tempfile.gettempdir()) / "wire-bench-dags-test.log"
    kept.write_text(log)
    errors = [line.strip() for line in log.splitlines() if "Error" in line]
    states = task_states(home)
    if states and set(states.values()) == {"success"}:
        # Every task did its work; the failure came after (reported, the timings still hold).
        return (
            seconds,
            f"CLI exited {proc.returncode} after all tasks succeeded: {errors[-1][:160] if errors else '?'}",
        )
    raise RuntimeError(f"airflow dags test failed (log: {kept}): {' | '.join(errors[-3:])}")


def _latest_task_rows(home: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "airflow.db") as db:
        latest = db.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = 'wire_ingest' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if latest is None:
            return []
        return db.execute(
            "SELECT task_id, state, start_date, end_date, duration FROM task_instance "
            "WHERE dag_id = 'wire_ingest' AND run_id = ?",
            latest,
        ).fetchall()


def task_states(home: Path) -> dict[str, str]:
    return {task_id: str(state) for task_id, state, *_ in _latest_task_rows(home)}


def task_durations(home: Path) -> dict[str, float]:
    """Seconds of each task of the latest wire_ingest run, from the Airflow metadata DB."""
    durations: dict[str, float] = {}
    for task_id, _state, start, end, duration in _latest_task_rows(home):
        if duration is None and start and end:
            duration = (
                dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
            ).total_seconds()
        durations[task_id] = float(duration or 0.0)
    return durations


def command_seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - began


def run(quick: bool) -> dict[str, Any]:
    from wire_ingest import validate
    from wire_ingest.wiresim.generate import build_site
    from wire_ingest.wiresim.server import start_in_thread

    if quick:
        return {
            "rows": [
                Row(
                    FIGURE,
                    "airflow dags test, one day",
                    None,
                    note="not in --quick (about 2 minutes)",
                ).to_dict()
            ]
        }
    repeats = 2
    python = sys.executable
    gx_import = median(
        command_seconds([python, "-c", "import great_expectations"]) for _ in range(2)
    )
    airflow_import = median(command_seconds([python, "-c", "import airflow"]) for _ in range(2))
    validate._import_gx()
    site = build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1))
    with (
        tempfile.TemporaryDirectory(prefix="wire-bench-airflow-") as tmp,
        start_in_thread(site) as running,
    ):
        env, init_seconds = prepare_home(Path(tmp) / "home")
        cli_seconds = command_seconds(
            ["bash", str(ROOT / "scripts" / "airflow.sh"), "version"], env=env
        )
        walls: list[float] = []
        tasks: list[dict[str, float]] = []
        cli_notes: set[str] = set()
        for index in range(repeats):
            seconds, cli_note = dags_test(
                env,
                base_url=running.base_url,
                data_dir=Path(tmp) / f"dags-{index}",
                home=Path(tmp) / "home",
            )
            walls.append(seconds)
            cli_notes.add(cli_note)
            tasks.append(task_durations(Path(tmp) / "home"))
        work_runs = [
            timed_day(
                base_url=running.base_url,
                day=DAY,
                warehouse_url=f"sqlite:///{Path(tmp) / f'inproc-{index}' / 'warehouse.db'}",
                data_dir=Path(tmp) / f"inproc-{index}",
            )
            for index in range(repeats)
        ]

    wall = median(walls)
    task_seconds = {task: median(t.get(task, 0.0) for t in tasks) for task in tasks[-1]}
    in_tasks = sum(task_seconds.values())
    work = {stage: median(r["seconds"][stage] for r in work_runs) for stage in STAGES}
    work_total = sum(work.values())
    articles = work_runs[-1]["summary"].get("discovered", 0)
    per_task = ", ".join(f"{task} {seconds:.1f}s" for task, seconds in task_seconds.items())
    rows: list[Row] = [
        row(
            FIGURE,
            f"`airflow dags test` wall time, one day ({articles} articles), rate limit off",
            wall,
            "s",
            peer="the same stages in one process (pipeline stage functions)",
            peer_value=work_total,
            note=f"median of {repeats}; per task (metadata DB): {per_task}"
            + "".join(f"; {n}" for n in sorted(cli_notes) if n),
        ),
        row(
            FIGURE,
            "share of the Airflow run that is the work itself",
            100 * work_total / wall,
            "%",
            note=(
                f"work {work_total:.1f} s of {wall:.1f} s; inside tasks {in_tasks:.1f} s, "
                f"outside tasks (CLI start, DAG parse, scheduling) {wall - in_tasks:.1f} s"
            ),
        ),
        row(
            FIGURE,
            "start-up costs: GX import / Airflow import / `airflow version`",
            gx_import,
            "s",
            note=(
                f"GX import {gx_import:.1f} s (paid by the first task that validates), "
                f"import airflow {airflow_import:.1f} s, one CLI call {cli_seconds:.1f} s; "
                f"`airflow db migrate` + pool, once per home: {init_seconds:.0f} s"
            ),
        ),
    ]
    return {
        "rows": [r.to_dict() for r in rows],
        "dags_test_seconds": walls,
        "task_seconds": tasks,
        "in_process_stage_seconds": work,
        "gx_import_seconds": gx_import,
        "airflow_import_seconds": airflow_import,
        "airflow_cli_seconds": cli_seconds,
        "airflow_init_seconds": init_seconds,
    }
