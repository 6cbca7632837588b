"""`scripts/airflow-init.sh` (what `make airflow` runs) creates every declared source's pool and
deploys the warehouse, so no source's tasks queue forever and no task meets an unmigrated warehouse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from wire_ingest import sources
from wire_ingest.warehouse import engines, migrations

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


@pytest.mark.airflow
@pytest.mark.slow
def test_init_creates_every_sources_pool_and_migrates_the_warehouse(tmp_path: Path) -> None:
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIRE_"))},
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "WIRE_DATA_DIR": str(tmp_path / "data"),
        "AIRFLOW_CONN_WIRE_WAREHOUSE": warehouse_url,
        "VENV": str(ROOT / ".venv"),
    }
    init = subprocess.run(
        ["bash", str(ROOT / "scripts" / "airflow-init.sh")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr[-4000:]

    listed = subprocess.run(
        [str(VENV_BIN / "airflow"), "pools", "list", "-o", "json"],
        env={**env, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"},
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    slots = {pool["pool"]: int(pool["slots"]) for pool in json.loads(listed.stdout)}
    declared = {name: int(pool["slots"]) for name, pool in sources.pools().items()}
    assert {s.pool for s in sources.enabled_sources()} <= set(declared)
    assert {name: slots.get(name) for name in declared} == declared

    engine = engines.make_engine(warehouse_url)
    try:
        migrations.check_current(engine)  # raises WarehouseBehind when init did not migrate
    finally:
        engine.dispose()
