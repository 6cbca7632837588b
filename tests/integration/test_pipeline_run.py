"""The stages in one process (what `wire-ingest run` does): counts, and a batch that fails the gate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps
from wire_ingest.quality import data_docs, report, validation
from wire_ingest.warehouse import engines, tables

DAY = dt.date(2020, 12, 23)


def plan_for(tmp_path: Path, wire_site: Any, warehouse_url: str, run_id: str) -> Any:
    return plan.plan_run(
        run_id=run_id,
        target_day=DAY,
        base_url=wire_site.base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def docs_and_tab_counts(tmp_path: Path, warehouse_url: str) -> tuple[Any, dict[str, int]]:
    """The counts the run's Data Docs show (their run.json) and the Data quality tab's."""
    root = tmp_path / "data" / "data_docs"
    engine = engines.make_engine(warehouse_url)
    try:
        (run,) = report.build_report(engine, docs_root=root).runs
    finally:
        engine.dispose()
    assert run.docs_path is not None
    record = json.loads(((root / run.docs_path).parent / data_docs.SUMMARY_FILE).read_text())
    return record["counts"], run.counts


@pytest.fixture(autouse=True)
def _local_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")


def test_run_day_counts_every_article_once(
    tmp_path: Path, wire_site: Any, wire_site_key: list[dict[str, Any]], sqlite_url: str
) -> None:
    summary = steps.run_day(plan_for(tmp_path, wire_site, sqlite_url, "run-1"))
    expected = [entry for entry in wire_site_key if entry["page_date"] == DAY.isoformat()]
    assert summary["status"] == "success"
    assert summary["discovered"] == len(expected)
    assert summary["loaded"] + summary["rejected"] == len(expected)
    assert summary["loaded"] == sum(entry["outcome"] == "load" for entry in expected)
    assert summary["parse_failed"] == sum(entry["reject_stage"] == "parse" for entry in expected)
    docs, tab = docs_and_tab_counts(tmp_path, sqlite_url)
    assert docs == tab and tab["loaded"] == summary["loaded"]


def test_too_many_rejects_fail_the_run_but_keep_the_rejects(
    tmp_path: Path, wire_site: Any, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_MAX_REJECT_SHARE", "0.001")  # the site's few defects are too many now
    ctx = plan_for(tmp_path, wire_site, sqlite_url, "run-strict")
    with pytest.raises(
        validation.BatchValidationError, match=r"failed validation; the limit is 0\.1%"
    ):
        steps.run_day(ctx)

    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            run = conn.execute(sa.select(tables.ingest_runs)).one()._mapping
            rejects = conn.execute(
                sa.select(sa.func.count()).select_from(tables.article_rejects)
            ).scalar_one()
            loaded = conn.execute(
                sa.select(sa.func.count()).select_from(tables.articles)
            ).scalar_one()
    finally:
        engine.dispose()
    assert run["status"] == "failed"
    assert "failed validation" in run["message"]
    assert rejects == run["rejected"] > 0
    assert loaded == 0  # nothing half-loaded: the gate stops the batch before the load
    docs, tab = docs_and_tab_counts(tmp_path, sqlite_url)  # the failed batch has its Data Docs
    assert docs == tab and tab["rejected"] == rejects


@pytest.mark.slow
def test_the_run_command_runs_a_declared_source_by_name(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wire-ingest run --source xinhua_en`: the generated DAG's stages for news.cn, no Airflow."""
    from wire_ingest import cli
    from wiresim.newscn import NewsCnSite
    from wiresim.server import start_in_thread

    with start_in_thread(NewsCnSite(DAY, DAY, per_day=40)) as site:
        key = [e for e in site.answer_key() if e["page_date"] == DAY.isoformat()]
        args = ["run", "--source", "xinhua_en", "--day", DAY.isoformat()]
        args += ["--base-url", site.base_url, "--warehouse", sqlite_url, "--run-id", "cli-xinhua"]
        assert cli.main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "success" and summary["loaded"] == len(key) > 0
    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            run = conn.execute(
                sa.select(tables.ingest_runs).where(tables.ingest_runs.c.run_id == "cli-xinhua")
            ).one()
            feeds = conn.execute(sa.select(tables.articles.c.feed).distinct()).scalars().all()
    finally:
        engine.dispose()
    assert (run.feed, run.dag_id, run.loaded) == ("xinhua_en", "wire_xinhua_en", len(key))
    assert feeds == ["xinhua_en"]


def test_the_run_command_refuses_an_undeclared_source_or_a_misplaced_option() -> None:
    from wire_ingest import cli

    for args in (
        ["run", "--source", "nowhere", "--day", DAY.isoformat()],
        # every source walks a listing path of its own site; a URL elsewhere is not a path
        ["run", "--source", "xinhua_en", "--day", DAY.isoformat(), "--listing-path", "http://x/y"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(args)
        assert exit_info.value.code == 2
