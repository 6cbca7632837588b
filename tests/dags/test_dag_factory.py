"""The one DAG factory: a DAG per enabled source, with the source's schedule, pool, zone and features."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wire_ingest import sources

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["discover", "fetch", "parse_dedupe", "validate", "load"]


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags" / "wire_ingest.py"))


def test_every_generated_source_has_its_dag(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    expected = {s.dag for s in sources.enabled_sources()}
    assert expected == {"wire_ingest", "wire_xinhua_en"}
    assert set(dagbag.dags) == expected  # every DAG from the one factory


def test_generated_dag_carries_the_sources_settings(dagbag) -> None:  # type: ignore[no-untyped-def]
    source = sources.get_source("xinhua_en")
    dag = dagbag.dags[source.dag]
    assert set(dag.task_ids) == set(ORDER)
    for upstream, downstream in itertools.pairwise(ORDER):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    assert dag.timetable.expression == source.schedule
    zone = dag.timetable.timezone
    assert getattr(zone, "name", zone) == source.timezone
    assert dag.get_task("fetch").pool == dag.get_task("discover").pool == source.pool
    assert dag.catchup is False and "xinhua_en" in dag.tags
    for task in dag.tasks:
        assert task.retries >= 2 and (task.doc_md or task.doc)


def parse_with_sources(dag_file: str, sources_toml: str, tmp_path: Path, show: str) -> list[str]:
    """Parse `dags/<dag_file>` in a fresh interpreter with WIRE_SOURCES_FILE pointing at
    `sources_toml`; `show` prints from `bag`; returns the printed lines."""
    config = tmp_path / "sources.toml"
    config.write_text(sources_toml)
    code = (
        "from airflow.dag_processing.dagbag import DagBag; import sys;"
        "bag = DagBag(dag_folder=sys.argv[1]); assert not bag.import_errors, bag.import_errors;"
        + show
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "dags" / dag_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "WIRE_SOURCES_FILE": str(config)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_a_declared_source_without_adapter_gets_a_dag_without_code(tmp_path: Path) -> None:
    printed = parse_with_sources(
        "wire_ingest.py",
        (ROOT / "include" / "wire_ingest" / "sources.toml").read_text()
        + '\n[sources.chinagate]\nbase_url = "http://en.chinagate.cn"\n'
        'allowed_hosts = ["en.chinagate.cn"]\nlisting_paths = ["/news/index.htm"]\n'
        'article_url_pattern = "/\\\\d{4}-\\\\d{2}/\\\\d{2}/content_\\\\d+\\\\.htm$"\n'
        'timezone = "Asia/Shanghai"\nagency = "Xinhua"\nschedule = "0 2 * * *"\n',
        tmp_path,
        "print(sorted(bag.dags)); print(bag.dags['wire_chinagate'].timetable.expression)",
    )
    assert printed[-2:] == ["['wire_chinagate', 'wire_ingest', 'wire_xinhua_en']", "0 2 * * *"]


def test_the_hand_written_dag_follows_its_sources_toml_entry(tmp_path: Path) -> None:
    """Schedule and fetch pool of `wire_ingest` come from [sources.china_org_cn]."""
    shipped = (ROOT / "include" / "wire_ingest" / "sources.toml").read_text()
    edited = shipped.replace('schedule = "0 0 * * *"', 'schedule = "30 1 * * *"', 1).replace(
        'pool = "wire_fetch"', 'pool = "wire_fetch_china"', 1
    )
    assert edited != shipped
    printed = parse_with_sources(
        "wire_ingest.py",
        edited,
        tmp_path,
        "dag = bag.dags['wire_ingest']; print(dag.timetable.expression);"
        "print(dag.get_task('discover').pool, dag.get_task('fetch').pool)",
    )
    assert printed[-2:] == ["30 1 * * *", "wire_fetch_china wire_fetch_china"]
