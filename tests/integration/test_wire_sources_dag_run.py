"""The generated `wire_xinhua_en` DAG, run by the real Airflow CLI against the local news.cn copy."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from wire_ingest import sources
from wire_ingest.warehouse import engines, tables
from wiresim.newscn import NewsCnSite
from wiresim.server import RunningSite, start_in_thread

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = ROOT / "scripts" / "airflow.sh"
DAY = dt.date(2020, 12, 23)


@pytest.fixture(scope="module")
def news_cn_site() -> Iterator[RunningSite]:
    with start_in_thread(NewsCnSite(DAY, DAY, per_day=60)) as running:
        yield running


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow-home-sources")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    env.update(AIRFLOW_HOME=str(home), VENV=str(Path(sys.executable).parents[1]))
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-init.sh")],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    pools = home / "pools.json"
    pools.write_text(json.dumps(sources.pools()))
    subprocess.run(
        ["bash", str(AIRFLOW), "pools", "import", str(pools)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
        cwd=str(ROOT),
    )
    return env


def test_generated_dag_runs_a_day_into_the_warehouse(
    airflow_home: dict[str, str], news_cn_site: RunningSite, tmp_path: Path
) -> None:
    warehouse = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {
        **airflow_home,
        "AIRFLOW_VAR_WIRE_BASE_URL_XINHUA_EN": news_cn_site.base_url,
        "AIRFLOW_CONN_WIRE_WAREHOUSE": warehouse,
        "WIRE_DATA_DIR": str(tmp_path / "data"),
        "WIRE_MAX_RPS": "0",
    }
    proc = subprocess.run(
        ["bash", str(AIRFLOW), "dags", "test", "wire_xinhua_en", DAY.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=str(ROOT),
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "DagRun Finished: dag_id=wire_xinhua_en" in log and "state=success" in log, log[-4000:]

    expected = {e["url"]: e for e in news_cn_site.answer_key() if e["page_date"] == DAY.isoformat()}
    engine = engines.make_engine(warehouse)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tables.articles)).mappings().all()
            run = conn.execute(sa.select(tables.ingest_runs)).mappings().one()
    finally:
        engine.dispose()
    assert {row["url"] for row in rows} == set(expected)
    for row in rows:
        entry = expected[row["url"]]
        assert (row["feed"], row["title"], row["body"], row["published_at"]) == (
            "xinhua_en",
            entry["title"],
            entry["body"],
            entry["published_at"],
        )
        assert row["extraction"] == "adapter"
    assert (run["dag_id"], run["feed"], run["status"]) == ("wire_xinhua_en", "xinhua_en", "success")
    assert run["loaded"] == len(expected) and run["fallback"] == 0

    # The articles Asset event says which feed and day changed, and by how much.
    metadata = sa.create_engine(f"sqlite:///{airflow_home['AIRFLOW_HOME']}/airflow.db")
    try:
        with metadata.connect() as conn:
            extras = conn.execute(sa.text("SELECT extra FROM asset_event")).scalars().all()
    finally:
        metadata.dispose()
    events = [json.loads(e) if isinstance(e, str) else e for e in extras]
    assert {
        "feed": "xinhua_en",
        "target_day": DAY.isoformat(),
        "loaded": len(expected),
    }.items() <= (events[-1].items()), events
