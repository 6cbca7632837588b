"""Nothing lost, nothing stuck: raw pages survive a cleared run, crash points heal on the next run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import cli, landing, plan, steps
from wire_ingest.warehouse import engines, queries, tables
from wiresim.generate import build_site
from wiresim.server import RunningSite, start_in_thread

pytestmark = pytest.mark.slow

DAY = dt.date(2020, 12, 23)


@pytest.fixture(scope="module")
def small_site() -> Iterator[RunningSite]:
    site = build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), per_day=30)
    with start_in_thread(site) as running:
        yield running


@pytest.fixture(autouse=True)
def _local_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")


def _ctx(site: RunningSite, tmp_path: Path, warehouse_url: str, run_id: str) -> Any:
    return plan.plan_run(
        run_id=run_id,
        target_day=DAY,
        base_url=site.base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def _rows(warehouse_url: str, table: sa.Table) -> list[dict[str, Any]]:
    engine = engines.make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(table))]
    finally:
        engine.dispose()


def test_a_cleared_run_keeps_every_raw_page_readable(
    small_site: RunningSite, tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = steps.run_day(_ctx(small_site, tmp_path, sqlite_url, "scheduled__2020-12-23"))
    assert first["status"] == "success" and first["loaded"] > 0
    refs_before = {r["url"]: r["raw_ref"] for r in _rows(sqlite_url, tables.articles)}
    # The same run id again (a cleared Airflow run): every page answers 304.
    second = steps.run_day(_ctx(small_site, tmp_path, sqlite_url, "scheduled__2020-12-23"))
    assert second["status"] == "success" and second["not_modified"] == first["fetched"]
    files = landing.landed_files((tmp_path / "landing").as_uri(), "china_org_cn", DAY, "articles")
    assert len(files) == 2, "the cleared run wrote a new file next to the first"
    assert {r["url"]: r["raw_ref"] for r in _rows(sqlite_url, tables.articles)} == refs_before
    engine = engines.make_engine(sqlite_url)
    try:
        refs = queries.day_raw_refs(engine, "china_org_cn", DAY)
    finally:
        engine.dispose()
    assert len(refs["articles"]) == first["loaded"]
    assert landing.unresolved_refs([r for table in refs.values() for r in table]) == []
    capsys.readouterr()
    assert cli.main(["check-landing", "--day", DAY.isoformat(), "--warehouse", sqlite_url]) == 0
    assert f"articles: {first['loaded']} raw_refs, 0 unresolved" in capsys.readouterr().out
