"""DAG integrity: the DAG files import cleanly, cheaply, and carry the settings operators rely on."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
# Imports that cost seconds or memory: they belong inside tasks, never at a DAG file's top level.
HEAVY_MODULES = {
    "great_expectations",
    "pandas",
    "lxml",
    "bs4",
    "warcio",
    "trafilatura",
    "datasketch",
}


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dag_files_import_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert "wire_ingest" in dagbag.dags


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_top_level_imports_are_light(dag_file: Path) -> None:
    code = (
        "import json, runpy, sys; runpy.run_path(sys.argv[1]);"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(dag_file)], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not (loaded & HEAVY_MODULES), (
        f"{dag_file.name} imports {sorted(loaded & HEAVY_MODULES)} at top level"
    )


def test_wire_ingest_dag_shape(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["wire_ingest"]
    assert set(dag.task_ids) == {"discover", "fetch", "parse_dedupe", "validate", "load"}
    # a straight line: each stage feeds the next
    order = ["discover", "fetch", "parse_dedupe", "validate", "load"]
    for upstream, downstream in itertools.pairwise(order):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    assert dag.doc_md and "Which day a run covers" in dag.doc_md
    assert {"wire", "xinhua"} <= set(dag.tags)
    assert dag.catchup is False
    assert dag.max_active_runs >= 1
    assert "day" in dag.params
    assert dag.timetable.expression == "0 0 * * *"
    for task in dag.tasks:
        assert task.retries >= 2, f"{task.task_id} has no retries"
        assert task.owner == "wire-ingest"
        assert task.doc_md or task.doc, f"{task.task_id} has no doc"
    assert dag.get_task("fetch").pool == "wire_fetch"
    assert dag.get_task("discover").pool == "wire_fetch"


def test_schedule_is_daily_in_beijing_time(dagbag) -> None:  # type: ignore[no-untyped-def]
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable

    declared = dagbag.dags["wire_ingest"].timetable
    # the scheduler's side of the same timetable
    timetable = CronDataIntervalTimetable(declared.expression, declared.timezone)
    interval = timetable.infer_manual_data_interval(
        run_after=pendulum.datetime(2020, 12, 24, 3, 0, tz="Asia/Shanghai")
    )
    # the last complete Beijing day before 03:00 on Dec 24 is Dec 23
    assert interval.start == pendulum.datetime(2020, 12, 23, tz="Asia/Shanghai")
    assert interval.end == pendulum.datetime(2020, 12, 24, tz="Asia/Shanghai")


@pytest.mark.parametrize("source", ["china_org_cn", "xinhua_en"])
def test_every_dag_has_every_feature(dagbag, source: str) -> None:  # type: ignore[no-untyped-def]
    """One factory: whatever the source, its DAG has the failure alert and the failed-run record,
    the load deadline, the Asset outlet, the run params and the source's own pool and schedule."""
    from airflow.sdk import AssetAlias

    from wire_ingest import sources

    assert sorted(s.name for s in sources.enabled_sources()) == ["china_org_cn", "xinhua_en"]
    declared = sources.get_source(source)
    dag = dagbag.dags[declared.dag]
    order = ["discover", "fetch", "parse_dedupe", "validate", "load"]
    assert set(dag.task_ids) == set(order)
    for upstream, downstream in itertools.pairwise(order):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    assert dag.on_failure_callback, "no failed-run record"
    for task in dag.tasks:
        assert task.on_failure_callback, f"{task.task_id} sends no alert"
        assert task.retries >= 2
    assert dag.deadline, "no load deadline"
    assert dag.get_task("load").outlets == [AssetAlias(name="wire_warehouse.articles.updates")]
    assert {"day", "max_pages", "dry_run", "reprocess"} <= set(dag.params)
    assert dag.get_task("discover").pool == dag.get_task("fetch").pool == declared.pool
    assert dag.timetable.expression == declared.schedule
    assert dag.max_active_runs == declared.max_active_runs
