"""End to end: the real `wire_ingest` DAG (airflow dags test) against the local wire site over HTTP.

Every article the site serves for the day must end up loaded or rejected with the reason its answer
key expects, none twice; a second run of the day changes no row; SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest.warehouse import engines, tables

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = ROOT / "scripts" / "airflow.sh"  # the project's Airflow settings, then the CLI
DAY = "2020-12-23"
CONTENT_COLUMNS = (
    "article_id",
    "url",
    "canonical_url",
    "title",
    "source",
    "published_at",
    "dateline",
    "body",
    "section",
    "content_hash",
    "duplicate_of",
    "raw_ref",
    "first_seen_at",
    "first_run_id",
)


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated throwaway Airflow home (SQLite metadata DB) with the project's DAGs and pool."""
    home = tmp_path_factory.mktemp("airflow-home")
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
    return env


def run_dag(
    env: dict[str, str], *, base_url: str, warehouse_url: str, data_dir: Path, day: str = DAY
) -> str:
    run_env = {
        **env,
        "AIRFLOW_VAR_WIRE_BASE_URL": base_url,
        "AIRFLOW_CONN_WIRE_WAREHOUSE": warehouse_url,
        "WIRE_DATA_DIR": str(data_dir),
        "WIRE_MAX_RPS": "0",
    }
    proc = subprocess.run(
        ["bash", str(AIRFLOW), "dags", "test", "wire_ingest", day],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=str(ROOT),
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert "DagRun Finished: dag_id=wire_ingest" in log and "state=success" in log, log[-4000:]
    return log


def table(engine: sa.Engine, name: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(tables.metadata.tables[name]))]


def assert_day_matches_answer_key(engine: sa.Engine, key: list[dict[str, Any]], day: str) -> None:
    expected = [entry for entry in key if entry["page_date"] == day]
    assert len(expected) > 100, "the local site serves a few hundred articles a day"
    articles = table(engine, "articles")
    rejects = table(engine, "article_rejects")
    by_url = {row["url"]: row for row in articles}
    rejected_urls = {row["url"]: row for row in rejects}

    assert len(by_url) == len(articles), "an article was loaded twice"
    assert not (set(by_url) & set(rejected_urls)), "an article is both loaded and rejected"
    assert set(by_url) | set(rejected_urls) == {entry["url"] for entry in expected}, (
        "an article was lost"
    )

    for entry in expected:
        url = entry["url"]
        if entry["outcome"] == "load":
            row = by_url.get(url)
            assert row is not None, f"{url} should have loaded: {rejected_urls.get(url)}"
            for field in ("title", "source", "published_at", "dateline", "body", "section"):
                assert row[field] == entry[field], f"{url}: {field}"
            if entry["duplicate_of_url"]:
                assert row["duplicate_of"] == by_url[entry["duplicate_of_url"]]["article_id"], url
            else:
                assert row["duplicate_of"] is None, url
        else:
            row = rejected_urls.get(url)
            assert row is not None, f"{url} should have been rejected ({entry['reject_reason']})"
            assert row["stage"] == entry["reject_stage"], url
            assert row["reason"] and row["message"], url

    runs = table(engine, "ingest_runs")
    assert runs and all(run["status"] == "success" for run in runs)
    # The first run did the work; a re-run gets 304s for unchanged pages and parses nothing.
    last = min(runs, key=lambda run: run["finished_at"])
    assert last["discovered"] == len(expected)
    assert last["loaded"] == sum(entry["outcome"] == "load" for entry in expected)
    assert last["rejected"] == sum(entry["outcome"] == "reject" for entry in expected)
    assert last["duplicates"] == sum(bool(entry["duplicate_of_url"]) for entry in expected)


def content(engine: sa.Engine) -> list[tuple[Any, ...]]:
    rows = table(engine, "articles")
    return sorted(tuple(row[c] for c in CONTENT_COLUMNS) for row in rows)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = engines.make_engine(url)
    yield url, engine
    engine.dispose()


def test_daily_run_into_sqlite_and_rerun_changes_nothing(
    airflow_env: dict[str, str],
    wire_site: Any,
    wire_site_key: list[dict[str, Any]],
    tmp_path: Path,
    sqlite_engine: Any,
) -> None:
    url, engine = sqlite_engine
    run_dag(airflow_env, base_url=wire_site.base_url, warehouse_url=url, data_dir=tmp_path / "data")
    assert_day_matches_answer_key(engine, wire_site_key, DAY)
    first = content(engine)
    rejects_first = len(table(engine, "article_rejects"))

    # every raw page is kept in the landing area
    landed = list((tmp_path / "data" / "landing").rglob("*.warc.gz"))
    assert any(p.name.startswith("articles-") for p in landed)
    assert any(p.name.startswith("listing-") for p in landed)

    run_dag(airflow_env, base_url=wire_site.base_url, warehouse_url=url, data_dir=tmp_path / "data")
    assert content(engine) == first
    assert len(table(engine, "article_rejects")) == rejects_first
    runs = table(engine, "ingest_runs")
    assert len(runs) == 2
    assert sorted(run["inserted"] for run in runs) == [0, len(first)]
    assert [run["updated"] for run in runs] == [0, 0]
    rerun = max(runs, key=lambda run: run["finished_at"])
    assert (rerun["fetched"], rerun["loaded"]) == (0, 0)  # every article answered 304
    assert rerun["not_modified"] == min(runs, key=lambda run: run["finished_at"])["fetched"]
    assert_day_matches_answer_key(engine, wire_site_key, DAY)


@pytest.mark.postgres
def test_daily_run_into_postgres(
    airflow_env: dict[str, str],
    wire_site: Any,
    wire_site_key: list[dict[str, Any]],
    tmp_path: Path,
    migrated_postgres_schema_url: str,
) -> None:
    run_dag(
        airflow_env,
        base_url=wire_site.base_url,
        warehouse_url=migrated_postgres_schema_url,
        data_dir=tmp_path / "data",
    )
    engine = engines.make_engine(migrated_postgres_schema_url)
    try:
        assert_day_matches_answer_key(engine, wire_site_key, DAY)
        assert engine.dialect.name == "postgresql"
    finally:
        engine.dispose()
