"""Invariant: no task reads a file that another task wrote to a local path.

Each of a run's five stages runs in a process of its own, with its own empty WIRE_DATA_DIR and
working directory, as on workers that share no disk; they share only the landing store
(WIRE_LANDING_URL, a folder here, `s3://...` in production), the warehouse and what the previous
stage returned (the task's XCom). The run must load exactly what a one-process run loads, and
every reference a stage hands on must point into the store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import plan, settings, steps
from wire_ingest.warehouse import engines, migrations, tables
from wiresim.server import RunningSite

DAY = dt.date(2020, 12, 23)
RUN_ID = "manual__no_shared_disk"

# One stage as a task runs it: the previous stage's XCom in, this stage's XCom out (JSON).
STAGE = textwrap.dedent(
    """
    import json, sys
    from wire_ingest import plan, settings, steps

    stage, given = sys.argv[1], json.loads(sys.argv[2])
    fast = settings.FetchSettings(max_requests_per_second=0)
    if stage == "discover":
        ctx = plan.plan_run(
            run_id=given["run_id"], target_day=plan.dt.date.fromisoformat(given["day"]),
            base_url=given["base_url"], warehouse_url=given["warehouse_url"],
        )
        out = {**steps.discover_step(ctx, fetch_settings=fast), "plan": plan.context_to_dict(ctx)}
    else:
        ctx = plan.context_from_dict(given["plan"])
        if stage == "fetch":
            out = steps.fetch_step(ctx, given["path"], fetch_settings=fast)
        elif stage == "parse_dedupe":
            out = steps.parse_dedupe_step(ctx, given["path"])
        elif stage == "validate":
            out = steps.validate_step(ctx, given["path"])
        else:
            out = steps.load_step(ctx, given["path"])
        out["plan"] = given["plan"]
    print("XCOM " + json.dumps(out, default=str))
    """
)


def run_stage(stage: str, given: dict[str, Any], worker: Path, store: str) -> dict[str, Any]:
    worker.mkdir()
    env = {
        **os.environ,
        "WIRE_DATA_DIR": str(worker / "data"),
        "WIRE_LANDING_URL": store,
        "AIRFLOW_HOME": str(worker / "airflow"),
    }
    done = subprocess.run(
        [sys.executable, "-c", STAGE, stage, json.dumps(given)],
        cwd=worker,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{stage} failed:\n{done.stderr[-4000:]}"
    line = next(x for x in done.stdout.splitlines() if x.startswith("XCOM "))
    return dict(json.loads(line.removeprefix("XCOM ")))


def stored_refs(xcom: dict[str, Any]) -> list[str]:
    paths = xcom.get("path")
    return [str(p) for p in (paths if isinstance(paths, list) else [paths])]


def loaded_rows(url: str) -> set[tuple[Any, ...]]:
    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    tables.articles.c.url,
                    tables.articles.c.title,
                    tables.articles.c.body,
                    tables.articles.c.published_at,
                    tables.articles.c.content_hash,
                    tables.articles.c.duplicate_of,
                )
            )
            return {tuple(r) for r in rows}
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_each_stage_on_its_own_empty_disk_loads_what_one_process_loads(
    wire_site: RunningSite,
    tmp_path: Path,
    migrated_postgres_schema_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = (tmp_path / "store").as_uri()  # what every worker reaches, like an s3:// bucket
    given: dict[str, Any] = {
        "run_id": RUN_ID,
        "day": DAY.isoformat(),
        "base_url": wire_site.base_url,
        "warehouse_url": migrated_postgres_schema_url,
    }
    for stage in ("discover", "fetch", "parse_dedupe", "validate", "load"):
        worker = tmp_path / f"worker-{stage}"
        given = run_stage(stage, given, worker, store)
        if stage != "load":  # the load hands on nothing but its summary
            refs = stored_refs(given)
            assert refs and all(ref.startswith(store + "/") for ref in refs), refs
            assert not any(str(worker) in ref for ref in refs)
    summary = given
    assert summary["status"] == "success"
    assert summary["loaded"] > 200

    # The same day in one process with one data folder: the reference.
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "one"))
    reference_url = f"sqlite:///{tmp_path / 'one.db'}"
    reference_engine = engines.make_engine(reference_url)
    migrations.migrate(reference_engine)
    reference_engine.dispose()
    fast = settings.FetchSettings(max_requests_per_second=0)
    ctx = plan.plan_run(
        run_id=RUN_ID, target_day=DAY, base_url=wire_site.base_url, warehouse_url=reference_url
    )
    reference = steps.run_day(ctx, fetch_settings=fast)
    assert reference["loaded"] == summary["loaded"]
    assert reference["rejected"] == summary["rejected"]
    assert loaded_rows(migrated_postgres_schema_url) == loaded_rows(reference_url)
