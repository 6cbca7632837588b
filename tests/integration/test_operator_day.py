"""The operator's day: `make airflow PROFILE=local`, unpause, `make trigger`, `make backfill`; each run
shows its day (run id or note, Asset event), only the day's scheduled run has a deadline, a dry run
updates no Asset. Real services as `make airflow` starts them (SQLite home, the local wire site)."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from browser import chromium, log_in

from wire_ingest.airflow import alerts

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DAG_ID = "wire_ingest"


def _port(preferred: int) -> int:
    """`preferred` (this change's range 18200-18299) when free, else any free loopback port."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalAirflow:
    base_url: str
    env: dict[str, str]
    home: Path
    api: requests.Session
    password: str
    unpaused_at: float = 0.0

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(f"{self.base_url}{path}", params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def runs(self) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.get(f"/api/v2/dags/{DAG_ID}/dagRuns", limit=100)[
            "dag_runs"
        ]
        return runs

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}")
        return found

    def deadlines(self, run_id: str) -> list[dict[str, Any]]:
        """What the UI's run page shows as deadlines (its own endpoint)."""
        found = self.get(f"/ui/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/deadlines")
        return list(found["deadlines"])

    def asset_events(self, run_id: str) -> list[dict[str, Any]]:
        found = self.get("/api/v2/assets/events", source_run_id=run_id, source_dag_id=DAG_ID)
        return list(found["asset_events"])

    def make(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def logs(self) -> str:
        parts = []
        for log in sorted((self.home / "logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-40:]
            parts.append(f"--- {log.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def local_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    """`make airflow PROFILE=local` in a fresh home; `make airflow-stop` after."""
    work = tmp_path_factory.mktemp("operator-day")
    port, site_port, log_port, trigger_log_port = (_port(p) for p in (18210, 18211, 18212, 18213))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIRE_"))}
    env.update(
        AIRFLOW_HOME=str(work / "airflow"),
        WIRE_DATA_DIR=str(work / "data"),
        AIRFLOW_PORT=str(port),
        WIRESIM_PORT=str(site_port),
        PROFILE="local",
        GX_ANALYTICS_ENABLED="False",
        # the workers' and the triggerer's log servers: not the default ports other Airflows use
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(log_port),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(trigger_log_port),
    )
    local = LocalAirflow(
        base_url=f"http://127.0.0.1:{port}",
        env=env,
        home=work / "airflow",
        api=requests.Session(),
        password="",
    )
    try:
        started = local.make("airflow", "PROFILE=local", timeout=420)
        assert started.returncode == 0, started.stdout + started.stderr + local.logs()
        passwords = json.loads(
            (local.home / "simple_auth_manager_passwords.json.generated").read_text()
        )
        local.password = passwords["admin"]
        token = requests.post(
            f"{local.base_url}/auth/token",
            json={"username": "admin", "password": local.password},
            timeout=30,
        )
        token.raise_for_status()
        local.api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        deadline = time.monotonic() + 180
        while (
            local.api.get(f"{local.base_url}/api/v2/dags/{DAG_ID}", timeout=10).status_code != 200
        ):
            assert time.monotonic() < deadline, f"DAG not parsed:\n{local.logs()}"
            time.sleep(1)
        yield local
    finally:
        stopped = local.make("airflow-stop", timeout=180)
        local.api.close()
        assert stopped.returncode == 0, stopped.stderr


def _wait_finished(local: LocalAirflow, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = local.run(run_id)
        if run["state"] in {"success", "failed"}:
            return run
        assert time.monotonic() < deadline, f"run {run_id} not finished: {run}\n{local.logs()}"
        time.sleep(1)


BEIJING = ZoneInfo("Asia/Shanghai")


def _beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _seconds(run: dict[str, Any]) -> float:
    start, end = (dt.datetime.fromisoformat(run[k]) for k in ("start_date", "end_date"))
    return (end - start).total_seconds()


def test_unpausing_starts_yesterdays_scheduled_run_which_loads_the_local_site_quickly(
    local_airflow: LocalAirflow,
) -> None:
    local = local_airflow
    yesterday = _beijing_today() - dt.timedelta(days=1)
    variable = local.get("/api/v2/variables/wire_base_url")  # set by the profile, in the UI
    assert variable["value"] == f"http://127.0.0.1:{local.env['WIRESIM_PORT']}"
    unpaused_at = dt.datetime.now(BEIJING)
    response = local.api.patch(
        f"{local.base_url}/api/v2/dags/{DAG_ID}", json={"is_paused": False}, timeout=30
    )
    response.raise_for_status()
    unpaused = time.monotonic()
    deadline = unpaused + 120
    while not (scheduled := [r for r in local.runs() if r["run_type"] == "scheduled"]):
        assert time.monotonic() < deadline, f"no scheduled run after unpausing:\n{local.logs()}"
        time.sleep(1)
    (run,) = scheduled
    finished = _wait_finished(local, run["dag_run_id"], timeout=120)
    took = time.monotonic() - unpaused
    assert finished["state"] == "success", local.logs()
    print(
        f"\nfirst scheduled run {run['dag_run_id']}: {_seconds(finished):.1f} s running, "
        f"{took:.1f} s from unpausing to success"
    )
    assert finished["note"] == f"day {yesterday.isoformat()} (china_org_cn, Asia/Shanghai)"
    scheduler_log = (local.home / "logs" / "scheduler.log").read_text(errors="replace")
    no_deadline = f"run {run['dag_run_id']}: no load deadline"
    due = dt.datetime.combine(  # the day's load deadline: 06:00 Beijing the next day
        yesterday + dt.timedelta(days=1), dt.time(alerts.load_deadline_hour()), BEIJING
    )
    if unpaused_at < due:
        # unpaused between midnight and the deadline: yesterday's scheduled run is on time and
        # keeps its deadline (the one run that has one)
        assert no_deadline not in scheduler_log
    else:
        # its deadline had passed before it was created: none, no red badge
        assert local.deadlines(run["dag_run_id"]) == []
        assert no_deadline in scheduler_log
    (event,) = local.asset_events(run["dag_run_id"])
    assert event["uri"] == "warehouse://wire_warehouse/articles"
    assert event["extra"]["target_day"] == yesterday.isoformat()
    assert event["extra"]["loaded"] > 200, event  # 240 a day, a few defective pages rejected
    summary = local.get(
        f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run['dag_run_id'], safe='')}"
        "/taskInstances/load/xcomEntries/return_value"
    )["value"]
    assert summary["target_day"] == yesterday.isoformat() and summary["status"] == "success"


def test_manual_and_backfill_runs_show_their_day_and_have_no_deadline(
    local_airflow: LocalAirflow,
) -> None:
    local = local_airflow
    local.api.patch(f"{local.base_url}/api/v2/dags/{DAG_ID}", json={"is_paused": False}, timeout=30)
    today = _beijing_today()
    manual_day, backfill_day = today - dt.timedelta(days=2), today - dt.timedelta(days=3)

    triggered = local.make("trigger", f"DAY={manual_day}", "DRY_RUN=1")
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr
    manual_id = triggered.stdout.strip().splitlines()[-1]
    assert manual_id.startswith(f"manual__day_{manual_day.isoformat()}__"), manual_id
    # No deadline on a past day, so no "Deadline Missed": none is made with the run (checked
    # before it finishes: a deadline is deleted once its run has succeeded)
    assert local.run(manual_id)["state"] in {"queued", "running"}
    assert local.deadlines(manual_id) == []

    queued = local.make("backfill", f"FROM={backfill_day}", f"TO={backfill_day}", "NO_WAIT=1")
    assert queued.returncode == 0, queued.stdout + queued.stderr + local.logs()
    (backfill,) = [r for r in local.runs() if r["run_type"] == "backfill"]
    assert backfill["state"] in {"queued", "running"}
    assert local.deadlines(backfill["dag_run_id"]) == []
    backfill = _wait_finished(local, backfill["dag_run_id"], timeout=300)
    # Airflow names a backfill run by the end of its day in UTC: the note names the day
    assert backfill["state"] == "success"
    assert backfill["note"] == f"day {backfill_day.isoformat()} (china_org_cn, Asia/Shanghai)"
    (event,) = local.asset_events(backfill["dag_run_id"])
    assert event["extra"]["target_day"] == backfill_day.isoformat()
    assert event["extra"]["loaded"] > 200

    manual = _wait_finished(local, manual_id, timeout=240)
    assert manual["state"] == "success", local.logs()
    assert manual["note"] == f"day {manual_day.isoformat()} (china_org_cn, Asia/Shanghai)"
    summary = local.get(
        f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(manual_id, safe='')}"
        "/taskInstances/load/xcomEntries/return_value"
    )["value"]
    assert summary["status"] == "dry_run" and summary["target_day"] == manual_day.isoformat()
    assert local.asset_events(manual_id) == []  # a dry run changed nothing: no Asset event

    for run_id in (manual_id, backfill["dag_run_id"]):
        assert local.deadlines(run_id) == [], run_id

    deadline = time.monotonic() + 60  # the scheduler marks the backfill complete (its banner goes)
    while not all(
        b["completed_at"] for b in local.get("/api/v2/backfills", dag_id=DAG_ID)["backfills"]
    ):
        assert time.monotonic() < deadline, "the backfill was not marked complete"
        time.sleep(1)
    _screenshot_runs(local, [manual_id, backfill["dag_run_id"]], backfill_day)


def _screenshot_runs(local: LocalAirflow, run_ids: list[str], backfill_day: dt.date) -> None:
    """The Runs list (the manual run's id names its day) and a backfill run's page (its note
    names the day): the screenshots of docs/operations.md."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(60_000)
        log_in(page, f"{local.base_url}/", local.password)

        page.goto(f"{local.base_url}/dags/{DAG_ID}/runs")
        for run_id in run_ids:
            page.get_by_text(run_id, exact=True).first.wait_for()
        page.screenshot(path=str(SCREENSHOTS / "runs-with-days.png"))

        backfill_id = run_ids[1]
        page.goto(f"{local.base_url}/dags/{DAG_ID}/runs/{quote(backfill_id, safe='')}")
        page.get_by_text(f"day {backfill_day.isoformat()}").first.wait_for()
        page.screenshot(path=str(SCREENSHOTS / "run-note-day.png"))
